with pupils as (
    select
        *,
        regexp_extract(_source_file, 'school_census_([0-9]{4})_([a-z]+)', 2) as term
    from {{ source('raw', 'school_census') }}
)

select
    {{ record_id('school_census') }} as record_id,
    LA as la_code,
    ESTAB as estab,
    UPN as upn,
    FORENAME as first_name,
    SURNAME as last_name,
    {{ parse_date('DOB', '%d/%m/%Y') }} as date_of_birth,
    SEX as sex_code,
    ETHNICITY as ethnicity_code,
    case when NC_YEAR = 'R' then 0 else cast(NC_YEAR as integer) end as nc_year,
    FSM_ELIGIBLE = '1' as fsm_eligible,
    SEN_PROVISION as sen_provision_code,
    SEN_PRIMARY_NEED as sen_primary_need_code,
    cast(SESSIONS_POSSIBLE as integer) as sessions_possible,
    cast(SESSIONS_MISSED as integer) as sessions_missed,
    cast(SUSPENSIONS as integer) as suspensions,
    PERMANENT_EXCLUSION = '1' as permanently_excluded,
    SAON as sao_text,
    PAON as pao_text,
    STREET as street,
    LOCALITY as locality,
    TOWN as town,
    {{ normalise_postcode('POSTCODE') }} as postcode,
    pupils.term,
    terms.term_order,
    make_date(_collection_year, terms.census_month, terms.census_day) as census_date,
    _collection_year as census_year,
    _source_file as source_file,
    _row_number as row_number
from pupils
left join {{ ref('school_census_terms') }} as terms on terms.term = pupils.term
