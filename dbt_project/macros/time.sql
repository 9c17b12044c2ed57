{#- Company-local naive TIMESTAMP → naive TIMESTAMP in UTC (ICU, built into duckdb):
    timezone(zone, naive) reads the value as wall time in `zone` → TIMESTAMPTZ;
    timezone('UTC', tstz) renders that instant as UTC wall time. -#}
{% macro local_to_utc(local_ts) -%}
    timezone('UTC', timezone('{{ var("timezone") }}', {{ local_ts }}))
{%- endmacro %}

{#- The company-local date the marts are "as of": var as_of_date, else today in the company zone. -#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of is none or (as_of | string | trim) in ('', 'None', 'null') -%}
        cast(timezone('{{ var("timezone") }}', current_timestamp) as date)
    {%- else -%}
        cast('{{ as_of }}' as date)
    {%- endif -%}
{%- endmacro %}
