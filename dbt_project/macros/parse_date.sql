{#- Parse a text date in a source's own format; an invalid date becomes null, never an error.
    Formats use strftime codes (%Y-%m-%d, %d/%m/%Y, %Y%m%d, %d-%b-%Y); each adapter translates. -#}
{% macro parse_date(column, format) -%}
    {{ return(adapter.dispatch('parse_date', 'hearth')(column, format)) }}
{%- endmacro %}

{% macro default__parse_date(column, format) -%}
    cast(try_strptime({{ column }}, '{{ format }}') as date)
{%- endmacro %}

{% macro spark__parse_date(column, format) -%}
    {%- set java = format | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd') | replace('%b', 'MMM') -%}
    to_date({{ column }}, '{{ java }}')
{%- endmacro %}
