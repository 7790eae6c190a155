-- A service given in early help names its episode; one given to a child in need, its referral's date.
-- A service open across 31 March is in both years' extracts; int_services_provided keeps the latest.
select
    {{ record_id('ssd_services') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    serv_service_id as service_id,
    serv_person_id as person_id,
    nullif(serv_early_help_episode_id, '') as early_help_episode_id,
    {{ parse_date('serv_cin_referral_date', '%Y-%m-%d') }} as cin_referral_date,
    serv_service_type_code as service_type_code,
    {{ parse_date('serv_service_start_date', '%Y-%m-%d') }} as service_start_date,
    {{ parse_date('serv_service_end_date', '%Y-%m-%d') }} as service_end_date,
    serv_service_frequency as frequency_code,
    cast(serv_sessions_delivered as integer) as sessions_delivered,
    {{ provenance_columns() }}
from {{ source('raw', 'ssd_services') }}
