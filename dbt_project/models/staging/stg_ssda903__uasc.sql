with raw_uasc as (
    select * from {{ source('raw', 'ssda903_uasc') }}
)

select
    {{ record_id('ssda903_uasc') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    SEX as sex_code,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    {{ parse_date('DUC', '%d/%m/%Y') }} as uasc_ceased_date,
    {{ provenance_columns() }}
from raw_uasc
