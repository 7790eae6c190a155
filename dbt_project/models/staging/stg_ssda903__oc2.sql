with raw_oc2 as (
    select * from {{ source('raw', 'ssda903_oc2') }}
)

select
    {{ record_id('ssda903_oc2') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    cast(SDQ_SCORE as integer) as sdq_score,
    SDQ_REASON as sdq_reason_code,
    CONVICTED = '1' as is_convicted,
    HEALTH_CHECK = '1' as had_health_check,
    IMMUNISATIONS = '1' as immunisations_up_to_date,
    TEETH_CHECK = '1' as had_teeth_check,
    HEALTH_ASSESSMENT = '1' as had_health_assessment,
    SUBSTANCE_MISUSE = '1' as has_substance_misuse_problem,
    INTERVENTION_RECEIVED = '1' as received_intervention,
    INTERVENTION_OFFERED = '1' as offered_intervention,
    {{ provenance_columns() }}
from raw_oc2
