-- One row per child: anyone under 18 at some point of the period the extracts cover, and anyone
-- a children's service or school recorded whatever their recorded birth date says. Birth is
-- published as year and month only; a child's family, and which services saw them, sit beside it.
with window_start as (
    select min(observed_from) as first_day from {{ ref('int_person_records') }}
),

child_families as (
    select
        person_key,
        min(family_key) as family_key
    from {{ source('linkage', 'family_members') }}
    where role = 'child'
    group by person_key
),

services as (
    select
        person_key,
        max(case when service = 'child_in_need' then 1 else 0 end) = 1 as ever_child_in_need,
        max(case when service = 'child_protection' then 1 else 0 end) = 1 as ever_child_protection,
        max(case when service = 'looked_after' then 1 else 0 end) = 1 as ever_looked_after
    from {{ ref('linked_service_episodes') }}
    where person_key is not null
    group by person_key
),

recorded_children as (
    select distinct person_key from {{ ref('linked_child_ids') }}
)

select
    persons.person_key,
    extract(year from persons.date_of_birth) as birth_year,
    extract(month from persons.date_of_birth) as birth_month,
    persons.sex,
    persons.ethnicity_19,
    persons.ethnicity_broad,
    persons.la_code,
    child_families.family_key,
    persons.first_seen,
    persons.last_seen,
    persons.in_school_census,
    persons.in_hospital_episodes,
    persons.in_youth_justice,
    coalesce(services.ever_child_in_need, false) as ever_child_in_need,
    coalesce(services.ever_child_protection, false) as ever_child_protection,
    coalesce(services.ever_looked_after, false) as ever_looked_after
from {{ ref('linked_persons') }} as persons
cross join window_start
left join child_families on persons.person_key = child_families.person_key
left join services on persons.person_key = services.person_key
left join recorded_children on persons.person_key = recorded_children.person_key
where
    persons.date_of_birth > {{ dbt.dateadd('year', -18, 'window_start.first_day') }}
    or persons.in_school_census
    or recorded_children.person_key is not null
