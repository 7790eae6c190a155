-- The section 251 outturn's local authority rows (the regional and national rows are sums of LAs), one per
-- LA, financial year and expenditure line. Figures are whole pounds, a published symbol null with value_status
-- saying which; the category and the line come from the seeds, so a label an earlier release spelt otherwise
-- means the same category. parts_add_up and lines_add_up judge the totals, which LAs' returns sometimes get wrong.
{%- set amounts = [
    'own_provision', 'private_provision', 'other_public_sector_provision', 'voluntary_provision', 'total_expenditure', 'income',
    'net_current_expenditure', 'grants_inside_AEF', 'grants_outside_AEF', 'net_revenue_expenditure', 'per_capita_net_current_spend'
] %}

with published as (
    select
        {{ record_id('s251') }} as record_id,
        old_la_code as la_code,
        new_la_code as ons_la_code,
        la_name,
        {{ dbt.concat(["substring(time_period, 1, 4)", "'-'", "substring(time_period, 5, 2)"]) }} as financial_year,
        category_of_expenditure as category_as_published,
        regexp_extract(description_of_expenditure, '^([0-9]+[a-z]?([.][0-9]+[a-z]?)+) ', 1) as line_number,
        description_of_expenditure as description_as_published,
        {{ ees_amount('own_provision') }} as own_provision,
        {{ ees_amount('private_provision') }} as private_provision,
        {{ ees_amount('other_public_sector_provision') }} as other_public_sector_provision,
        {{ ees_amount('voluntary_provision') }} as voluntary_provision,
        {{ ees_amount('total_expenditure') }} as total_expenditure,
        {{ ees_amount('income') }} as income,
        {{ ees_amount('net_current_expenditure') }} as net_current_expenditure,
        {{ ees_amount('grants_inside_AEF') }} as grants_inside_aef,
        {{ ees_amount('grants_outside_AEF') }} as grants_outside_aef,
        {{ ees_amount('net_revenue_expenditure') }} as net_revenue_expenditure,
        {{ ees_amount('per_capita_net_current_spend') }} as per_capita_net_current_spend,
        {{ ees_value_status(amounts) }} as value_status,
        _collection_year,
        _source_file,
        _row_number,
        _release_run_id
    from {{ source('raw', 's251') }}
    where geographic_level = 'Local authority'
),

lines as (
    select * from {{ ref('s251_expenditure_lines') }}
),

categories as (
    select * from {{ ref('s251_categories') }}
),

harmonised as (
    select
        published.*,
        categories.category_code,
        categories.category,
        categories.in_childrens_social_care,
        lines.description as line_description,
        lines.line_kind,
        lines.parent_line_number,
        lines.is_category_total
    from published
    left join categories on published.category_as_published = categories.label
    left join lines on published.line_number = lines.line_number
),

-- What each subtotal and total sums, as the LA returned it: how many of its lines there are, how many carry a
-- figure, and their total.
lines_returned as (
    select
        la_code,
        _collection_year,
        parent_line_number as line_number,
        count(*) as lines_present,
        count(total_expenditure) as lines_known,
        sum(total_expenditure) as lines_total
    from harmonised
    where parent_line_number is not null
    group by la_code, _collection_year, parent_line_number
),

lines_expected as (
    select
        parent_line_number as line_number,
        count(*) as lines_expected
    from lines
    where parent_line_number is not null
    group by parent_line_number
)

select
    harmonised.record_id,
    harmonised.la_code,
    harmonised.ons_la_code,
    harmonised.la_name,
    harmonised.financial_year,
    harmonised._collection_year as collection_year,
    harmonised.category_code,
    harmonised.category,
    harmonised.category_as_published,
    harmonised.in_childrens_social_care,
    harmonised.line_number,
    harmonised.line_description,
    harmonised.description_as_published,
    harmonised.line_kind,
    harmonised.parent_line_number,
    harmonised.is_category_total,
    harmonised.own_provision,
    harmonised.private_provision,
    harmonised.other_public_sector_provision,
    harmonised.voluntary_provision,
    harmonised.total_expenditure,
    harmonised.income,
    harmonised.net_current_expenditure,
    harmonised.grants_inside_aef,
    harmonised.grants_outside_aef,
    harmonised.net_revenue_expenditure,
    harmonised.per_capita_net_current_spend,
    harmonised.value_status,
    -- Null where a provision column is not given (a symbol, or a line without that breakdown).
    harmonised.total_expenditure = (
        harmonised.own_provision + harmonised.private_provision + harmonised.other_public_sector_provision + harmonised.voluntary_provision
    ) as parts_add_up,
    -- Null for a line that sums nothing, and where one of its lines is missing (quarantined) or has no figure.
    case
        when lines_returned.lines_present = lines_expected.lines_expected and lines_returned.lines_known = lines_returned.lines_present
            then harmonised.total_expenditure = lines_returned.lines_total
    end as lines_add_up,
    harmonised._source_file as source_file,
    harmonised._row_number as row_number,
    harmonised._release_run_id as release_run_id
from harmonised
left join lines_returned
    on
    harmonised.la_code = lines_returned.la_code
    and harmonised._collection_year = lines_returned._collection_year
    and harmonised.line_number = lines_returned.line_number
left join lines_expected on harmonised.line_number = lines_expected.line_number
