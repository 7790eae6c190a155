-- One row per pupil per census year: the year's sessions and exclusions summed over its termly
-- censuses, SEN and free school meals as at the year's last census, and whether the pupil left
-- the roll below year 11, not excluded, with no census record the next year (a leaver the census
-- cannot explain).
with terms as (
    select l.person_key, t.*
    from {{ ref('int_school_terms') }} as t
    join {{ source('linkage', 'person_links') }} as l on l.record_id = t.record_id
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
    from terms group by person_key, census_year
),

last_terms as (
    select person_key, census_year, la_code, sen_provision_code, sen_provision_group, sen_support, ehc_plan, sen_primary_need_code
    from (
        select *, row_number() over (partition by person_key, census_year order by term_order desc, record_id) as rank
        from terms
    ) as ranked
    where rank = 1
),

last_year as (
    select max(census_year) as census_year from terms
)

select
    y.person_key,
    y.census_year,
    t.la_code,
    y.census_terms,
    y.nc_year,
    y.fsm_eligible_any_term,
    t.sen_provision_code,
    t.sen_provision_group,
    t.sen_support,
    t.ehc_plan,
    t.sen_primary_need_code,
    y.sessions_possible,
    y.sessions_missed,
    {{ absence_measures('y.sessions_missed', 'y.sessions_possible') }},
    y.suspensions,
    y.permanently_excluded,
    y.census_year < (select census_year from last_year) and y.nc_year < 11 and not y.permanently_excluded
        and following.person_key is null as left_roll_unexplained
from years as y
join last_terms as t on t.person_key = y.person_key and t.census_year = y.census_year
left join years as following on following.person_key = y.person_key and following.census_year = y.census_year + 1
