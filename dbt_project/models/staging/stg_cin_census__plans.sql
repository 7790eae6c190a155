select
    {{ cin_keys('cin_plans') }},
    {{ parse_date('CINPlanStartDate', '%Y-%m-%d') }} as plan_start_date,
    {{ parse_date('CINPlanEndDate', '%Y-%m-%d') }} as plan_end_date,
    {{ provenance_columns() }}
from {{ source('raw', 'cin_plans') }}
