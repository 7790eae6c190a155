{# Absence measures over any grain (a term, a school year), by the DfE definitions: persistently
   absent misses 10% or more of possible sessions, severely absent 50%. Emits three columns. #}
{% macro absence_measures(missed, possible) -%}
    cast({{ missed }} as double) / nullif({{ possible }}, 0) as absence_rate,
    ({{ missed }} >= 0.10 * {{ possible }}) as persistent_absence,
    ({{ missed }} >= 0.50 * {{ possible }}) as severe_absence
{%- endmacro %}
