select
    {{ record_id('youth_justice') }} as record_id,
    YOT as yot_name,
    FORENAME as first_name,
    SURNAME as last_name,
    {{ parse_date('DOB', '%d-%b-%Y') }} as date_of_birth,
    SEX as sex_code,
    ETHNICITY as ethnicity_code,
    ADDRESS as address,
    {{ normalise_postcode('POSTCODE') }} as postcode,
    {{ parse_date('OFFENCE_DATE', '%d-%b-%Y') }} as offence_date,
    OFFENCE_TYPE as offence_type_code,
    OUTCOME as outcome_code,
    {{ parse_date('OUTCOME_DATE', '%d-%b-%Y') }} as outcome_date,
    {{ provenance_columns() }}
from {{ source('raw', 'youth_justice') }}
