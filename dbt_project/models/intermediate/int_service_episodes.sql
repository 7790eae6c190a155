-- Children's social care involvement as one list of episodes: children in need (referral to
-- closure), child protection plans (start to end) and periods looked after (stitched from 903).
-- Each returns' repeat of the same episode is kept once, from the latest return.
with child_in_need as (
    {{ latest_return(ref('stg_cin_census__episodes'), ['la_code', 'la_child_id', 'referral_date']) }}
),

protection_plans as (
    {{ latest_return(ref('stg_cin_census__protection_plans'), ['la_code', 'la_child_id', 'plan_start_date']) }}
),

episodes as (
    select
        la_code,
        la_child_id,
        'child_in_need' as service,
        referral_date as start_date,
        closure_date as end_date,
        closure_reason_code as end_reason_code,
        primary_need_code as detail_code,
        record_id as source_record_id
    from child_in_need
    union all
    select
        la_code,
        la_child_id,
        'child_protection' as service,
        plan_start_date as start_date,
        plan_end_date as end_date,
        cast(null as {{ dbt.type_string() }}) as end_reason_code,
        coalesce(latest_category_code, initial_category_code) as detail_code,
        record_id as source_record_id
    from protection_plans
    union all
    select
        la_code,
        la_child_id,
        'looked_after' as service,
        period_start_date as start_date,
        period_end_date as end_date,
        reason_ceased_code as end_reason_code,
        first_legal_status_code as detail_code,
        period_id as source_record_id
    from {{ ref('int_looked_after_periods') }}
)

select
    {{ dbt.concat(["service", "'|'", "la_code", "'|'", "la_child_id", "'|'", "cast(start_date as " ~ dbt.type_string() ~ ")"]) }} as service_episode_id,
    la_code,
    la_child_id,
    service,
    start_date,
    end_date,
    end_date is null as is_open,
    {{ dbt.datediff('start_date', 'end_date', 'day') }} as duration_days,
    end_reason_code,
    detail_code,
    source_record_id
from episodes
