-- SEND over time: every census year of every pupil who had SEN support or an EHC plan in any
-- year, with that year's provision and primary need beside absence, exclusions and leaving the roll.
with send_pupils as (
    select distinct person_key from {{ ref('linked_pupil_years') }} where sen_support or ehc_plan
)

select
    y.person_key,
    y.census_year,
    y.la_code,
    y.nc_year,
    y.sen_provision_code,
    y.sen_provision_group,
    y.sen_support,
    y.ehc_plan,
    y.sen_primary_need_code,
    lag(y.sen_provision_code) over (partition by y.person_key order by y.census_year) as previous_year_sen_provision_code,
    y.absence_rate,
    y.persistent_absence,
    y.severe_absence,
    y.suspensions,
    y.permanently_excluded,
    y.left_roll_unexplained
from {{ ref('linked_pupil_years') }} as y
join send_pupils as s on s.person_key = y.person_key
