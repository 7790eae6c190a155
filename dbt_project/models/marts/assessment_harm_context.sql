-- The context of harm per children's social care assessment: domestic abuse (to the child, or
-- between the adults), and extra-familial harm (sexual and criminal exploitation, gangs,
-- trafficking, going missing), from the assessment's factor codes.
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
)

select
    person_key,
    row_number() over (partition by person_key order by assessment_start_date, assessment_record_id) as assessment_number,
    la_code,
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
