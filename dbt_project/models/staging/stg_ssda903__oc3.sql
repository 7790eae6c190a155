with raw_oc3 as (
    select * from {{ source('raw', 'ssda903_oc3') }}
)

select
    {{ record_id('ssda903_oc3') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    IN_TOUCH as in_touch_code,
    ACTIV as activity_code,
    ACCOM as accommodation_code,
    {{ provenance_columns() }}
from raw_oc3
