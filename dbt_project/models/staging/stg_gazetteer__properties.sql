select
    cast(UPRN as bigint) as uprn,
    cast(PARENT_UPRN as bigint) as parent_uprn,
    CLASSIFICATION_CODE as classification_code,
    SAO_TEXT as sao_text,
    cast(PAO_START_NUMBER as integer) as pao_start_number,
    PAO_TEXT as pao_text,
    STREET_DESCRIPTION as street,
    LOCALITY as locality,
    TOWN_NAME as town,
    {{ normalise_postcode('POSTCODE_LOCATOR') }} as postcode,
    LOCAL_CUSTODIAN_CODE as la_code,
    LSOA21CD as lsoa_code,
    cast(IMD_DECILE as integer) as imd_decile,
    _collection_year as snapshot_year
from {{ source('raw', 'gazetteer') }}
