-- Children's social care episodes with the person they belong to. An episode whose child's own
-- record was quarantined in every return has no person (kept, with a null key, so counts reconcile).
select
    e.service_episode_id,
    c.person_key,
    e.la_code,
    e.service,
    e.start_date,
    e.end_date,
    e.is_open,
    e.duration_days,
    e.end_reason_code,
    e.detail_code
from {{ ref('int_service_episodes') }} as e
left join {{ ref('linked_child_ids') }} as c on c.la_code = e.la_code and c.la_child_id = e.la_child_id
