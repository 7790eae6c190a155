-- The context of harm per children's social care assessment: domestic abuse (to the child, or
-- between the adults), and extra-familial harm (sexual and criminal exploitation, gangs,
-- trafficking, going missing), from the assessment's factor codes; and, beside them, violence the
-- emergency department saw: attendances for assault of the adults and children the child lived with,
-- in the year before the assessment began.
with factors as (
    select
        child_ids.person_key,
        assessment_factors.la_code,
        assessment_factors.assessment_record_id,
        assessment_factors.assessment_start_date,
        assessment_factors.assessment_authorised_date,
        assessment_factors.factor_code,
        assessment_factors.theme,
        assessment_factors.subject,
        assessment_factors.extra_familial_harm
    from {{ ref('int_cin_assessment_factors') }} as assessment_factors
    inner join {{ ref('linked_child_ids') }} as child_ids
        on assessment_factors.la_code = child_ids.la_code and assessment_factors.la_child_id = child_ids.la_child_id
),

assessments as (
    select
        person_key,
        la_code,
        assessment_record_id,
        min(assessment_start_date) as assessment_start_date
    from factors
    group by person_key, la_code, assessment_record_id
),

-- Who the child lived with when the assessment began: every resident of the child's household then.
households as (
    select
        assessments.assessment_record_id,
        housemates.person_key,
        housemates.person_key = assessments.person_key as is_the_child,
        persons.date_of_birth <= assessments.assessment_start_date - interval 18 year as is_adult
    from assessments
    inner join {{ source('linkage', 'household_members') }} as child_home
        on
        assessments.person_key = child_home.person_key
        and assessments.assessment_start_date between child_home.resident_from and child_home.resident_to
    inner join {{ source('linkage', 'household_members') }} as housemates
        on
        child_home.household_key = housemates.household_key
        and assessments.assessment_start_date between housemates.resident_from and housemates.resident_to
    inner join {{ ref('linked_persons') }} as persons on housemates.person_key = persons.person_key
),

assaults as (
    select
        households.assessment_record_id,
        count(distinct households.person_key) filter (where households.is_adult) as household_adults,
        count(attendances.record_id) filter (where households.is_adult) as adult_assault_attendances,
        count(attendances.record_id) filter (where not households.is_adult) as child_assault_attendances,
        count(attendances.record_id) filter (where households.is_the_child) as own_assault_attendances
    from households
    inner join assessments on households.assessment_record_id = assessments.assessment_record_id
    left join {{ ref('linked_emergency_attendances') }} as attendances
        on
        households.person_key = attendances.person_key
        and attendances.is_assault
        and assessments.assessment_start_date > attendances.arrival_date
        and attendances.arrival_date >= assessments.assessment_start_date - 365
    group by households.assessment_record_id
),

harm as (
    select
        person_key,
        la_code,
        assessment_record_id,
        assessment_start_date,
        assessment_authorised_date,
        count(*) as factors,
        max(case when theme = 'domestic_abuse' then 1 else 0 end) = 1 as domestic_abuse,
        max(case when theme = 'domestic_abuse' and subject = 'child' then 1 else 0 end) = 1 as domestic_abuse_child_subject,
        max(case when theme = 'domestic_abuse' and subject = 'parent_or_carer' then 1 else 0 end) = 1 as domestic_abuse_parent_or_carer_subject,
        max(case when theme = 'child_sexual_exploitation' then 1 else 0 end) = 1 as child_sexual_exploitation,
        max(case when theme = 'child_criminal_exploitation' then 1 else 0 end) = 1 as child_criminal_exploitation,
        max(case when theme = 'gangs' then 1 else 0 end) = 1 as gangs,
        max(case when theme = 'trafficking' then 1 else 0 end) = 1 as trafficking,
        max(case when theme = 'going_missing' then 1 else 0 end) = 1 as going_missing,
        max(case when extra_familial_harm then 1 else 0 end) = 1 as any_extra_familial_harm
    from factors
    group by person_key, la_code, assessment_record_id, assessment_start_date, assessment_authorised_date
)

select
    harm.person_key,
    row_number() over (partition by harm.person_key order by harm.assessment_start_date, harm.assessment_record_id) as assessment_number,
    harm.la_code,
    harm.assessment_start_date,
    harm.assessment_authorised_date,
    harm.factors,
    harm.domestic_abuse,
    harm.domestic_abuse_child_subject,
    harm.domestic_abuse_parent_or_carer_subject,
    harm.child_sexual_exploitation,
    harm.child_criminal_exploitation,
    harm.gangs,
    harm.trafficking,
    harm.going_missing,
    harm.any_extra_familial_harm,
    assaults.household_adults,
    coalesce(assaults.adult_assault_attendances, 0) as household_adult_assault_attendances,
    coalesce(assaults.child_assault_attendances, 0) as household_child_assault_attendances,
    coalesce(assaults.own_assault_attendances, 0) as own_assault_attendances,
    coalesce(assaults.adult_assault_attendances + assaults.child_assault_attendances, 0) > 0 as household_assault_attendance
from harm
left join assaults on harm.assessment_record_id = assaults.assessment_record_id
