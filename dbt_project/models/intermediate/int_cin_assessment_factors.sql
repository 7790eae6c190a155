-- One row per factor identified at the end of a CIN assessment, with its theme and whether it
-- is extra-familial harm; the same assessment repeated in later returns is kept once.
with assessments as (
    select * from (
        {{ latest_return(ref('stg_cin_census__assessments'), ['la_code', 'la_child_id', 'assessment_start_date']) }}
    ) as latest
    where factor_codes is not null
),

factors as (
    select record_id, la_code, la_child_id, assessment_start_date, assessment_authorised_date, {{ explode_list('factor_codes') }} as factor_code
    from assessments
)

select
    {{ dbt.concat(["f.record_id", "'|'", "f.factor_code"]) }} as assessment_factor_id,
    f.record_id as assessment_record_id,
    f.la_code,
    f.la_child_id,
    f.assessment_start_date,
    f.assessment_authorised_date,
    f.factor_code,
    a.theme,
    a.subject,
    a.extra_familial_harm
from factors as f
left join {{ ref('assessment_factors') }} as a on a.code = f.factor_code
