-- Engagement with school per pupil and census year: persistent and severe absence, suspensions and
-- permanent exclusion, and leaving the roll with no recorded destination, beside whether the
-- child was known to children's social care that year.
with census_years as (
    select distinct census_year from {{ ref('linked_pupil_years') }}
),

social_care_years as (
    select distinct
        service_episodes.person_key,
        census_years.census_year
    from {{ ref('linked_service_episodes') }} as service_episodes
    inner join census_years
        on service_episodes.start_date <= make_date(census_years.census_year, 12, 31)
        and coalesce(service_episodes.end_date, make_date(census_years.census_year, 12, 31)) >= make_date(census_years.census_year, 1, 1)
)

select
    pupil_years.person_key,
    pupil_years.census_year,
    pupil_years.la_code,
    pupil_years.nc_year,
    pupil_years.census_terms,
    pupil_years.sessions_possible,
    pupil_years.sessions_missed,
    pupil_years.absence_rate,
    pupil_years.persistent_absence,
    pupil_years.severe_absence,
    pupil_years.suspensions,
    pupil_years.permanently_excluded,
    pupil_years.left_roll_unexplained,
    pupil_years.fsm_eligible_any_term,
    social_care_years.person_key is not null as known_to_social_care
from {{ ref('linked_pupil_years') }} as pupil_years
left join social_care_years
    on pupil_years.person_key = social_care_years.person_key and pupil_years.census_year = social_care_years.census_year
