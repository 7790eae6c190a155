-- One row per household spell: a property (by its pseudonymous key), when the household was
-- seen there, who lived there and how the household was made up when it was first seen.
with members as (
    select
        household_members.household_key,
        household_members.person_key,
        {{ dbt.datediff('persons.date_of_birth', 'spells.spell_from', 'year') }} as age_at_start
    from {{ source('linkage', 'household_members') }} as household_members
    inner join {{ source('linkage', 'household_spells') }} as spells on household_members.household_key = spells.household_key
    left join {{ ref('linked_persons') }} as persons on household_members.person_key = persons.person_key
),

composition as (
    select
        household_key,
        count(*) as members,
        cast(sum(case when age_at_start >= 18 then 1 else 0 end) as bigint) as adults,
        cast(sum(case when age_at_start < 18 then 1 else 0 end) as bigint) as children,
        cast(sum(case when age_at_start is null then 1 else 0 end) as bigint) as members_age_unknown
    from members
    group by household_key
)

select
    spells.household_key,
    spells.property_key,
    properties.la_code,
    properties.lsoa_code,
    properties.imd_decile,
    spells.spell_from,
    spells.spell_to,
    composition.members,
    composition.adults,
    composition.children,
    composition.members_age_unknown,
    case
        when composition.children > 0 and composition.adults = 1 then 'one adult with children'
        when composition.children > 0 and composition.adults >= 2 then 'two or more adults with children'
        when composition.children > 0 then 'children without an adult seen'
        when composition.adults = 1 then 'one adult'
        else 'two or more adults'
    end as composition
from {{ source('linkage', 'household_spells') }} as spells
inner join composition on spells.household_key = composition.household_key
left join {{ ref('stg_gazetteer__properties') }} as properties on spells.uprn = properties.uprn
