-- Which person each LA child ID (CIN LAchildID, 903 CHILD) belongs to, within its LA. An ID that
-- linkage split across two persons takes the person most of its records belong to.
with child_records as (
    select r.la_code, r.la_child_id, l.person_key, count(*) as records
    from {{ ref('int_person_records') }} as r
    join {{ source('linkage', 'person_links') }} as l on l.record_id = r.record_id
    where r.la_child_id is not null
    group by r.la_code, r.la_child_id, l.person_key
)

select la_code, la_child_id, person_key
from (
    select *, row_number() over (partition by la_code, la_child_id order by records desc, person_key) as rank
    from child_records
) as ranked
where rank = 1
