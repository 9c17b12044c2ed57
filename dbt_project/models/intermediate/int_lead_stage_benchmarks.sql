-- Grain: one row per open stage (pipeline_id, status_id) of a live pipeline, statuses nobody visited
-- included: over the whole history up to the end of the as-of date, how long a stay in it lasts (median
-- and p90 of finished visits: the yardstick of a stuck deal) and P(win | stage) = won / closed among the
-- closed deals whose history holds the stage (the weight of the weighted pipeline).
with

statuses as (
    select * from {{ ref('stg_amocrm__pipeline_statuses') }}
),

pipelines as (
    select * from {{ ref('stg_amocrm__pipelines') }}
),

history as (
    select * from {{ ref('int_lead_stage_history') }}
),

outcomes as (
    select * from {{ ref('int_lead_outcomes') }}
),

open_stages as (
    select
        statuses.pipeline_id,
        pipelines.pipeline_name,
        statuses.status_id,
        statuses.status_name as stage_name,
        cast(statuses.sort as integer) as stage_sort
    from statuses
    inner join pipelines on pipelines.pipeline_id = statuses.pipeline_id
    where not statuses.is_closed
),

stays as (
    select
        pipeline_id,
        status_id,
        count(*) as visits_entered,
        count(left_at) as visits_finished,
        quantile_cont(days_in_stage, 0.5) as median_days_in_stage,
        quantile_cont(days_in_stage, 0.9) as p90_days_in_stage
    from history
    where not is_closed_stage
    group by pipeline_id, status_id
),

-- A deal visits a stage at most once in a forward-only pipeline; distinct in case one came back.
closed_through_stage as (
    select
        history.pipeline_id,
        history.status_id,
        count(distinct history.lead_id) as closed_deals,
        count(distinct history.lead_id) filter (where outcomes.is_won) as won_deals
    from history
    inner join outcomes on outcomes.lead_id = history.lead_id
    where not history.is_closed_stage
      and not outcomes.is_open
    group by history.pipeline_id, history.status_id
),

final as (
    select
        open_stages.pipeline_id,
        open_stages.pipeline_name,
        open_stages.status_id,
        open_stages.stage_name,
        open_stages.stage_sort,
        cast(coalesce(stays.visits_entered, 0) as integer) as visits_entered,
        cast(coalesce(stays.visits_finished, 0) as integer) as visits_finished,
        stays.median_days_in_stage,
        stays.p90_days_in_stage,
        cast(coalesce(closed_through_stage.closed_deals, 0) as integer) as closed_deals,
        cast(coalesce(closed_through_stage.won_deals, 0) as integer) as won_deals,
        cast(
            closed_through_stage.won_deals / nullif(closed_through_stage.closed_deals, 0) as double
        ) as win_probability
    from open_stages
    left join stays
        on stays.pipeline_id = open_stages.pipeline_id
        and stays.status_id = open_stages.status_id
    left join closed_through_stage
        on closed_through_stage.pipeline_id = open_stages.pipeline_id
        and closed_through_stage.status_id = open_stages.status_id
)

select * from final
