-- One row per factor identified at the end of a CIN assessment, with its theme and whether it
-- is extra-familial harm; the same assessment repeated in later returns is kept once.
with latest_assessments as (
    {{ latest_return(ref('stg_cin_census__assessments'), ['la_code', 'la_child_id', 'assessment_start_date']) }}
),

assessments as (
    select *
    from latest_assessments
    where factor_codes is not null
),

factors as (
    select
        record_id,
        la_code,
        la_child_id,
        assessment_start_date,
        assessment_authorised_date,
        {{ explode_list('factor_codes') }} as factor_code
    from assessments
)

select
    {{ dbt.concat(["factors.record_id", "'|'", "factors.factor_code"]) }} as assessment_factor_id,
    factors.record_id as assessment_record_id,
    factors.la_code,
    factors.la_child_id,
    factors.assessment_start_date,
    factors.assessment_authorised_date,
    factors.factor_code,
    factor_themes.theme,
    factor_themes.subject,
    factor_themes.extra_familial_harm
from factors
left join {{ ref('assessment_factors') }} as factor_themes on factors.factor_code = factor_themes.code
