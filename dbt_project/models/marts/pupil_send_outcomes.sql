-- SEND over time: every census year of every pupil who had SEN support or an EHC plan in any
-- year, with that year's provision and primary need beside absence, exclusions and leaving the roll.
with send_pupils as (
    select distinct person_key
    from {{ ref('linked_pupil_years') }}
    where sen_support or ehc_plan
)

select
    pupil_years.person_key,
    pupil_years.census_year,
    pupil_years.la_code,
    pupil_years.nc_year,
    pupil_years.sen_provision_code,
    pupil_years.sen_provision_group,
    pupil_years.sen_support,
    pupil_years.ehc_plan,
    pupil_years.sen_primary_need_code,
    lag(pupil_years.sen_provision_code) over (partition by pupil_years.person_key order by pupil_years.census_year) as previous_year_sen_provision_code,
    pupil_years.absence_rate,
    pupil_years.persistent_absence,
    pupil_years.severe_absence,
    pupil_years.suspensions,
    pupil_years.permanently_excluded,
    pupil_years.left_roll_unexplained
from {{ ref('linked_pupil_years') }} as pupil_years
inner join send_pupils on pupil_years.person_key = send_pupils.person_key
