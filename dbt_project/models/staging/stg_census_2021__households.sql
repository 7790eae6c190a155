select
    {{ record_id('census_2021_households') }} as record_id,
    CENSUS_HH_ID as census_household_id,
    ADDRESS_LINE_1 as address_line_1,
    ADDRESS_LINE_2 as address_line_2,
    TOWN as town,
    {{ normalise_postcode('POSTCODE') }} as postcode,
    ACCOMMODATION_TYPE as accommodation_type_code,
    TENURE as tenure_code,
    cast(NUMBER_OF_RESIDENTS as integer) as usual_residents,
    DEP_EMPLOYMENT = '1' as deprived_employment,
    DEP_EDUCATION = '1' as deprived_education,
    DEP_HEALTH_DISABILITY = '1' as deprived_health_disability,
    DEP_HOUSING = '1' as deprived_housing,
    _source_file as source_file,
    _row_number as row_number
from {{ source('raw', 'census_2021_households') }}
