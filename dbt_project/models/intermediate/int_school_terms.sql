-- One row per pupil per termly census, with the absence and SEN definitions written once.
select
    t.record_id,
    t.la_code,
    t.estab,
    t.upn,
    t.census_year,
    t.term,
    t.term_order,
    t.census_date,
    t.nc_year,
    t.fsm_eligible,
    t.sen_provision_code,
    p.provision_group as sen_provision_group,
    t.sen_provision_code = 'K' as sen_support,
    t.sen_provision_code = 'E' as ehc_plan,
    t.sen_primary_need_code,
    t.sessions_possible,
    t.sessions_missed,
    {{ absence_measures('t.sessions_missed', 't.sessions_possible') }},
    t.suspensions,
    t.permanently_excluded
from {{ ref('stg_school_census__pupil_terms') }} as t
left join {{ ref('sen_provision') }} as p on p.code = t.sen_provision_code
