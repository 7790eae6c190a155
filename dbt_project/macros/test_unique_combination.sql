{#- Generic test: no two rows share the values of `columns` (a key of several columns); the failures are the
    repeated keys. -#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
