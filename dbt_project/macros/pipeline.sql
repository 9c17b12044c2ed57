{#- The CRM pipeline marts (DESIGN §4: win rate, sales cycle, stage conversion, stuck deal, lead response,
    weighted pipeline; docs/CONTRACTS_CRM.md §1, §6). -#}

{#- The moment the pipeline marts are "as of": the end of var('as_of_date') in the company time zone, as a
    naive UTC TIMESTAMP. A CRM change at or after it has not happened yet for the marts (exclusive bound). -#}
{% macro pipeline_cutoff_utc() -%}
    {{ local_to_utc('cast(' ~ as_of_date() ~ ' + interval 1 day as timestamp)') }}
{%- endmacro %}

{#- The first-response SLA in minutes (var response_sla_minutes, default 15): a lead answered within it
    (inclusive) counts as answered on time. -#}
{% macro response_sla_minutes() -%}
    {{ var('response_sla_minutes', 15) }}
{%- endmacro %}

{#- Seconds between two UTC timestamps as DOUBLE days / minutes (exact: amoCRM keeps whole seconds). -#}
{% macro days_between(start_at, end_at) -%}
    (date_diff('second', {{ start_at }}, {{ end_at }}) / 86400.0)
{%- endmacro %}

{% macro minutes_between(start_at, end_at) -%}
    (date_diff('second', {{ start_at }}, {{ end_at }}) / 60.0)
{%- endmacro %}
