with pupils as (
    select
        *,
        regexp_extract(_source_file, 'school_census_([0-9]{4})_([a-z]+)', 2) as term
    from {{ source('raw', 'school_census') }}
)

select
    {{ record_id('school_census') }} as record_id,
    pupils.LA as la_code,
    pupils.ESTAB as estab,
    pupils.UPN as upn,
    pupils.FORENAME as first_name,
    pupils.SURNAME as last_name,
    {{ parse_date('pupils.DOB', '%d/%m/%Y') }} as date_of_birth,
    pupils.SEX as sex_code,
    pupils.ETHNICITY as ethnicity_code,
    case when pupils.NC_YEAR = 'R' then 0 else cast(pupils.NC_YEAR as integer) end as nc_year,
    pupils.FSM_ELIGIBLE = '1' as fsm_eligible,
    pupils.SEN_PROVISION as sen_provision_code,
    pupils.SEN_PRIMARY_NEED as sen_primary_need_code,
    cast(pupils.SESSIONS_POSSIBLE as integer) as sessions_possible,
    cast(pupils.SESSIONS_MISSED as integer) as sessions_missed,
    cast(pupils.SUSPENSIONS as integer) as suspensions,
    pupils.PERMANENT_EXCLUSION = '1' as permanently_excluded,
    pupils.SAON as sao_text,
    pupils.PAON as pao_text,
    pupils.STREET as street,
    pupils.LOCALITY as locality,
    pupils.TOWN as town,
    {{ normalise_postcode('pupils.POSTCODE') }} as postcode,
    pupils.term,
    terms.term_order,
    make_date(pupils._collection_year, terms.census_month, terms.census_day) as census_date,
    {{ provenance_columns(collection_year_as='census_year') }}
from pupils
left join {{ ref('school_census_terms') }} as terms on pupils.term = terms.term
