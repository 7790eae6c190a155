-- One row per person-level record of any source, in one shape: identifiers, normalised names,
-- date of birth, harmonised sex and ethnicity, address and the period the record describes.
-- ethnicity_precedence ranks sources for when linked records disagree (see the model's docs).
with census as (
    select
        census_persons.record_id,
        'census_2021' as source,
        census_persons.source_file,
        census_persons.row_number,
        cast(null as {{ dbt.type_string() }}) as la_code,
        cast(null as {{ dbt.type_string() }}) as la_child_id,
        cast(null as {{ dbt.type_string() }}) as upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        census_persons.first_name,
        census_persons.last_name,
        census_persons.date_of_birth,
        census_persons.sex_code,
        census_persons.ethnicity_code,
        concat_ws(', ', census_households.address_line_1, census_households.address_line_2, census_households.town) as address_text,
        census_households.postcode,
        census_persons.census_date as observed_from,
        census_persons.census_date as observed_to,
        census_persons.census_date as address_date
    from {{ ref('stg_census_2021__persons') }} as census_persons
    left join {{ ref('stg_census_2021__households') }} as census_households
        on census_persons.census_household_id = census_households.census_household_id
),

school as (
    select
        record_id,
        'school_census' as source,
        source_file,
        row_number,
        la_code,
        cast(null as {{ dbt.type_string() }}) as la_child_id,
        upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        first_name,
        last_name,
        date_of_birth,
        sex_code,
        ethnicity_code,
        concat_ws(', ', sao_text, concat_ws(' ', pao_text, street), locality, town) as address_text,
        postcode,
        census_date as observed_from,
        census_date as observed_to,
        census_date as address_date
    from {{ ref('stg_school_census__pupil_terms') }}
    -- A pupil term is one record of the return: held back whole when its attendance or SEN row was quarantined.
    where record_id in (select school_terms.record_id from {{ ref('int_school_terms') }} as school_terms)
),

-- The CIN census carries no names or addresses: the LA's case-management extract of the same year
-- holds them, keyed by the LA's person id (the LAchildID). A person id repeated in one extract (a
-- duplicated row) counts once; the address is the one current at the census reference date.
case_management_persons as (
    select
        la_code,
        person_id,
        collection_year,
        first_name,
        last_name
    from {{ ref('stg_ssd__persons') }}
    qualify row_number() over (partition by la_code, person_id, collection_year order by row_number) = 1
),

case_management_addresses as (
    select
        la_code,
        person_id,
        collection_year,
        address_text,
        postcode
    from {{ ref('stg_ssd__addresses') }}
    where address_end_date is null or address_end_date >= make_date(collection_year, 3, 31)
    qualify row_number() over (
        partition by la_code, person_id, collection_year order by address_start_date desc nulls last, row_number asc
    ) = 1
),

children_in_need as (
    select
        cin_children.record_id,
        'cin_census' as source,
        cin_children.source_file,
        cin_children.row_number,
        cin_children.la_code,
        cin_children.la_child_id,
        cin_children.upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        case_management_persons.first_name,
        case_management_persons.last_name,
        cin_children.date_of_birth,
        cin_children.sex_code,
        cin_children.ethnicity_code,
        case_management_addresses.address_text,
        case_management_addresses.postcode,
        make_date(cin_children.collection_year - 1, 4, 1) as observed_from,
        cin_children.reference_date as observed_to,
        cin_children.reference_date as address_date
    from {{ ref('stg_cin_census__children') }} as cin_children
    left join case_management_persons
        on
        cin_children.la_code = case_management_persons.la_code
        and cin_children.la_child_id = case_management_persons.person_id
        and cin_children.collection_year = case_management_persons.collection_year
    left join case_management_addresses
        on
        cin_children.la_code = case_management_addresses.la_code
        and cin_children.la_child_id = case_management_addresses.person_id
        and cin_children.collection_year = case_management_addresses.collection_year
),

-- The LA's extract also names children it recorded only as contacts, in early help or given a service:
-- each is a record of its own for the year, with the address the LA held at 31 March.
case_management_only as (
    select
        ssd_persons.record_id,
        'ssd' as source,
        ssd_persons.source_file,
        ssd_persons.row_number,
        ssd_persons.la_code,
        ssd_persons.person_id as la_child_id,
        ssd_persons.upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        ssd_persons.first_name,
        ssd_persons.last_name,
        ssd_persons.date_of_birth,
        ssd_persons.sex_code,
        ssd_persons.ethnicity_code,
        case_management_addresses.address_text,
        case_management_addresses.postcode,
        make_date(ssd_persons.collection_year - 1, 4, 1) as observed_from,
        make_date(ssd_persons.collection_year, 3, 31) as observed_to,
        make_date(ssd_persons.collection_year, 3, 31) as address_date
    from {{ ref('stg_ssd__persons') }} as ssd_persons
    left join case_management_addresses
        on
        ssd_persons.la_code = case_management_addresses.la_code
        and ssd_persons.person_id = case_management_addresses.person_id
        and ssd_persons.collection_year = case_management_addresses.collection_year
    where
        not exists (
            select 1
            from {{ ref('stg_cin_census__children') }} as cin_children
            where
                cin_children.la_code = ssd_persons.la_code
                and cin_children.la_child_id = ssd_persons.person_id
                and cin_children.collection_year = ssd_persons.collection_year
        )
    qualify row_number() over (partition by ssd_persons.la_code, ssd_persons.person_id, ssd_persons.collection_year order by ssd_persons.row_number) = 1
),

