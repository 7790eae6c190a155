-- Early help episodes with the child's person. An episode whose child's records were all quarantined
-- has no person (kept, with a null key, so counts reconcile).
select
    episodes.la_code || '|' || episodes.episode_id as episode_key,
    child_ids.person_key,
    episodes.la_code,
    episodes.episode_start_date,
    episodes.episode_end_date,
    episodes.episode_reason,
    episodes.episode_end_reason,
    episodes.organisation,
    episodes.services,
    episodes.parenting_programme_start_date
from {{ ref('int_early_help_episodes') }} as episodes
left join {{ ref('linked_child_ids') }} as child_ids
    on episodes.la_code = child_ids.la_code and episodes.la_child_id = child_ids.la_child_id
