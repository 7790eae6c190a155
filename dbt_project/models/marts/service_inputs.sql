-- What each child was given, one row per service, in the early help or child-in-need episode it was part
-- of: what, how often, how many sessions, for how long, and where it fell against the child's referrals
-- to social care (the last before it started and the next after).
with services as (
    select * from {{ ref('linked_services_provided') }}
    where person_key is not null
),

referrals as (
    select
        person_key,
        start_date as referral_date
    from {{ ref('linked_service_episodes') }}
    where service = 'child_in_need' and person_key is not null
),

around_referrals as (
    select
        services.service_key,
        max(referrals.referral_date) filter (where referrals.referral_date <= services.service_start_date) as previous_referral_date,
        min(referrals.referral_date) filter (where referrals.referral_date > services.service_start_date) as next_referral_date
    from services
    left join referrals on services.person_key = referrals.person_key
    group by services.service_key
)

select
    services.person_key,
    row_number() over (
        partition by services.person_key order by services.service_start_date, services.service_type_code, services.service_key
    ) as service_number,
    services.la_code,
    services.episode_type,
    services.episode_start_date,
    services.episode_end_date,
    services.service_type_code,
    services.service_type,
    services.frequency_code,
    services.sessions_delivered,
    services.service_start_date,
    services.service_end_date,
    services.service_end_date is null as is_open,
    {{ dbt.datediff('services.service_start_date', 'services.service_end_date', 'day') }} as duration_days,
    {{ dbt.datediff('around_referrals.previous_referral_date', 'services.service_start_date', 'day') }} as days_since_referral,
    {{ dbt.datediff('services.service_start_date', 'around_referrals.next_referral_date', 'day') }} as days_to_next_referral
from services
inner join around_referrals on services.service_key = around_referrals.service_key
