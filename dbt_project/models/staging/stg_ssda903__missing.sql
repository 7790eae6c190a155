with raw_missing as (
    select * from {{ source('raw', 'ssda903_missing') }}
)

select
    {{ record_id('ssda903_missing') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    MISSING as missing_type_code,
    {{ parse_date('MIS_START', '%d/%m/%Y') }} as missing_start_date,
    {{ parse_date('MIS_END', '%d/%m/%Y') }} as missing_end_date,
    {{ provenance_columns() }}
from raw_missing
