-- Grain: one row per (month, pipeline_id, status_id): company-local month × pipeline × open stage, every
-- month from the first lead's month to the as-of month and every open stage of a live pipeline present.
-- The funnel (docs/METRICS.md — Stage conversion, Time in stage): the deals that entered the stage in the
-- month and what became of them by the as-of date; and the open deals sitting in the stage at the month's
-- end (docs/METRICS.md — Weighted pipeline). sales_pipeline has the same month by pipeline,
-- sales_pipeline_total over all pipelines; their open pipeline is the sum of these rows.
with

months as (
    select * from {{ ref('int_pipeline_months') }}
),

history as (
    select * from {{ ref('int_lead_stage_history') }}
    where not is_closed_stage
),

outcomes as (
    select * from {{ ref('int_lead_outcomes') }}
),

benchmarks as (
    select * from {{ ref('int_lead_stage_benchmarks') }}
),

open_deals as (
    select * from {{ ref('int_pipeline_open_deals') }}
),

-- Every visit to an open stage counts in the month it began; advanced + lost + still = entered.
stage_visits as (
    select
        history.*,
        cast(date_trunc('month', history.entered_date) as date) as entered_month
    from history
    inner join outcomes on outcomes.lead_id = history.lead_id
),

stage_entries as (
    select
        entered_month as month,
        pipeline_id,
        status_id,
        count(*) as deals_entered,
        count(*) filter (where is_advanced) as deals_advanced,
        count(*) filter (where is_lost_from_stage) as deals_lost,
        count(*) filter (where is_current) as deals_still_in_stage,
        quantile_cont(days_in_stage, 0.5) as median_days_in_stage,
        quantile_cont(days_in_stage, 0.9) as p90_days_in_stage
    from stage_visits
    group by entered_month, pipeline_id, status_id
),

open_by_stage as (
    select
        month,
        pipeline_id,
        status_id,
        count(*) as open_deals,
        sum(price) as open_amount,
        sum(weighted_amount) as weighted_amount
    from open_deals
    group by month, pipeline_id, status_id
),

final as (
    select
        months.month,
        benchmarks.pipeline_id,
        benchmarks.pipeline_name,
        cast(benchmarks.status_id as bigint) as status_id,
        cast(benchmarks.stage_name as varchar) as stage_name,
        cast(benchmarks.stage_sort as integer) as stage_sort,
        cast(coalesce(stage_entries.deals_entered, 0) as integer) as deals_entered,
        cast(coalesce(stage_entries.deals_advanced, 0) as integer) as deals_advanced,
        cast(coalesce(stage_entries.deals_lost, 0) as integer) as deals_lost_from_stage,
        cast(coalesce(stage_entries.deals_still_in_stage, 0) as integer) as deals_still_in_stage,
        cast(stage_entries.deals_advanced / nullif(stage_entries.deals_entered, 0) as double)
            as stage_conversion,
        cast(stage_entries.median_days_in_stage as double) as median_days_in_stage,
        cast(stage_entries.p90_days_in_stage as double) as p90_days_in_stage,
        cast(coalesce(open_by_stage.open_deals, 0) as integer) as open_deals,
        cast(coalesce(open_by_stage.open_amount, 0) as decimal(18, 2)) as open_amount,
        cast(benchmarks.win_probability as double) as win_probability,
        cast(coalesce(open_by_stage.weighted_amount, 0) as decimal(18, 2)) as weighted_amount,
        {{ as_of_date() }} as as_of_date
    from months
    cross join benchmarks
    left join stage_entries
        on stage_entries.month = months.month
        and stage_entries.pipeline_id = benchmarks.pipeline_id
        and stage_entries.status_id = benchmarks.status_id
    left join open_by_stage
        on open_by_stage.month = months.month
        and open_by_stage.pipeline_id = benchmarks.pipeline_id
        and open_by_stage.status_id = benchmarks.status_id
)

select * from final
