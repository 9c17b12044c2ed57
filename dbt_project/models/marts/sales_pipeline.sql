-- Grain: one row per (month, row_type, pipeline_id, status_id), company-local months from the first lead's
-- month to the as-of month, every month present. row_type 'stage' = month × pipeline × open stage (the
-- funnel: entries, conversion, time in stage, open deals at month end); 'pipeline' = month × pipeline
-- (status_id NULL: win rate, sales cycle, open pipeline and weighted forecast); 'total' = month over all
-- pipelines (pipeline_id and status_id NULL). Definitions: DESIGN §4, docs/CONTRACTS_CRM.md §6.
with

history as (
    select * from {{ ref('int_lead_stage_history') }}
),

outcomes as (
    select * from {{ ref('int_lead_outcomes') }}
),

benchmarks as (
    select * from {{ ref('int_lead_stage_benchmarks') }}
),

pipelines as (
    select * from {{ ref('stg_amocrm__pipelines') }}
),

-- The open pipeline is counted at the end of each month; for the as-of month at the end of the as-of date.
months as (
    select
        cast(month_start as date) as month,
        least(
            {{ local_to_utc('cast(month_start + interval 1 month as timestamp)') }},
            {{ pipeline_cutoff_utc() }}
        ) as snapshot_at
    from (
        select unnest(generate_series(
            cast(date_trunc('month', (select min(created_date) from outcomes)) as date),
            cast(date_trunc('month', {{ as_of_date() }}) as date),
            interval 1 month
        )) as month_start
    ) as series
),