looked_after as (
    select
        record_id,
        'ssda903' as source,
        source_file,
        row_number,
        la_code,
        la_child_id,
        upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        cast(null as {{ dbt.type_string() }}) as first_name,
        cast(null as {{ dbt.type_string() }}) as last_name,
        date_of_birth,
        sex_code,
        ethnicity_code,
        cast(null as {{ dbt.type_string() }}) as address_text,
        cast(null as {{ dbt.type_string() }}) as postcode,
        make_date(collection_year - 1, 4, 1) as observed_from,
        reference_date as observed_to,
        cast(null as date) as address_date
    from {{ ref('stg_ssda903__children') }}
),

hospital as (
    select
        record_id,
        'hes_apc' as source,
        source_file,
        row_number,
        cast(null as {{ dbt.type_string() }}) as la_code,
        cast(null as {{ dbt.type_string() }}) as la_child_id,
        cast(null as {{ dbt.type_string() }}) as upn,
        nhs_number,
        first_name,
        last_name,
        date_of_birth,
        sex_code,
        ethnicity_code,
        address as address_text,
        postcode,
        admission_date as observed_from,
        coalesce(discharge_date, admission_date) as observed_to,
        admission_date as address_date
    from {{ ref('stg_hes_apc__episodes') }}
),

-- Emergency department attendances: the patient as the provider recorded them, at the address given
-- on arrival, for the attendance's day or days.
emergency_care as (
    select
        record_id,
        'ecds' as source,
        source_file,
        row_number,
        cast(null as {{ dbt.type_string() }}) as la_code,
        cast(null as {{ dbt.type_string() }}) as la_child_id,
        cast(null as {{ dbt.type_string() }}) as upn,
        nhs_number,
        first_name,
        last_name,
        date_of_birth,
        sex_code,
        ethnicity_code,
        address as address_text,
        postcode,
        arrival_date as observed_from,
        greatest(arrival_date, departure_date) as observed_to,
        arrival_date as address_date
    from {{ ref('stg_ecds__attendances') }}
),

youth_justice as (
    select
        record_id,
        'youth_justice' as source,
        source_file,
        row_number,
        cast(null as {{ dbt.type_string() }}) as la_code,
        cast(null as {{ dbt.type_string() }}) as la_child_id,
        cast(null as {{ dbt.type_string() }}) as upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        first_name,
        last_name,
        date_of_birth,
        sex_code,
        ethnicity_code,
        address as address_text,
        postcode,
        offence_date as observed_from,
        coalesce(outcome_date, offence_date) as observed_to,
        offence_date as address_date
    from {{ ref('stg_youth_justice__offences') }}
),

-- The register of children not in school: the child as the entry names them, at the address held on
-- the date on, for the period the entry was open (to the extract date while it still is).
not_in_school as (
    select
        record_id,
        'cnis' as source,
        source_file,
        row_number,
        la_code,
        cast(null as {{ dbt.type_string() }}) as la_child_id,
        upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        first_name,
        last_name,
        date_of_birth,
        sex_code,
        cast(null as {{ dbt.type_string() }}) as ethnicity_code,
        address_text,
        postcode,
        date_on_register as observed_from,
        greatest(date_on_register, coalesce(date_off_register, extract_date)) as observed_to,
        date_on_register as address_date
    from {{ ref('stg_cnis__register') }}
),

records as (
    select * from census
    union all
    select * from school
    union all
    select * from children_in_need
    union all
    select * from case_management_only
    union all
    select * from looked_after
    union all
    select * from hospital
    union all
    select * from emergency_care
    union all
    select * from youth_justice
    union all
    select * from not_in_school
)

select
    records.record_id,
    records.source,
    records.source_file,
    records.row_number,
    records.la_code,
    records.la_child_id,
    records.upn,
    records.nhs_number,
    {{ normalise_name('records.first_name') }} as first_name,
    {{ normalise_name('records.last_name') }} as last_name,
    records.date_of_birth,
    coalesce(sex_codes.sex, 'unknown') as sex,
    records.sex_code as source_sex_code,
    ethnicity_codes.ethnicity_19,
    ethnicity_codes.ethnicity_broad,
    records.ethnicity_code as source_ethnicity_code,
    case records.source
        when 'census_2021' then 1 when 'school_census' then 2 when 'cin_census' then 3
        when 'ssda903' then 4 when 'hes_apc' then 5 when 'ecds' then 5 else 6
    end as ethnicity_precedence,
    records.address_text,
    records.postcode,
    records.observed_from,
    records.observed_to,
    records.address_date
from records
left join {{ ref('sex_codes') }} as sex_codes on records.source = sex_codes.source and records.sex_code = sex_codes.code
left join {{ ref('int_ethnicity_codes') }} as ethnicity_codes
    on records.source = ethnicity_codes.source and records.ethnicity_code = ethnicity_codes.ethnicity_code
