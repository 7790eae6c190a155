-- One row per pupil per census year: the year's sessions and exclusions summed over its termly
-- censuses, SEN and free school meals as at the year's last census, and whether the pupil left
-- the roll below year 11, not excluded, with no census record the next year (a leaver the census
-- cannot explain).
with terms as (
    select
        person_links.person_key,
        school_terms.*
    from {{ ref('int_school_terms') }} as school_terms
    inner join {{ source('linkage', 'person_links') }} as person_links on school_terms.record_id = person_links.record_id
),

years as (
    select
        person_key,
        census_year,
        count(*) as census_terms,
        max(case when fsm_eligible then 1 else 0 end) = 1 as fsm_eligible_any_term,
        cast(sum(sessions_possible) as bigint) as sessions_possible,
        cast(sum(sessions_missed) as bigint) as sessions_missed,
        cast(sum(suspensions) as bigint) as suspensions,
        max(case when permanently_excluded then 1 else 0 end) = 1 as permanently_excluded,
        max(nc_year) as nc_year
    from terms
    group by person_key, census_year
),

ranked_terms as (
    select
        *,
        row_number() over (partition by person_key, census_year order by term_order desc, record_id asc) as rank
    from terms
),

last_terms as (
    select
        person_key,
        census_year,
        la_code,
        sen_provision_code,
        sen_provision_group,
        sen_support,
        ehc_plan,
        sen_primary_need_code
    from ranked_terms
    where rank = 1
),

last_year as (
    select max(census_year) as census_year from terms
)

select
    years.person_key,
    years.census_year,
    last_terms.la_code,
    years.census_terms,
    years.nc_year,
    years.fsm_eligible_any_term,
    last_terms.sen_provision_code,
    last_terms.sen_provision_group,
    last_terms.sen_support,
    last_terms.ehc_plan,
    last_terms.sen_primary_need_code,
    years.sessions_possible,
    years.sessions_missed,
    {{ absence_measures('years.sessions_missed', 'years.sessions_possible') }},
    years.suspensions,
    years.permanently_excluded,
    years.census_year < last_year.census_year and years.nc_year < 11 and not years.permanently_excluded
    and next_year.person_key is null as left_roll_unexplained
from years
inner join last_terms on years.person_key = last_terms.person_key and years.census_year = last_terms.census_year
cross join last_year
left join years as next_year on years.person_key = next_year.person_key and years.census_year + 1 = next_year.census_year
