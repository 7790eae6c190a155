select
    {{ record_id('cin_plans') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    LAchildID as la_child_id,
    cast(CINdetailsNumber as integer) as cin_details_number,
    {{ parse_date('CINPlanStartDate', '%Y-%m-%d') }} as plan_start_date,
    {{ parse_date('CINPlanEndDate', '%Y-%m-%d') }} as plan_end_date,
    _collection_year as collection_year,
    _source_file as source_file,
    _row_number as row_number
from {{ source('raw', 'cin_plans') }}
