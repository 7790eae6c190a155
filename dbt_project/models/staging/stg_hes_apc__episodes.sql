select
    {{ record_id('hes_apc') }} as record_id,
    EPIKEY as episode_key,
    NEWNHSNO as nhs_number,
    FORENAME as first_name,
    SURNAME as last_name,
    {{ parse_date('DOB', '%Y%m%d') }} as date_of_birth,
    SEX as sex_code,
    ETHNOS as ethnicity_code,
    HOMEADD as address,
    {{ normalise_postcode('POSTCODE') }} as postcode,
    {{ parse_date('ADMIDATE', '%Y%m%d') }} as admission_date,
    {{ parse_date('DISDATE', '%Y%m%d') }} as discharge_date,
    ADMIMETH as admission_method_code,
    DIAG_4_01 as primary_diagnosis_code,
    {{ provenance_columns() }}
from {{ source('raw', 'hes_apc') }}
