select
    {{ record_id('census_2021_persons') }} as record_id,
    CENSUS_HH_ID as census_household_id,
    cast(PERSON_NUMBER as integer) as person_number,
    FORENAME as first_name,
    SURNAME as last_name,
    {{ parse_date('DATE_OF_BIRTH', '%Y-%m-%d') }} as date_of_birth,
    SEX as sex_code,
    ETHNIC_GROUP as ethnicity_code,
    RELATIONSHIP_TO_PERSON_1 as relationship_to_person_1_code,
    cast('2021-03-21' as date) as census_date,
    _source_file as source_file,
    _row_number as row_number,
    _release_run_id as release_run_id
from {{ source('raw', 'census_2021_persons') }}
