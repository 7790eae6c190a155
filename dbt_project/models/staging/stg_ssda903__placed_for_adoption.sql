with raw_placed_for_adoption as (
    select * from {{ source('raw', 'ssda903_placed_for_adoption') }}
)

select
    {{ record_id('ssda903_placed_for_adoption') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    {{ parse_date('DATE_PLACED', '%d/%m/%Y') }} as decision_date,
    {{ parse_date('DATE_PLACED_CEASED', '%d/%m/%Y') }} as decision_ceased_date,
    REASON_PLACED_CEASED as reason_ceased_code,
    {{ provenance_columns() }}
from raw_placed_for_adoption
