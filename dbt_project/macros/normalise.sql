{#- One way to compare names and postcodes across sources: upper case, letters only for names
    (hyphens and apostrophes dropped), a single space before a postcode's inward code. -#}
{% macro normalise_name(column) -%}
    {{ return(adapter.dispatch('normalise_name', 'hearth')(column)) }}
{%- endmacro %}

{% macro default__normalise_name(column) -%}
    nullif(upper(regexp_replace(trim({{ column }}), '[^A-Za-z]', '', 'g')), '')
{%- endmacro %}

{% macro spark__normalise_name(column) -%}
    nullif(upper(regexp_replace(trim({{ column }}), '[^A-Za-z]', '')), '')
{%- endmacro %}

{% macro normalise_postcode(column) -%}
    {%- set squeezed = "upper(replace(" ~ column ~ ", ' ', ''))" -%}
    case when {{ column }} is null or trim({{ column }}) = '' then null
         else {{ dbt.concat(["substring(" ~ squeezed ~ ", 1, " ~ dbt.length(squeezed) ~ " - 3)", "' '", dbt.right(squeezed, '3')]) }} end
{%- endmacro %}

{#- The LA code of a DfE return, from its file name (cin_951_2022.xml, ssda903_951_2022_header.csv). -#}
{% macro la_code_from_file(column) -%}
    regexp_extract({{ column }}, '_([0-9]{3})_[0-9]{4}', 1)
{%- endmacro %}

{#- A record's stable id: source table, file and row number. -#}
{% macro record_id(table) -%}
    {{ dbt.concat(["'" ~ table ~ "'", "'|'", "_source_file", "'|'", "cast(_row_number as " ~ dbt.type_string() ~ ")"]) }}
{%- endmacro %}
