-- Mental-health hospital contacts (ICD-10 chapter F) of any family member, at family level: who
-- in the family had one (a parent, a child), how many, and when the first and latest were.
with contacts as (
    select
        family_members.family_key,
        family_members.person_key,
        family_members.role,
        hospital_episodes.admission_date,
        hospital_episodes.mental_health_group
    from {{ source('linkage', 'family_members') }} as family_members
    inner join {{ source('linkage', 'person_links') }} as person_links on family_members.person_key = person_links.person_key
    inner join {{ ref('int_hospital_episodes') }} as hospital_episodes on person_links.record_id = hospital_episodes.record_id
    where hospital_episodes.is_mental_health
)

select
    families.family_key,
    families.members,
    families.children,
    families.parents,
    count(distinct contacts.person_key) as members_with_contact,
    count(distinct case when contacts.role = 'child' then contacts.person_key end) as children_with_contact,
    count(distinct case when contacts.role != 'child' then contacts.person_key end) as parents_with_contact,
    count(contacts.admission_date) as mental_health_admissions,
    count(distinct contacts.mental_health_group) as mental_health_groups,
    min(contacts.admission_date) as first_contact_date,
    max(contacts.admission_date) as latest_contact_date,
    count(contacts.admission_date) > 0 as any_member_with_contact
from {{ ref('families') }} as families
left join contacts on families.family_key = contacts.family_key
group by families.family_key, families.members, families.children, families.parents
