-- One row per linked person: the attributes their records agree on most. Date of birth and sex
-- by majority (ties to the earlier date), ethnicity from the most trusted source that codes it
-- (see ethnicity_precedence), local authority from the latest record that names one.
with records as (
    select l.person_key, r.*
    from {{ source('linkage', 'person_links') }} as l
    join {{ ref('int_person_records') }} as r on r.record_id = l.record_id
),

birth_dates as (
    select person_key, date_of_birth, row_number() over (partition by person_key order by count(*) desc, date_of_birth) as rank
    from records where date_of_birth is not null group by person_key, date_of_birth
),

sexes as (
    select person_key, sex, row_number() over (partition by person_key order by count(*) desc, sex) as rank
    from records where sex != 'unknown' group by person_key, sex
),

ethnicities as (
    select person_key, ethnicity_19, ethnicity_broad,
        row_number() over (partition by person_key order by ethnicity_precedence, observed_to desc, record_id) as rank
    from records where ethnicity_broad is not null
),

authorities as (
    select person_key, la_code, row_number() over (partition by person_key order by observed_to desc, record_id) as rank
    from records where la_code is not null
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
    from records group by person_key
)

select
    p.person_key,
    b.date_of_birth,
    coalesce(s.sex, 'unknown') as sex,
    e.ethnicity_19,
    e.ethnicity_broad,
    a.la_code,
    p.first_seen,
    p.last_seen,
    p.records,
    p.in_census,
    p.in_school_census,
    p.in_cin_census,
    p.in_ssda903,
    p.in_hospital_episodes,
    p.in_youth_justice
from presence as p
left join birth_dates as b on b.person_key = p.person_key and b.rank = 1
left join sexes as s on s.person_key = p.person_key and s.rank = 1
left join ethnicities as e on e.person_key = p.person_key and e.rank = 1
left join authorities as a on a.person_key = p.person_key and a.rank = 1
