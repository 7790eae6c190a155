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

children_in_need as (
    select
        record_id,
        'cin_census' as source,
        source_file,
        row_number,
        la_code,
        la_child_id,
        upn,
        cast(null as {{ dbt.type_string() }}) as nhs_number,
        first_name,
        last_name,
        date_of_birth,
        sex_code,
        ethnicity_code,
        address as address_text,
        postcode,
        make_date(collection_year - 1, 4, 1) as observed_from,
        reference_date as observed_to,
        reference_date as address_date
    from {{ ref('stg_cin_census__children') }}
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

records as (
    select * from census
    union all
    select * from school
    union all
    select * from children_in_need
    union all
    select * from looked_after
    union all
    select * from hospital
    union all
    select * from youth_justice
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
        when 'ssda903' then 4 when 'hes_apc' then 5 else 6
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
