-- Entries on the LA registers of children missing education and electively home educated, one each,
-- from the latest extract that holds the entry (the one that knows how it ended), with the child's
-- person. An entry whose record was quarantined in every extract is missing; one whose record did not
-- link has no person (kept, with a null key, so counts reconcile).
with entries as (
    {{ latest_return(ref('stg_cnis__register'), ['la_code', 'register_entry_id']) }}
)

select
    entries.la_code || '|' || entries.register_entry_id as entry_key,
    person_links.person_key,
    entries.la_code,
    entries.register,
    entries.reason,
    entries.date_on_register,
    entries.date_off_register,
    entries.date_off_reason,
    entries.previous_school_la_code,
    entries.previous_school_estab
from entries
left join {{ source('linkage', 'person_links') }} as person_links on entries.record_id = person_links.record_id
