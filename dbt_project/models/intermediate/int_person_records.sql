-- One row per person-level record of any source, in one shape: identifiers, normalised names,
-- date of birth, harmonised sex and ethnicity, address and the period the record describes.
-- ethnicity_precedence ranks sources for when linked records disagree (see the model's docs).
with census as (
    select
        p.record_id, 'census_2021' as source, p.source_file, p.row_number,
        cast(null as {{ dbt.type_string() }}) as la_code, cast(null as {{ dbt.type_string() }}) as la_child_id,
        cast(null as {{ dbt.type_string() }}) as upn, cast(null as {{ dbt.type_string() }}) as nhs_number,
        p.first_name, p.last_name, p.date_of_birth, p.sex_code, p.ethnicity_code,
        concat_ws(', ', h.address_line_1, h.address_line_2, h.town) as address_text, h.postcode,
        p.census_date as observed_from, p.census_date as observed_to, p.census_date as address_date
    from {{ ref('stg_census_2021__persons') }} as p
    left join {{ ref('stg_census_2021__households') }} as h on h.census_household_id = p.census_household_id
),

school as (
    select
        record_id, 'school_census', source_file, row_number, la_code, cast(null as {{ dbt.type_string() }}), upn, cast(null as {{ dbt.type_string() }}),
        first_name, last_name, date_of_birth, sex_code, ethnicity_code,
        concat_ws(', ', sao_text, concat_ws(' ', pao_text, street), locality, town), postcode, census_date, census_date, census_date
    from {{ ref('stg_school_census__pupil_terms') }}
),

children_in_need as (
    select
        record_id, 'cin_census', source_file, row_number, la_code, la_child_id, upn, cast(null as {{ dbt.type_string() }}),
        first_name, last_name, date_of_birth, sex_code, ethnicity_code, address, postcode,
        make_date(collection_year - 1, 4, 1), reference_date, reference_date
    from {{ ref('stg_cin_census__children') }}
),

looked_after as (
    select
        record_id, 'ssda903', source_file, row_number, la_code, la_child_id, upn, cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}), date_of_birth, sex_code, ethnicity_code,
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}), make_date(collection_year - 1, 4, 1), reference_date, cast(null as date)
    from {{ ref('stg_ssda903__children') }}
),

hospital as (
    select
        record_id, 'hes_apc', source_file, row_number, cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}), nhs_number, first_name, last_name, date_of_birth, sex_code, ethnicity_code, address, postcode, admission_date, coalesce(discharge_date, admission_date), admission_date
    from {{ ref('stg_hes_apc__episodes') }}
),

youth_justice as (
    select
        record_id, 'youth_justice', source_file, row_number, cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}), cast(null as {{ dbt.type_string() }}), first_name, last_name, date_of_birth, sex_code,
        ethnicity_code, address, postcode, offence_date, coalesce(outcome_date, offence_date), offence_date
    from {{ ref('stg_youth_justice__offences') }}
),

records as (
    select * from census
    union all select * from school
    union all select * from children_in_need
    union all select * from looked_after
    union all select * from hospital
    union all select * from youth_justice
)

select
    r.record_id,
    r.source,
    r.source_file,
    r.row_number,
    r.la_code,
    r.la_child_id,
    r.upn,
    r.nhs_number,
    {{ normalise_name('r.first_name') }} as first_name,
    {{ normalise_name('r.last_name') }} as last_name,
    r.date_of_birth,
    coalesce(s.sex, 'unknown') as sex,
    r.sex_code as source_sex_code,
    e.ethnicity_19,
    e.ethnicity_broad,
    r.ethnicity_code as source_ethnicity_code,
    case r.source
        when 'census_2021' then 1 when 'school_census' then 2 when 'cin_census' then 3
        when 'ssda903' then 4 when 'hes_apc' then 5 else 6
    end as ethnicity_precedence,
    r.address_text,
    r.postcode,
    r.observed_from,
    r.observed_to,
    r.address_date
from records as r
left join {{ ref('sex_codes') }} as s on s.source = r.source and s.code = r.sex_code
left join {{ ref('int_ethnicity_codes') }} as e on e.source = r.source and e.ethnicity_code = r.ethnicity_code
