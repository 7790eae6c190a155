-- Children in both systems: social care involvement (in need, protection, looked after) crossed
-- with youth offending, one row per child known to either, with the order things happened in.
-- Which services saw the child comes from the children mart; only the date care began is worked out here.
with first_social_care as (
    select
        person_key,
        min(start_date) as first_social_care_date
    from {{ ref('linked_service_episodes') }}
    where person_key is not null
    group by person_key
),

care as (
    select
        children.person_key,
        first_social_care.first_social_care_date,
        children.ever_child_in_need,
        children.ever_child_protection,
        children.ever_looked_after
    from {{ ref('children') }} as children
    inner join first_social_care on children.person_key = first_social_care.person_key
),

offences as (
    select
        person_links.person_key,
        count(*) as offences,
        min(youth_offences.offence_date) as first_offence_date
    from {{ ref('stg_youth_justice__offences') }} as youth_offences
    inner join {{ source('linkage', 'person_links') }} as person_links on youth_offences.record_id = person_links.record_id
    group by person_links.person_key
),

looked_after_at_first_offence as (
    select distinct offences.person_key
    from offences
    inner join {{ ref('linked_service_episodes') }} as service_episodes
        on offences.person_key = service_episodes.person_key and service_episodes.service = 'looked_after'
        and offences.first_offence_date >= service_episodes.start_date
        and (service_episodes.end_date is null or offences.first_offence_date <= service_episodes.end_date)
),

known_children as (
    select person_key from care
    union
    select person_key from offences
)

select
    known_children.person_key,
    care.person_key is not null as known_to_social_care,
    coalesce(care.ever_child_in_need, false) as ever_child_in_need,
    coalesce(care.ever_child_protection, false) as ever_child_protection,
    coalesce(care.ever_looked_after, false) as ever_looked_after,
    care.first_social_care_date,
    coalesce(offences.offences, 0) as offences,
    offences.first_offence_date,
    care.person_key is not null and offences.person_key is not null as dual_system,
    care.first_social_care_date < offences.first_offence_date as social_care_before_first_offence,
    offences.person_key is not null and looked_after.person_key is not null as looked_after_at_first_offence
from known_children
left join care on known_children.person_key = care.person_key
left join offences on known_children.person_key = offences.person_key
left join looked_after_at_first_offence as looked_after on known_children.person_key = looked_after.person_key
