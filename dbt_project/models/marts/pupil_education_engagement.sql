-- Engagement with school per pupil and census year: persistent and severe absence, suspensions and
-- permanent exclusion, and leaving the roll with no recorded destination, beside whether the
-- child was known to children's social care that year.
with social_care_years as (
    select distinct e.person_key, y.census_year
    from {{ ref('linked_service_episodes') }} as e
    join (select distinct census_year from {{ ref('linked_pupil_years') }}) as y
        on e.start_date <= make_date(y.census_year, 12, 31) and coalesce(e.end_date, make_date(y.census_year, 12, 31)) >= make_date(y.census_year, 1, 1)
)

select
    y.person_key,
    y.census_year,
    y.la_code,
    y.nc_year,
    y.census_terms,
    y.sessions_possible,
    y.sessions_missed,
    y.absence_rate,
    y.persistent_absence,
    y.severe_absence,
    y.suspensions,
    y.permanently_excluded,
    y.left_roll_unexplained,
    y.fsm_eligible_any_term,
    s.person_key is not null as known_to_social_care
from {{ ref('linked_pupil_years') }} as y
left join social_care_years as s on s.person_key = y.person_key and s.census_year = y.census_year
