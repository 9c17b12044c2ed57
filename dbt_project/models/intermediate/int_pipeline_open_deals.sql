-- Grain: one row per (month, lead_id): a deal sitting in an open stage at the month's snapshot moment
-- (int_pipeline_months.snapshot_at: the month's end, the as-of month's at the end of the as-of date), with
-- its amount and its weighted amount (docs/METRICS.md — Weighted pipeline). The open pipeline of the
-- sales_pipeline* marts is this table summed by stage, by pipeline and over all pipelines, so the three
-- add up exactly.
--
-- weighted_amount = price × won / closed of the stage's P(win | stage) (int_lead_stage_benchmarks, as of
-- the as-of date for every month), in exact arithmetic, rounded to kopecks per deal half away from zero
-- (macro money_per); 0 when no deal that passed the stage has closed. Exact DECIMAL per deal, so every sum
-- is exact: a DOUBLE product can land a hair off a half kopeck, and a DOUBLE sum depends on the order the
-- threads add in (it differed between runs).
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

stage_visits as (
    select
        history.*,
        outcomes.price
    from history
    inner join outcomes on outcomes.lead_id = history.lead_id
),

final as (
    select
        months.month,
        stage_visits.pipeline_id,
        stage_visits.status_id,
        stage_visits.lead_id,
        stage_visits.price,
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
)

select * from final
