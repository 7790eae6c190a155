select
    {{ record_id('cin_section47') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    LAchildID as la_child_id,
    cast(CINdetailsNumber as integer) as cin_details_number,
    {{ parse_date('S47ActualStartDate', '%Y-%m-%d') }} as s47_start_date,
    {{ parse_date('DateOfInitialCPC', '%Y-%m-%d') }} as initial_cpc_date,
    ICPCnotRequired in ('1', 'true') as icpc_not_required,
    _collection_year as collection_year,
    _source_file as source_file,
    _row_number as row_number
from {{ source('raw', 'cin_section47') }}
