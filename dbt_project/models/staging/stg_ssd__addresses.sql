-- SSD holds the address as JSON with fixed keys (empty when the LA does not hold the part).
with addresses as (
    select
        {{ record_id('ssd_address') }} as record_id,
        {{ la_code_from_file('_source_file') }} as la_code,
        addr_person_id as person_id,
        addr_table_id as address_id,
        addr_address_type as address_type,
        {{ parse_date('addr_address_start_date', '%Y-%m-%d') }} as address_start_date,
        {{ parse_date('addr_address_end_date', '%Y-%m-%d') }} as address_end_date,
        {{ normalise_postcode('addr_address_postcode') }} as postcode,
        cast(addr_address_json as json) as address_json,
        {{ provenance_columns() }}
    from {{ source('raw', 'ssd_address') }}
)

select
    record_id,
    la_code,
    person_id,
    address_id,
    address_type,
    address_start_date,
    address_end_date,
    postcode,
    nullif(
        concat_ws(
            ', ',
            nullif(address_json ->> 'ROOM', ''),
            nullif(address_json ->> 'FLOOR', ''),
            nullif(address_json ->> 'FLAT', ''),
            nullif(address_json ->> 'BUILDING', ''),
            nullif(address_json ->> 'HOUSE', ''),
            nullif(address_json ->> 'STREET', ''),
            nullif(address_json ->> 'TOWN', '')
        ),
        ''
    ) as address_text,
    collection_year,
    source_file,
    row_number
from addresses
