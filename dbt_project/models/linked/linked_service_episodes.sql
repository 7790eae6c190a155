-- Children's social care episodes with the person they belong to. An episode whose child's own
-- record was quarantined in every return has no person (kept, with a null key, so counts reconcile).
select
    service_episodes.service_episode_id,
    child_ids.person_key,
    service_episodes.la_code,
    service_episodes.service,
    service_episodes.start_date,
    service_episodes.end_date,
    service_episodes.is_open,
    service_episodes.duration_days,
    service_episodes.end_reason_code,
    service_episodes.detail_code
from {{ ref('int_service_episodes') }} as service_episodes
left join {{ ref('linked_child_ids') }} as child_ids
    on service_episodes.la_code = child_ids.la_code and service_episodes.la_child_id = child_ids.la_child_id
