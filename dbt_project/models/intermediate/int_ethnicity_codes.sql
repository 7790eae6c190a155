-- Every source's ethnicity code with the Census 2021 19-category group (where the two correspond
-- one to one) and the ONS 2021 high-level group; codes that say nothing (REFU, NOBT, Z, 99,
-- Unknown) map to null rather than to a guess.
{% set dfe_sources = ['school_census', 'cin_census', 'ssd', 'ssda903'] %}

select
    'census_2021' as source,
    code as ethnicity_code,
    code as ethnicity_19,
    broad_group as ethnicity_broad
from {{ ref('census_ethnic_group_19') }}
{% for source in dfe_sources %}
    union all
    select
        '{{ source }}' as source,
        code as ethnicity_code,
        census_ethnic_group_19 as ethnicity_19,
        broad_group as ethnicity_broad
    from {{ ref('dfe_ethnicity') }}
{% endfor %}
union all
select
    'hes_apc' as source,
    code as ethnicity_code,
    census_ethnic_group_19 as ethnicity_19,
    broad_group as ethnicity_broad
from {{ ref('hes_ethnic_category') }}
union all
select
    'ecds' as source,
    code as ethnicity_code,
    census_ethnic_group_19 as ethnicity_19,
    broad_group as ethnicity_broad
from {{ ref('hes_ethnic_category') }}
union all
select
    'youth_justice' as source,
    code as ethnicity_code,
    cast(null as {{ dbt.type_string() }}) as ethnicity_19,
    broad_group as ethnicity_broad
from {{ ref('youth_justice_ethnicity') }}
