with raw_previous_permanence as (
    select * from {{ source('raw', 'ssda903_previous_permanence') }}
)

select
    {{ record_id('ssda903_previous_permanence') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    PREV_PERM as previous_permanence_code,
    LA_PERM as previous_permanence_la,
    {{ parse_date('DATE_PERM', '%d/%m/%Y') }} as previous_permanence_date,
    {{ provenance_columns() }}
from raw_previous_permanence
