select
    {{ record_id('ssda903_header') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    CHILD as la_child_id,
    SEX as sex_code,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    ETHNIC as ethnicity_code,
    -- The header's UPN field holds the UPN, or a UN code saying why there is none (as CIN's UPNunknown).
    case when regexp_matches(UPN, '^UN[0-9]+$') then null else UPN end as upn,
    case when regexp_matches(UPN, '^UN[0-9]+$') then UPN end as upn_unknown_reason,
    MOTHER = '1' as is_mother,
    {{ parse_date('MC_DOB', '%d/%m/%Y') }} as mothers_child_date_of_birth,
    make_date(_collection_year, 3, 31) as reference_date,
    {{ provenance_columns() }}
from {{ source('raw', 'ssda903_header') }}
