{#- The CRM pipeline marts (docs/METRICS.md — Win rate, Sales cycle, Stage conversion, Time in stage,
    Stuck deal, Lead response time, Weighted pipeline; the amoCRM data: docs/sources/amocrm.md). -#}

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

{#- The month's outcome figures of the pipeline, one row per month of int_pipeline_months — per pipeline of
    stg_amocrm__pipelines (by_pipeline=true: sales_pipeline) or over all pipelines (false:
    sales_pipeline_total). One query for both grains, so a pipeline row and the total row are computed
    alike; the total is its own aggregate, not a sum of the pipeline rows, because medians do not add up.
      open_deals / open_amount / weighted_amount: int_pipeline_open_deals summed (the month-end snapshot);
      won_deals / lost_deals / won_amount / lost_amount: deals closed (142 / 143) in the company-local
        month of closed_at, amount = the deal's latest price;
      win_rate_count = won / (won + lost); win_rate_amount = won amount / (won + lost amount); NULL when
        nothing closed (docs/METRICS.md — Win rate);
      median_cycle_days: median (closed_at − created_at) of the deals won in the month;
      median_cycle_days_to_date: the same over every deal won up to the month's end (docs/METRICS.md —
        Sales cycle). -#}
{% macro pipeline_month_outcomes(by_pipeline) -%}
{%- set key = ', pipeline_id' if by_pipeline else '' -%}
with

months as (
    select * from {{ ref('int_pipeline_months') }}
),

open_deals as (
    select * from {{ ref('int_pipeline_open_deals') }}
),

closed_deals as (
    select
        cast(date_trunc('month', closed_date) as date) as month,
        pipeline_id,
        is_won,
        price,
        cycle_days
    from {{ ref('int_lead_outcomes') }}
    where not is_open
),

levels as (
    {%- if by_pipeline %}
    select pipeline_id, pipeline_name from {{ ref('stg_amocrm__pipelines') }}
    {%- else %}
    select cast(null as bigint) as pipeline_id, cast(null as varchar) as pipeline_name
    {%- endif %}
),

closed_by_month as (
    select
        month{{ key }},
        count(*) filter (where is_won) as won_deals,
        count(*) filter (where not is_won) as lost_deals,
        coalesce(sum(price) filter (where is_won), 0) as won_amount,
        coalesce(sum(price) filter (where not is_won), 0) as lost_amount,
        quantile_cont(cycle_days, 0.5) filter (where is_won) as median_cycle_days
    from closed_deals
    group by month{{ key }}
),

cycle_to_date as (
    select
        months.month{{ ', closed_deals.pipeline_id' if by_pipeline }},
        quantile_cont(closed_deals.cycle_days, 0.5) as median_cycle_days_to_date
    from months
    inner join closed_deals
        on closed_deals.month <= months.month
        and closed_deals.is_won
    group by months.month{{ ', closed_deals.pipeline_id' if by_pipeline }}
),

open_by_month as (
    select
        month{{ key }},
        count(*) as open_deals,
        sum(price) as open_amount,
        sum(weighted_amount) as weighted_amount
    from open_deals
    group by month{{ key }}
),

measures as (
    select
        months.month,
        levels.pipeline_id,
        levels.pipeline_name,
        coalesce(open_by_month.open_deals, 0) as open_deals,
        coalesce(open_by_month.open_amount, 0) as open_amount,
        coalesce(open_by_month.weighted_amount, 0) as weighted_amount,
        coalesce(closed_by_month.won_deals, 0) as won_deals,
        coalesce(closed_by_month.lost_deals, 0) as lost_deals,
        coalesce(closed_by_month.won_amount, 0) as won_amount,
        coalesce(closed_by_month.lost_amount, 0) as lost_amount,
        closed_by_month.median_cycle_days,
        cycle_to_date.median_cycle_days_to_date
    from months
    cross join levels
    {%- for measure in ['closed_by_month', 'cycle_to_date', 'open_by_month'] %}
    left join {{ measure }}
        on {{ measure }}.month = months.month
        {%- if by_pipeline %}
        and {{ measure }}.pipeline_id = levels.pipeline_id
        {%- endif %}
    {%- endfor %}
)

select
    month,
    pipeline_id,
    pipeline_name,
    cast(open_deals as integer) as open_deals,
    cast(open_amount as decimal(18, 2)) as open_amount,
    cast(weighted_amount as decimal(18, 2)) as weighted_amount,
    cast(won_deals as integer) as won_deals,
    cast(lost_deals as integer) as lost_deals,
    cast(won_amount as decimal(18, 2)) as won_amount,
    cast(lost_amount as decimal(18, 2)) as lost_amount,
    cast(won_deals / nullif(won_deals + lost_deals, 0) as double) as win_rate_count,
    cast(won_amount / nullif(won_amount + lost_amount, 0) as double) as win_rate_amount,
    cast(median_cycle_days as double) as median_cycle_days,
    cast(median_cycle_days_to_date as double) as median_cycle_days_to_date,
    {{ as_of_date() }} as as_of_date
from measures
{%- endmacro %}
