select
    {{ cin_keys('cin_section47') }},
    {{ parse_date('S47ActualStartDate', '%Y-%m-%d') }} as s47_start_date,
    {{ parse_date('DateOfInitialCPC', '%Y-%m-%d') }} as initial_cpc_date,
    ICPCnotRequired in ('1', 'true') as icpc_not_required,
    {{ provenance_columns() }}
from {{ source('raw', 'cin_section47') }}
