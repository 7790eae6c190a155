with raw_reviews as (
    select * from {{ source('raw', 'ssda903_reviews') }}
)

select
    {{ record_id('ssda903_reviews') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    {{ parse_date('REVIEW', '%d/%m/%Y') }} as review_date,
    REVIEW_CODE as participation_code,
    {{ provenance_columns() }}
from raw_reviews
