select
    {{ cin_keys('cin_protection_plans') }},
    {{ parse_date('CPPstartDate', '%Y-%m-%d') }} as plan_start_date,
    {{ parse_date('CPPendDate', '%Y-%m-%d') }} as plan_end_date,
    InitialCategoryOfAbuse as initial_category_code,
    LatestCategoryOfAbuse as latest_category_code,
    cast(NumberOfPreviousCPP as integer) as previous_plans,
    CPPreviewDates as review_dates,
    {{ provenance_columns() }}
from {{ source('raw', 'cin_protection_plans') }}
