select
    {{ record_id('cin_assessments') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    LAchildID as la_child_id,
    cast(CINdetailsNumber as integer) as cin_details_number,
    {{ parse_date('AssessmentActualStartDate', '%Y-%m-%d') }} as assessment_start_date,
    {{ parse_date('AssessmentAuthorisationDate', '%Y-%m-%d') }} as assessment_authorised_date,
    AssessmentFactors as factor_codes,
    _collection_year as collection_year,
    _source_file as source_file,
    _row_number as row_number
from {{ source('raw', 'cin_assessments') }}
