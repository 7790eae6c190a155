-- Every service the LA gave (early help or child in need) with the child's person and the episode it
-- belonged to. A service whose child's records were all quarantined has no person (kept, with a null
-- key, so counts reconcile).
with services as (
    select * from {{ ref('int_services_provided') }}
),

early_help as (
    select * from {{ ref('int_early_help_episodes') }}
),

cin_episodes as (
    select
        la_code,
        la_child_id,
        start_date,
        end_date
    from {{ ref('int_service_episodes') }}
    where service = 'child_in_need'
)

select
    services.la_code || '|' || services.service_id as service_key,
    child_ids.person_key,
    services.la_code,
    case when services.early_help_episode_id is not null then 'early_help' else 'child_in_need' end as episode_type,
    coalesce(early_help.episode_start_date, services.cin_referral_date) as episode_start_date,
    coalesce(early_help.episode_end_date, cin_episodes.end_date) as episode_end_date,
    services.service_type_code,
    services.service_type,
    services.frequency_code,
    services.sessions_delivered,
    services.service_start_date,
    services.service_end_date
from services
left join early_help
    on services.la_code = early_help.la_code and services.early_help_episode_id = early_help.episode_id
left join cin_episodes
    on
    services.la_code = cin_episodes.la_code
    and services.la_child_id = cin_episodes.la_child_id
    and services.cin_referral_date = cin_episodes.start_date
left join {{ ref('linked_child_ids') }} as child_ids
    on services.la_code = child_ids.la_code and services.la_child_id = child_ids.la_child_id
