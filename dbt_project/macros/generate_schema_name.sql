{#- Models land in exactly the schema they name (`transform`, `marts`), not `<target>_<name>`:
    BI tools and the publish step address `marts.<table>` directly. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
