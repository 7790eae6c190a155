-- Children in both systems: social care involvement (in need, protection, looked after) crossed
-- with youth offending, one row per child known to either, with the order things happened in.
-- Which services saw the child comes from the children mart; only the date care began is worked out here.
with care as (
    select c.person_key, e.first_social_care_date, c.ever_child_in_need, c.ever_child_protection, c.ever_looked_after
    from {{ ref('children') }} as c
    join (
        select person_key, min(start_date) as first_social_care_date
        from {{ ref('linked_service_episodes') }} where person_key is not null group by person_key
    ) as e on e.person_key = c.person_key
),

offences as (
    select l.person_key, count(*) as offences, min(o.offence_date) as first_offence_date
    from {{ ref('stg_youth_justice__offences') }} as o
    join {{ source('linkage', 'person_links') }} as l on l.record_id = o.record_id
    group by l.person_key
),

looked_after_at_first_offence as (
    select distinct o.person_key
    from offences as o
    join {{ ref('linked_service_episodes') }} as e
        on e.person_key = o.person_key and e.service = 'looked_after'
        and o.first_offence_date >= e.start_date and (e.end_date is null or o.first_offence_date <= e.end_date)
)

select
    k.person_key,
    c.person_key is not null as known_to_social_care,
    coalesce(c.ever_child_in_need, false) as ever_child_in_need,
    coalesce(c.ever_child_protection, false) as ever_child_protection,
    coalesce(c.ever_looked_after, false) as ever_looked_after,
    c.first_social_care_date,
    coalesce(o.offences, 0) as offences,
    o.first_offence_date,
    c.person_key is not null and o.person_key is not null as dual_system,
    c.first_social_care_date < o.first_offence_date as social_care_before_first_offence,
    o.person_key is not null and l.person_key is not null as looked_after_at_first_offence
from (select person_key from care union select person_key from offences) as k
left join care as c on c.person_key = k.person_key
left join offences as o on o.person_key = k.person_key
left join looked_after_at_first_offence as l on l.person_key = k.person_key
