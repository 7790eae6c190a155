{#- One output row per item of a comma-separated text column (e.g. assessment factors). -#}
{% macro explode_list(column) -%}
    {{ return(adapter.dispatch('explode_list', 'hearth')(column)) }}
{%- endmacro %}

{% macro default__explode_list(column) -%}
    unnest(string_split({{ column }}, ','))
{%- endmacro %}

{% macro spark__explode_list(column) -%}
    explode(split({{ column }}, ','))
{%- endmacro %}
