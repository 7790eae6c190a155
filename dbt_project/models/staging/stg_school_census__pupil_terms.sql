with pupils as (
    select
        *,
        regexp_extract(_source_file, 'school_census_([0-9]{4})_([a-z]+)', 2) as term
    from {{ source('raw', 'school_census') }}
)

select
    {{ record_id('school_census') }} as record_id,
    pupils.LA as la_code,
    pupils.Estab as estab,
    cast(pupils.PupilMatchingRef as integer) as pupil_matching_ref,
    pupils.UPN as upn,
    pupils.Forename as first_name,
    pupils.Surname as last_name,
    {{ parse_date('pupils.DOB', '%d/%m/%Y') }} as date_of_birth,
    pupils.Gender as sex_code,
    pupils.EthnicGroupMinor as ethnicity_code,
    case when pupils.NCyearActual = 'R' then 0 else cast(pupils.NCyearActual as integer) end as nc_year,
    pupils.FSMeligible = '1' as fsm_eligible,
    pupils.EnrolStatus as enrol_status_code,
    pupils.SAON as sao_text,
    pupils.PAON as pao_text,
    pupils.STREET as street,
    pupils.LOCALITY as locality,
    pupils.TOWN as town,
    {{ normalise_postcode('pupils.POSTCODE') }} as postcode,
    pupils.term,
    terms.term_order,
    make_date(pupils._collection_year, terms.census_month, terms.census_day) as census_date,
    regexp_replace(pupils._source_file, '\.csv$', '') as census_return,
    {{ provenance_columns(collection_year_as='census_year') }}
from pupils
left join {{ ref('school_census_terms') }} as terms on pupils.term = terms.term