stage_visits as (
    select
        history.*,
        cast(date_trunc('month', history.entered_date) as date) as entered_month,
        outcomes.price
    from history
    inner join outcomes on outcomes.lead_id = history.lead_id
    where not history.is_closed_stage
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

-- Deals sitting in an open stage at the month's snapshot moment, weighted by P(win | that stage).
open_deals as (
    select
        months.month,
        stage_visits.pipeline_id,
        stage_visits.status_id,
        stage_visits.lead_id,
        stage_visits.price,
        -- price × won / closed in exact arithmetic, rounded to kopecks per deal (money_per: half away
        -- from zero), so the sums below are exact DECIMAL: a DOUBLE product can land a hair off a half
        -- kopeck, and a DOUBLE sum depends on the order the threads add in (it differed between runs).
        coalesce(
            {{ money_per('stage_visits.price * benchmarks.won_deals', 'benchmarks.closed_deals') }}, 0
        ) as weighted_amount
    from months
    inner join stage_visits
        on stage_visits.entered_at < months.snapshot_at
        and (stage_visits.left_at is null or stage_visits.left_at >= months.snapshot_at)
    left join benchmarks
        on benchmarks.pipeline_id = stage_visits.pipeline_id
        and benchmarks.status_id = stage_visits.status_id
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

stage_rows as (
    select
        months.month,
        'stage' as row_type,
        benchmarks.pipeline_id,
        benchmarks.pipeline_name,
        benchmarks.status_id,
        benchmarks.stage_name,
        benchmarks.stage_sort,
        coalesce(stage_entries.deals_entered, 0) as deals_entered,
        coalesce(stage_entries.deals_advanced, 0) as deals_advanced,
        coalesce(stage_entries.deals_lost, 0) as deals_lost_from_stage,
        coalesce(stage_entries.deals_still_in_stage, 0) as deals_still_in_stage,
        stage_entries.deals_advanced / nullif(stage_entries.deals_entered, 0) as stage_conversion,
        stage_entries.median_days_in_stage,
        stage_entries.p90_days_in_stage,
        coalesce(open_by_stage.open_deals, 0) as open_deals,
        coalesce(open_by_stage.open_amount, 0) as open_amount,
        benchmarks.win_probability,
        coalesce(open_by_stage.weighted_amount, 0) as weighted_amount,
        null as won_deals,
        null as lost_deals,
        null as won_amount,
        null as lost_amount,
        null as median_cycle_days,
        null as median_cycle_days_to_date
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
),

-- Closed deals by the company-local month of closed_at, per pipeline (grouping id 0) and overall (1).
closed_deals as (
    select
        cast(date_trunc('month', closed_date) as date) as month,
        pipeline_id,
        is_won,
        price,
        cycle_days
    from outcomes
    where not is_open
),

closed_by_month as (
    select
        month,
        pipeline_id,
        grouping(pipeline_id) as is_total,
        count(*) filter (where is_won) as won_deals,
        count(*) filter (where not is_won) as lost_deals,
        coalesce(sum(price) filter (where is_won), 0) as won_amount,
        coalesce(sum(price) filter (where not is_won), 0) as lost_amount,
        quantile_cont(cycle_days, 0.5) filter (where is_won) as median_cycle_days
    from closed_deals
    group by grouping sets ((month, pipeline_id), (month))
),

-- Median cycle of every deal won from the start up to the end of the month.
cycle_to_date as (
    select
        months.month,
        closed_deals.pipeline_id,
        grouping(closed_deals.pipeline_id) as is_total,
        quantile_cont(closed_deals.cycle_days, 0.5) as median_cycle_days_to_date
    from months
    inner join closed_deals
        on closed_deals.month <= months.month
        and closed_deals.is_won
    group by grouping sets ((months.month, closed_deals.pipeline_id), (months.month))
),

open_by_pipeline as (
    select
        month,
        pipeline_id,
        grouping(pipeline_id) as is_total,
        count(*) as open_deals,
        sum(price) as open_amount,
        sum(weighted_amount) as weighted_amount
    from open_deals
    group by grouping sets ((month, pipeline_id), (month))
),

pipeline_levels as (
    select
        pipeline_id,
        pipeline_name,
        0 as is_total
    from pipelines
    union all
    select
        null as pipeline_id,
        null as pipeline_name,
        1 as is_total
),

pipeline_rows as (
    select
        months.month,
        case when pipeline_levels.is_total = 1 then 'total' else 'pipeline' end as row_type,
        pipeline_levels.pipeline_id,
        pipeline_levels.pipeline_name,
        null as status_id,
        null as stage_name,
        null as stage_sort,
        null as deals_entered,
        null as deals_advanced,
        null as deals_lost_from_stage,
        null as deals_still_in_stage,
        null as stage_conversion,
        null as median_days_in_stage,
        null as p90_days_in_stage,
        coalesce(open_by_pipeline.open_deals, 0) as open_deals,
        coalesce(open_by_pipeline.open_amount, 0) as open_amount,
        null as win_probability,
        coalesce(open_by_pipeline.weighted_amount, 0) as weighted_amount,
        coalesce(closed_by_month.won_deals, 0) as won_deals,
        coalesce(closed_by_month.lost_deals, 0) as lost_deals,
        coalesce(closed_by_month.won_amount, 0) as won_amount,
        coalesce(closed_by_month.lost_amount, 0) as lost_amount,
        closed_by_month.median_cycle_days,
        cycle_to_date.median_cycle_days_to_date
    from months
    cross join pipeline_levels
    left join closed_by_month
        on closed_by_month.month = months.month
        and closed_by_month.is_total = pipeline_levels.is_total
        and closed_by_month.pipeline_id is not distinct from pipeline_levels.pipeline_id
    left join cycle_to_date
        on cycle_to_date.month = months.month
        and cycle_to_date.is_total = pipeline_levels.is_total
        and cycle_to_date.pipeline_id is not distinct from pipeline_levels.pipeline_id
    left join open_by_pipeline
        on open_by_pipeline.month = months.month
        and open_by_pipeline.is_total = pipeline_levels.is_total
        and open_by_pipeline.pipeline_id is not distinct from pipeline_levels.pipeline_id
),

all_rows as (
    select * from stage_rows
    union all by name
    select * from pipeline_rows
),

final as (
    select
        month,
        row_type,
        pipeline_id,
        pipeline_name,
        cast(status_id as bigint) as status_id,
        cast(stage_name as varchar) as stage_name,
        cast(stage_sort as integer) as stage_sort,
        cast(deals_entered as integer) as deals_entered,
        cast(deals_advanced as integer) as deals_advanced,
        cast(deals_lost_from_stage as integer) as deals_lost_from_stage,
        cast(deals_still_in_stage as integer) as deals_still_in_stage,
        cast(stage_conversion as double) as stage_conversion,
        cast(median_days_in_stage as double) as median_days_in_stage,
        cast(p90_days_in_stage as double) as p90_days_in_stage,
        cast(open_deals as integer) as open_deals,
        cast(open_amount as decimal(18, 2)) as open_amount,
        cast(win_probability as double) as win_probability,
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
    from all_rows
)

select * from final
