-- Continuity of the social worker allocated to each child, per collection year (to 31 March): how many
-- workers the child had and how often the worker changed, beside what continuity is thought to affect:
-- re-referral, moves between placements, and the length of a protection plan.
with involvements as (
    {{ latest_return(ref('stg_ssd__involvements'), ['la_code', 'involvement_id']) }}
),

allocations as (
    select
        child_ids.person_key,
        involvements.la_code,
        involvements.professional_id,
        involvements.involvement_start_date,
        involvements.involvement_end_date,
        involvements.worker_change_reason_code,
        -- A new worker taking over from another the day the other's allocation ended, or within a week.
        lag(involvements.involvement_end_date) over (
            partition by child_ids.person_key order by involvements.involvement_start_date, involvements.involvement_id
        ) as previous_end_date
    from involvements
    inner join {{ ref('linked_child_ids') }} as child_ids
        on involvements.la_code = child_ids.la_code and involvements.person_id = child_ids.la_child_id
),

years as (
    select distinct
        collection_year,
        make_date(collection_year - 1, 4, 1) as year_start,
        make_date(collection_year, 3, 31) as year_end
    from involvements
),

child_years as (
    select
        allocations.person_key,
        years.collection_year,
        years.year_start,
        years.year_end,
        any_value(allocations.la_code) as la_code,
        count(distinct allocations.professional_id) as workers,
        count(*) filter (
            where
            allocations.involvement_start_date between years.year_start and years.year_end
            and allocations.previous_end_date >= allocations.involvement_start_date - 7
        ) as worker_changes,
        cast(sum(
            {{ dbt.datediff(
                'greatest(allocations.involvement_start_date, years.year_start)',
                'least(coalesce(allocations.involvement_end_date, years.year_end), years.year_end)',
                'day'
            ) }} + 1
        ) as bigint) as days_allocated
    from allocations
    inner join years
        on
        allocations.involvement_start_date <= years.year_end
        and (allocations.involvement_end_date is null or allocations.involvement_end_date >= years.year_start)
    group by allocations.person_key, years.collection_year, years.year_start, years.year_end
),

referrals as (
    select
        person_key,
        start_date as referral_date,
        lag(start_date) over (partition by person_key order by start_date) as previous_referral_date
    from {{ ref('linked_service_episodes') }}
    where service = 'child_in_need' and person_key is not null
),

re_referrals as (
    -- The DfE's measure: a referral within 12 months of the child's previous referral.
    select
        child_years.person_key,
        child_years.collection_year,
        count(*) as re_referrals
    from child_years
    inner join referrals
        on
        child_years.person_key = referrals.person_key
        and referrals.referral_date between child_years.year_start and child_years.year_end
        and referrals.previous_referral_date >= referrals.referral_date - interval 1 year
    group by child_years.person_key, child_years.collection_year
),

placement_episodes as (
    {{ latest_return(ref('stg_ssda903__episodes'), ['la_code', 'la_child_id', 'episode_start_date']) }}
),

placement_moves as (
    -- A new 903 episode for a change of placement (reason P, T, U or B), not of legal status alone (L).
    select
        child_years.person_key,
        child_years.collection_year,
        count(*) as placement_moves
    from child_years
    inner join {{ ref('linked_child_ids') }} as child_ids on child_years.person_key = child_ids.person_key
    inner join placement_episodes
        on
        child_ids.la_code = placement_episodes.la_code
        and child_ids.la_child_id = placement_episodes.la_child_id
        and placement_episodes.episode_start_date between child_years.year_start and child_years.year_end
    where placement_episodes.reason_new_episode_code in ('P', 'T', 'U', 'B')
    group by child_years.person_key, child_years.collection_year
),

protection_plans as (
    select
        child_years.person_key,
        child_years.collection_year,
        max(protection_plan_episodes.duration_days) as longest_plan_days
    from child_years
    inner join {{ ref('linked_service_episodes') }} as protection_plan_episodes
        on
        child_years.person_key = protection_plan_episodes.person_key
        and protection_plan_episodes.service = 'child_protection'
        and protection_plan_episodes.end_date between child_years.year_start and child_years.year_end
    group by child_years.person_key, child_years.collection_year
)

select
    child_years.person_key,
    child_years.collection_year,
    child_years.la_code,
    child_years.workers,
    child_years.worker_changes,
    child_years.days_allocated,
    coalesce(re_referrals.re_referrals, 0) as re_referrals,
    coalesce(placement_moves.placement_moves, 0) as placement_moves,
    protection_plans.longest_plan_days as protection_plan_days_ended_in_year
from child_years
left join re_referrals on child_years.person_key = re_referrals.person_key and child_years.collection_year = re_referrals.collection_year
left join placement_moves on child_years.person_key = placement_moves.person_key and child_years.collection_year = placement_moves.collection_year
left join protection_plans on child_years.person_key = protection_plans.person_key and child_years.collection_year = protection_plans.collection_year
