-- Each child's trajectory through children in need, child protection and looked after, one row
-- per episode in date order, with its length, the gap since the previous episode ended and
-- whether it re-enters a service the child had left.
with episodes as (
    select
        *,
        row_number() over (partition by person_key order by start_date, service) as episode_number,
        lag(service) over (partition by person_key order by start_date, service) as previous_service,
        lag(end_date) over (partition by person_key order by start_date, service) as previous_end_date,
        max(end_date) over (
            partition by person_key, service order by start_date rows between unbounded preceding and 1 preceding
        ) as same_service_ended
    from {{ ref('linked_service_episodes') }}
    where person_key is not null
)

select
    person_key,
    episode_number,
    la_code,
    service,
    start_date,
    end_date,
    is_open,
    duration_days,
    detail_code,
    end_reason_code,
    previous_service,
    {{ dbt.datediff('previous_end_date', 'start_date', 'day') }} as days_since_previous_episode,
    same_service_ended is not null and same_service_ended <= start_date as is_reentry,
    case when same_service_ended <= start_date then {{ dbt.datediff('same_service_ended', 'start_date', 'day') }} end as days_since_service_last_ended
from episodes
