-- The LA register of children not in school (a Hearth layout: README), one row per entry per yearly
-- extract. An entry open across two academic years is in both years' extracts; the later one says how it
-- ended. Names are normalised and sex harmonised here, as linkage and the marts compare them.
with register as (
    select * from {{ source('raw', 'cnis_register') }}
),

register_sex as (
    select
        code,
        sex
    from {{ ref('sex_codes') }}
    where source = 'cnis'
)

select
    {{ record_id('cnis_register') }} as record_id,
    {{ la_code_from_file('register._source_file') }} as la_code,
    register.RegisterEntryID as register_entry_id,
    register.Register as register,
    register.UPN as upn,
    {{ normalise_name('register.Forename') }} as first_name,
    {{ normalise_name('register.Surname') }} as last_name,
    {{ parse_date('register.DOB', '%d/%m/%Y') }} as date_of_birth,
    register.Sex as sex_code,
    coalesce(register_sex.sex, 'unknown') as sex,
    nullif(concat_ws(', ', register.AddressLine1, register.AddressLine2, register.Town), '') as address_text,
    {{ normalise_postcode('register.Postcode') }} as postcode,
    {{ normalise_name('register.ParentForename') }} as parent_first_name,
    {{ normalise_name('register.ParentSurname') }} as parent_last_name,
    {{ parse_date('register.DateOnRegister', '%d/%m/%Y') }} as date_on_register,
    {{ parse_date('register.DateOffRegister', '%d/%m/%Y') }} as date_off_register,
    register.Reason as reason,
    register.DateOffReason as date_off_reason,
    register.PreviousSchoolLA as previous_school_la_code,
    register.PreviousSchoolEstab as previous_school_estab,
    register.DestinationLA as destination_la_code,
    register.DestinationEstab as destination_estab,
    make_date(register._collection_year, 8, 31) as extract_date,
    {{ provenance_columns() }}
from register
left join register_sex on register.Sex = register_sex.code
