-- One row per early help episode, from the latest extract that holds it (the one that knows its end),
-- with the services given in it summarised: the inputs an evaluation and the service_inputs mart read.
with episodes as (
    {{ latest_return(ref('stg_ssd__early_help_episodes'), ['la_code', 'episode_id']) }}
),

services as (
    select
        la_code,
        early_help_episode_id,
        count(*) as services,
        min(service_start_date) filter (where service_type_code = 'PARENT') as parenting_programme_start_date
    from {{ ref('int_services_provided') }}
    where early_help_episode_id is not null
    group by la_code, early_help_episode_id
)

select
    episodes.la_code,
    episodes.episode_id,
    episodes.person_id as la_child_id,
    episodes.episode_start_date,
    episodes.episode_end_date,
    episodes.episode_reason,
    episodes.episode_end_reason,
    episodes.organisation,
    coalesce(services.services, 0) as services,
    services.parenting_programme_start_date,
    episodes.record_id as source_record_id
from episodes
left join services
    on episodes.la_code = services.la_code and episodes.episode_id = services.early_help_episode_id
