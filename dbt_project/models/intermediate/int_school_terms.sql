-- One row per pupil per termly census, with the absence and SEN definitions written once.
select
    pupil_terms.record_id,
    pupil_terms.la_code,
    pupil_terms.estab,
    pupil_terms.upn,
    pupil_terms.census_year,
    pupil_terms.term,
    pupil_terms.term_order,
    pupil_terms.census_date,
    pupil_terms.nc_year,
    pupil_terms.fsm_eligible,
    pupil_terms.sen_provision_code,
    sen_provisions.provision_group as sen_provision_group,
    pupil_terms.sen_provision_code = 'K' as sen_support,
    pupil_terms.sen_provision_code = 'E' as ehc_plan,
    pupil_terms.sen_primary_need_code,
    pupil_terms.sessions_possible,
    pupil_terms.sessions_missed,
    {{ absence_measures('pupil_terms.sessions_missed', 'pupil_terms.sessions_possible') }},
    pupil_terms.suspensions,
    pupil_terms.permanently_excluded
from {{ ref('stg_school_census__pupil_terms') }} as pupil_terms
left join {{ ref('sen_provision') }} as sen_provisions on pupil_terms.sen_provision_code = sen_provisions.code
