-- Periods of care stitched from SSDA903 episodes. An episode reported in several years' returns
-- is taken from the latest return; consecutive episodes of a child in one LA belong to the same
-- period when one ends with X1 on the day the next starts. A period still open has no end date.
with episodes as (
    {{ latest_return(ref('stg_ssda903__episodes'), ['la_code', 'la_child_id', 'episode_start_date']) }}
),

ordered as (
    select
        *,
        lag(episode_end_date) over (partition by la_code, la_child_id order by episode_start_date) as previous_end_date,
        lag(reason_ceased_code) over (partition by la_code, la_child_id order by episode_start_date) as previous_reason_ceased_code
    from episodes
),

numbered as (
    select
        *,
        sum(case when previous_end_date = episode_start_date and previous_reason_ceased_code = 'X1' then 0 else 1 end)
            over (partition by la_code, la_child_id order by episode_start_date rows between unbounded preceding and current row) as period_number
    from ordered
),

positioned as (
    select
        *,
        row_number() over (partition by la_code, la_child_id, period_number order by episode_start_date) as position_in_period,
        row_number() over (partition by la_code, la_child_id, period_number order by episode_start_date desc) as position_from_end
    from numbered
)

select
    {{ dbt.concat(["la_code", "'|'", "la_child_id", "'|'", "cast(min(episode_start_date) as " ~ dbt.type_string() ~ ")"]) }} as period_id,
    la_code,
    la_child_id,
    period_number,
    min(episode_start_date) as period_start_date,
    max(case when position_from_end = 1 then episode_end_date end) as period_end_date,
    max(case when position_from_end = 1 then reason_ceased_code end) as reason_ceased_code,
    max(case when position_in_period = 1 then legal_status_code end) as first_legal_status_code,
    max(case when position_from_end = 1 then legal_status_code end) as last_legal_status_code,
    max(case when position_in_period = 1 then placement_type_code end) as first_placement_type_code,
    max(case when position_in_period = 1 then home_postcode end) as home_postcode,
    count(*) as episodes,
    sum(case when position_in_period = 1 or reason_new_episode_code in ('P', 'T', 'U', 'B') then 1 else 0 end) as placements
from positioned
group by la_code, la_child_id, period_number
