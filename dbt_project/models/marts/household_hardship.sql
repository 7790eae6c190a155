-- Hardship per household and school census year, side by side: free school meals among the
-- household's pupils that year, the Census 2021 household deprivation dimensions (for the spell
-- that covered census day) and the area's IMD decile.
with pupils as (
    select m.household_key, y.census_year, y.person_key, y.fsm_eligible_any_term
    from {{ ref('linked_pupil_years') }} as y
    join {{ source('linkage', 'household_members') }} as m
        on m.person_key = y.person_key
        and m.resident_from <= make_date(y.census_year, 12, 31)
        and m.resident_to >= make_date(y.census_year, 1, 1)
),

household_years as (
    select
        household_key,
        census_year,
        count(distinct person_key) as pupils,
        count(distinct case when fsm_eligible_any_term then person_key end) as fsm_eligible_pupils
    from pupils group by household_key, census_year
),

census_forms as (
    select
        m.household_key, h.deprived_employment, h.deprived_education, h.deprived_health_disability, h.deprived_housing,
        row_number() over (partition by m.household_key order by count(*) desc, h.census_household_id) as rank
    from {{ ref('stg_census_2021__households') }} as h
    join {{ ref('stg_census_2021__persons') }} as p on p.census_household_id = h.census_household_id
    join {{ source('linkage', 'person_links') }} as l on l.record_id = p.record_id
    join {{ source('linkage', 'household_members') }} as m
        on m.person_key = l.person_key and p.census_date between m.resident_from and m.resident_to
    group by m.household_key, h.census_household_id, h.deprived_employment, h.deprived_education, h.deprived_health_disability, h.deprived_housing
)

select
    y.household_key,
    d.property_key,
    d.la_code,
    d.lsoa_code,
    d.imd_decile,
    y.census_year,
    y.pupils,
    y.fsm_eligible_pupils,
    y.fsm_eligible_pupils > 0 as any_pupil_fsm_eligible,
    c.deprived_employment as census_deprived_employment,
    c.deprived_education as census_deprived_education,
    c.deprived_health_disability as census_deprived_health_disability,
    c.deprived_housing as census_deprived_housing,
    case when c.household_key is not null then
        cast(c.deprived_employment as integer) + cast(c.deprived_education as integer)
        + cast(c.deprived_health_disability as integer) + cast(c.deprived_housing as integer)
    end as census_deprivation_dimensions
from household_years as y
join {{ ref('households') }} as d on d.household_key = y.household_key
left join census_forms as c on c.household_key = y.household_key and c.rank = 1
