{#- Figures of an Explore Education Statistics file (the s251 outturn): a whole number, or a symbol in its
    place (z not applicable, x not available, c confidential, low, u), which the raw gate lets through and
    nothing else. A symbol becomes null here, and ees_value_status says which column held which. -#}
{% macro ees_amount(column) -%}
    try_cast({{ column }} as bigint)
{%- endmacro %}

{#- 'own_provision:x,private_provision:c': each of `columns` that held a symbol, with it; null when none did. -#}
{% macro ees_value_status(columns) -%}
    nullif(concat_ws(
            ',',
        {%- for column in columns %}
            case when {{ ees_amount(column) }} is null then {{ dbt.concat(["'" ~ column | lower ~ ":'", column]) }} end{{ "," if not loop.last }}
        {%- endfor %}
        ), '')
{%- endmacro %}
