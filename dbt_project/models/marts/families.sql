-- One row per family: a mother (or a father where no mother is known) and her children, with the
-- family's size and the birth years of its children. The key persists when the family moves.
with members as (
    select
        family_members.family_key,
        family_members.person_key,
        family_members.role,
        persons.date_of_birth
    from {{ source('linkage', 'family_members') }} as family_members
    left join {{ ref('linked_persons') }} as persons on family_members.person_key = persons.person_key
)

select
    family_key,
    max(case when role in ('mother', 'father') then role end) as anchor_role,
    count(distinct person_key) as members,
    count(distinct case when role = 'child' then person_key end) as children,
    count(distinct case when role != 'child' then person_key end) as parents,
    min(case when role = 'child' then extract(year from date_of_birth) end) as eldest_child_birth_year,
    max(case when role = 'child' then extract(year from date_of_birth) end) as youngest_child_birth_year
from members
group by family_key
