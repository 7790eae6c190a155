-- Hardship per household and school census year, side by side: free school meals among the
-- household's pupils that year, the Census 2021 household deprivation dimensions (for the spell
-- that covered census day) and the area's IMD decile.
with pupils as (
    select
        household_members.household_key,
        pupil_years.census_year,
        pupil_years.person_key,
        pupil_years.fsm_eligible_any_term
    from {{ ref('linked_pupil_years') }} as pupil_years
    inner join {{ source('linkage', 'household_members') }} as household_members
        on pupil_years.person_key = household_members.person_key
        and make_date(pupil_years.census_year, 12, 31) >= household_members.resident_from
        and make_date(pupil_years.census_year, 1, 1) <= household_members.resident_to
),

household_years as (
    select
        household_key,
        census_year,
        count(distinct person_key) as pupils,
        count(distinct case when fsm_eligible_any_term then person_key end) as fsm_eligible_pupils
    from pupils
    group by household_key, census_year
),

census_forms as (
    select
        household_members.household_key,
        census_households.deprived_employment,
        census_households.deprived_education,
        census_households.deprived_health_disability,
        census_households.deprived_housing,
        row_number() over (
            partition by household_members.household_key order by count(*) desc, census_households.census_household_id asc
        ) as rank
    from {{ ref('stg_census_2021__households') }} as census_households
    inner join {{ ref('stg_census_2021__persons') }} as census_persons
        on census_households.census_household_id = census_persons.census_household_id
    inner join {{ source('linkage', 'person_links') }} as person_links on census_persons.record_id = person_links.record_id
    inner join {{ source('linkage', 'household_members') }} as household_members
        on person_links.person_key = household_members.person_key
        and census_persons.census_date between household_members.resident_from and household_members.resident_to
    group by
        household_members.household_key,
        census_households.census_household_id,
        census_households.deprived_employment,
        census_households.deprived_education,
        census_households.deprived_health_disability,
        census_households.deprived_housing
)

select
    household_years.household_key,
    households.property_key,
    households.la_code,
    households.lsoa_code,
    households.imd_decile,
    household_years.census_year,
    household_years.pupils,
    household_years.fsm_eligible_pupils,
    household_years.fsm_eligible_pupils > 0 as any_pupil_fsm_eligible,
    census_forms.deprived_employment as census_deprived_employment,
    census_forms.deprived_education as census_deprived_education,
    census_forms.deprived_health_disability as census_deprived_health_disability,
    census_forms.deprived_housing as census_deprived_housing,
    case
        when census_forms.household_key is not null then
            cast(census_forms.deprived_employment as integer) + cast(census_forms.deprived_education as integer)
            + cast(census_forms.deprived_health_disability as integer) + cast(census_forms.deprived_housing as integer)
    end as census_deprivation_dimensions
from household_years
inner join {{ ref('households') }} as households on household_years.household_key = households.household_key
left join census_forms on household_years.household_key = census_forms.household_key and census_forms.rank = 1
