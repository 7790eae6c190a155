{#- Columns every staging model carries, written once. The collection year takes another name where
    the source calls it something else (the school census year). -#}
{% macro provenance_columns(collection_year_as='collection_year') -%}
    _collection_year as {{ collection_year_as }},
    _source_file as source_file,
    _row_number as row_number,
    _release_run_id as release_run_id
{%- endmacro %}

{#- The keys every CIN census table shares: the record, its LA, the child and its CINdetails. -#}
{% macro cin_keys(table) -%}
    {{ record_id(table) }} as record_id,
    {{ la_code_from_file('_source_file') }} as la_code,
    LAchildID as la_child_id,
    cast(CINdetailsNumber as integer) as cin_details_number
{%- endmacro %}

{#- The newest version of each record that several years' returns repeat (an episode open across
    31 March appears in both returns): the latest collection year wins. -#}
{% macro latest_return(relation, key_columns) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key_columns | join(', ') }} order by collection_year desc, row_number) as return_version
        from {{ relation }}
    ) as versions
    where return_version = 1
{%- endmacro %}
