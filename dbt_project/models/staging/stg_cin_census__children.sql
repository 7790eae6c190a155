select
    {{ record_id('cin_children') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    LAchildID as la_child_id,
    UPN as upn,
    UPNunknown as upn_unknown_reason,
    {{ parse_date('PersonBirthDate', '%Y-%m-%d') }} as date_of_birth,
    GenderCurrent as sex_code,
    Ethnicity as ethnicity_code,
    make_date(_collection_year, 3, 31) as reference_date,
    {{ provenance_columns() }}
from {{ source('raw', 'cin_children') }}
