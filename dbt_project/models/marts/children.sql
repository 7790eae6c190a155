-- One row per child: anyone under 18 at some point of the period the extracts cover, and anyone
-- a children's service or school recorded whatever their recorded birth date says. Birth is
-- published as year and month only; a child's family, and which services saw them, sit beside it.
with window_start as (
    select min(observed_from) as day from {{ ref('int_person_records') }}
),

families as (
    select person_key, min(family_key) as family_key
    from {{ source('linkage', 'family_members') }} where role = 'child' group by person_key
),

services as (
    select
        person_key,
        max(case when service = 'child_in_need' then 1 else 0 end) = 1 as ever_child_in_need,
        max(case when service = 'child_protection' then 1 else 0 end) = 1 as ever_child_protection,
        max(case when service = 'looked_after' then 1 else 0 end) = 1 as ever_looked_after
    from {{ ref('linked_service_episodes') }} where person_key is not null group by person_key
)

select
    p.person_key,
    extract(year from p.date_of_birth) as birth_year,
    extract(month from p.date_of_birth) as birth_month,
    p.sex,
    p.ethnicity_19,
    p.ethnicity_broad,
    p.la_code,
    f.family_key,
    p.first_seen,
    p.last_seen,
    p.in_school_census,
    p.in_hospital_episodes,
    p.in_youth_justice,
    coalesce(s.ever_child_in_need, false) as ever_child_in_need,
    coalesce(s.ever_child_protection, false) as ever_child_protection,
    coalesce(s.ever_looked_after, false) as ever_looked_after
from {{ ref('linked_persons') }} as p
left join families as f on f.person_key = p.person_key
left join services as s on s.person_key = p.person_key
where p.date_of_birth > {{ dbt.dateadd('year', -18, '(select day from window_start)') }}
    or p.in_school_census
    or p.person_key in (select person_key from {{ ref('linked_child_ids') }})
