-- One row per linked person: the attributes their records agree on most. Date of birth and sex
-- by majority (ties to the earlier date), ethnicity from the most trusted source that codes it
-- (see ethnicity_precedence), local authority from the latest record that names one.
with records as (
    select
        person_links.person_key,
        person_records.*
    from {{ source('linkage', 'person_links') }} as person_links
    inner join {{ ref('int_person_records') }} as person_records on person_links.record_id = person_records.record_id
),

birth_dates as (
    select
        person_key,
        date_of_birth,
        row_number() over (partition by person_key order by count(*) desc, date_of_birth asc) as rank
    from records
    where date_of_birth is not null
    group by person_key, date_of_birth
),

sexes as (
    select
        person_key,
        sex,
        row_number() over (partition by person_key order by count(*) desc, sex asc) as rank
    from records
    where sex != 'unknown'
    group by person_key, sex
),

ethnicities as (
    select
        person_key,
        ethnicity_19,
        ethnicity_broad,
        row_number() over (partition by person_key order by ethnicity_precedence asc, observed_to desc, record_id asc) as rank
    from records
    where ethnicity_broad is not null
),

authorities as (
    select
        person_key,
        la_code,
        row_number() over (partition by person_key order by observed_to desc, record_id asc) as rank
    from records
    where la_code is not null
),

presence as (
    select
        person_key,
        min(observed_from) as first_seen,
        max(observed_to) as last_seen,
        count(*) as records,
        max(case when source = 'census_2021' then 1 else 0 end) = 1 as in_census,
        max(case when source = 'school_census' then 1 else 0 end) = 1 as in_school_census,
        max(case when source = 'cin_census' then 1 else 0 end) = 1 as in_cin_census,
        max(case when source = 'ssda903' then 1 else 0 end) = 1 as in_ssda903,
        max(case when source = 'hes_apc' then 1 else 0 end) = 1 as in_hospital_episodes,
        max(case when source = 'youth_justice' then 1 else 0 end) = 1 as in_youth_justice
    from records
    group by person_key
)

select
    presence.person_key,
    birth_dates.date_of_birth,
    coalesce(sexes.sex, 'unknown') as sex,
    ethnicities.ethnicity_19,
    ethnicities.ethnicity_broad,
    authorities.la_code,
    presence.first_seen,
    presence.last_seen,
    presence.records,
    presence.in_census,
    presence.in_school_census,
    presence.in_cin_census,
    presence.in_ssda903,
    presence.in_hospital_episodes,
    presence.in_youth_justice
from presence
left join birth_dates on presence.person_key = birth_dates.person_key and birth_dates.rank = 1
left join sexes on presence.person_key = sexes.person_key and sexes.rank = 1
left join ethnicities on presence.person_key = ethnicities.person_key and ethnicities.rank = 1
left join authorities on presence.person_key = authorities.person_key and authorities.rank = 1
