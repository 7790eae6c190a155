{# DfE definitions: persistently absent misses 10% or more of possible sessions, severely absent 50%. #}
{% macro is_persistently_absent(missed, possible) -%}
    ({{ missed }} >= 0.10 * {{ possible }})
{%- endmacro %}

{% macro is_severely_absent(missed, possible) -%}
    ({{ missed }} >= 0.50 * {{ possible }})
{%- endmacro %}
