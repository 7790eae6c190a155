-- Mental-health hospital contacts (ICD-10 chapter F) of any family member, at family level: who
-- in the family had one (a parent, a child), how many, and when the first and latest were.
with contacts as (
    select f.family_key, f.person_key, f.role, h.admission_date, h.mental_health_group
    from {{ source('linkage', 'family_members') }} as f
    join {{ source('linkage', 'person_links') }} as l on l.person_key = f.person_key
    join {{ ref('int_hospital_episodes') }} as h on h.record_id = l.record_id
    where h.is_mental_health
)

select
    d.family_key,
    d.members,
    d.children,
    d.parents,
    count(distinct c.person_key) as members_with_contact,
    count(distinct case when c.role = 'child' then c.person_key end) as children_with_contact,
    count(distinct case when c.role != 'child' then c.person_key end) as parents_with_contact,
    count(c.admission_date) as mental_health_admissions,
    count(distinct c.mental_health_group) as mental_health_groups,
    min(c.admission_date) as first_contact_date,
    max(c.admission_date) as latest_contact_date,
    count(c.admission_date) > 0 as any_member_with_contact
from {{ ref('families') }} as d
left join contacts as c on c.family_key = d.family_key
group by d.family_key, d.members, d.children, d.parents
