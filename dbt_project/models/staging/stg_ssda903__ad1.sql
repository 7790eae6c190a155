with raw_ad1 as (
    select * from {{ source('raw', 'ssda903_ad1') }}
)

select
    {{ record_id('ssda903_ad1') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    {{ parse_date('DATE_INT', '%d/%m/%Y') }} as should_be_placed_decision_date,
    {{ parse_date('DATE_MATCH', '%d/%m/%Y') }} as matched_date,
    FOSTER_CARE = '1' as adopted_by_foster_carer,
    cast(NB_ADOPTR as integer) as number_of_adopters,
    SEX_ADOPTR as adopters_sex_code,
    LS_ADOPTR as adopters_legal_status_code,
    {{ provenance_columns() }}
from raw_ad1
