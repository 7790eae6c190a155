select
    {{ record_id('cin_protection_plans') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    LAchildID as la_child_id,
    cast(CINdetailsNumber as integer) as cin_details_number,
    {{ parse_date('CPPstartDate', '%Y-%m-%d') }} as plan_start_date,
    {{ parse_date('CPPendDate', '%Y-%m-%d') }} as plan_end_date,
    InitialCategoryOfAbuse as initial_category_code,
    LatestCategoryOfAbuse as latest_category_code,
    cast(NumberOfPreviousCPP as integer) as previous_plans,
    CPPreviewDates as review_dates,
    _collection_year as collection_year,
    _source_file as source_file,
    _row_number as row_number
from {{ source('raw', 'cin_protection_plans') }}
