{#- Models land in schemas named for their layer (staging, intermediate, reference), not
    "<target>_<layer>", so analysts and stewards find them under the names the docs use. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name is not none else target.schema }}
{%- endmacro %}
