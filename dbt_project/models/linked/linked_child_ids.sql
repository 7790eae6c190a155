-- Which person each LA child ID (CIN LAchildID, 903 CHILD) belongs to, within its LA. An ID that
-- linkage split across two persons takes the person most of its records belong to.
with child_records as (
    select
        person_records.la_code,
        person_records.la_child_id,
        person_links.person_key,
        count(*) as records
    from {{ ref('int_person_records') }} as person_records
    inner join {{ source('linkage', 'person_links') }} as person_links on person_records.record_id = person_links.record_id
    where person_records.la_child_id is not null
    group by person_records.la_code, person_records.la_child_id, person_links.person_key
),

ranked as (
    select
        *,
        row_number() over (partition by la_code, la_child_id order by records desc, person_key asc) as rank
    from child_records
)

select
    la_code,
    la_child_id,
    person_key
from ranked
where rank = 1
