select
    {{ record_id('ssd_person') }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    pers_person_id as person_id,
    pers_upn as upn,
    pers_forename as first_name,
    pers_surname as last_name,
    pers_sex as sex_code,
    pers_ethnicity as ethnicity_code,
    {{ parse_date('pers_dob', '%Y-%m-%d') }} as date_of_birth,
    {{ provenance_columns() }}
from {{ source('raw', 'ssd_person') }}
