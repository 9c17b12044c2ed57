-- Grain: one row per stuck deal (lead_id) at the end of the as-of date (company time zone): an open,
-- non-deleted lead that has been in its current stage longer than that stage's p90 stay
-- (int_lead_stage_benchmarks). A stage nobody has left yet has no p90, and nothing in it is stuck.
with

outcomes as (
    select * from {{ ref('int_lead_outcomes') }}
    where is_open
),

benchmarks as (
    select * from {{ ref('int_lead_stage_benchmarks') }}
),

open_deals as (
    select
        outcomes.*,
        {{ days_between('outcomes.stage_entered_at', pipeline_cutoff_utc()) }} as days_in_stage,
        benchmarks.p90_days_in_stage,
        benchmarks.median_days_in_stage,
        benchmarks.win_probability,
        benchmarks.won_deals,
        benchmarks.closed_deals
    from outcomes
    inner join benchmarks
        on benchmarks.pipeline_id = outcomes.pipeline_id
        and benchmarks.status_id = outcomes.status_id
),

final as (
    select
        lead_id,
        lead_name,
        pipeline_id,
        pipeline_name,
        status_id,
        stage_name,
        stage_sort,
        responsible_user_id as manager_id,
        responsible_user_name as manager_name,
        price as amount,
        created_at,
        created_date,
        stage_entered_at,
        cast(days_in_stage as double) as days_in_stage,
        cast(median_days_in_stage as double) as stage_median_days,
        cast(p90_days_in_stage as double) as stage_p90_days,
        cast(days_in_stage - p90_days_in_stage as double) as days_over_p90,
        cast({{ days_between('created_at', pipeline_cutoff_utc()) }} as double) as deal_age_days,
        win_probability,
        {{ money_per('price * won_deals', 'closed_deals') }} as weighted_amount,
        main_contact_id,
        {{ as_of_date() }} as as_of_date
    from open_deals
    where days_in_stage > p90_days_in_stage
)

select * from final
