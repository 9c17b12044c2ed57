-- Grain: one row per (month, pipeline_id): company-local month × amoCRM pipeline, every month from the first
-- lead's month to the as-of month and every pipeline present. Deals won and lost by the month they closed,
-- win rate, sales cycle, and the open pipeline and weighted forecast at the month's end (the end of the
-- as-of date for the as-of month). The figures are computed by macro pipeline_month_outcomes, the same
-- query as sales_pipeline_total (over all pipelines); the stage funnel is sales_pipeline_stages.
with

outcomes as (
    {{ pipeline_month_outcomes(by_pipeline=true) }}
),

final as (
    select
        month,
        pipeline_id,
        pipeline_name,
        open_deals,
        open_amount,
        weighted_amount,
        won_deals,
        lost_deals,
        won_amount,
        lost_amount,
        win_rate_count,
        win_rate_amount,
        median_cycle_days,
        median_cycle_days_to_date,
        as_of_date
    from outcomes
)

select * from final
