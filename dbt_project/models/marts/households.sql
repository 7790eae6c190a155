-- One row per household spell: a property (by its pseudonymous key), when the household was
-- seen there, who lived there and how the household was made up when it was first seen.
with members as (
    select m.household_key, m.person_key, {{ dbt.datediff('p.date_of_birth', 's.spell_from', 'year') }} as age_at_start
    from {{ source('linkage', 'household_members') }} as m
    join {{ source('linkage', 'household_spells') }} as s on s.household_key = m.household_key
    left join {{ ref('linked_persons') }} as p on p.person_key = m.person_key
),

composition as (
    select
        household_key,
        count(*) as members,
        cast(sum(case when age_at_start >= 18 then 1 else 0 end) as bigint) as adults,
        cast(sum(case when age_at_start < 18 then 1 else 0 end) as bigint) as children,
        cast(sum(case when age_at_start is null then 1 else 0 end) as bigint) as members_age_unknown
    from members group by household_key
)

select
    s.household_key,
    s.property_key,
    g.la_code,
    g.lsoa_code,
    g.imd_decile,
    s.spell_from,
    s.spell_to,
    c.members,
    c.adults,
    c.children,
    c.members_age_unknown,
    case
        when c.children > 0 and c.adults = 1 then 'one adult with children'
        when c.children > 0 and c.adults >= 2 then 'two or more adults with children'
        when c.children > 0 then 'children without an adult seen'
        when c.adults = 1 then 'one adult'
        else 'two or more adults'
    end as composition
from {{ source('linkage', 'household_spells') }} as s
join composition as c on c.household_key = s.household_key
left join {{ ref('stg_gazetteer__properties') }} as g on g.uprn = s.uprn
