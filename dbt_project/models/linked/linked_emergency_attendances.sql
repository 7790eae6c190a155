-- Emergency department attendances with the patient's person: the day and what kind of attendance it
-- was. An attendance whose record did not link has no person (kept, with a null key, so counts reconcile).
select
    attendances.record_id,
    person_links.person_key,
    attendances.arrival_date,
    attendances.is_assault,
    attendances.is_self_harm,
    attendances.is_injury,
    attendances.is_mental_health
from {{ ref('stg_ecds__attendances') }} as attendances
left join {{ source('linkage', 'person_links') }} as person_links on attendances.record_id = person_links.record_id
