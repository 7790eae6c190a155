select
    {{ cin_keys('cin_assessments') }},
    {{ parse_date('AssessmentActualStartDate', '%Y-%m-%d') }} as assessment_start_date,
    {{ parse_date('AssessmentAuthorisationDate', '%Y-%m-%d') }} as assessment_authorised_date,
    AssessmentFactors as factor_codes,
    {{ provenance_columns() }}
from {{ source('raw', 'cin_assessments') }}
