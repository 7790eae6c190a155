-- One row per service the LA gave, from the latest extract that holds it (the one that knows its end and
-- every session delivered).
with services as (
    {{ latest_return(ref('stg_ssd__services'), ['la_code', 'service_id']) }}
)

select
    services.la_code,
    services.service_id,
    services.person_id as la_child_id,
    services.early_help_episode_id,
    services.cin_referral_date,
    services.service_type_code,
    service_types.label as service_type,
    services.service_start_date,
    services.service_end_date,
    services.frequency_code,
    services.sessions_delivered,
    services.record_id as source_record_id
from services
left join {{ ref('service_type') }} as service_types on services.service_type_code = service_types.code
