-- Grain: one row per company-local month (month), over all pipelines together, every month from the first
-- lead's month to the as-of month present. The same figures as sales_pipeline (macro
-- pipeline_month_outcomes) computed over every deal at once: its own row, not a sum of the pipeline rows,
-- because medians (sales cycle) and ratios (win rate) do not add up.
with

outcomes as (
    {{ pipeline_month_outcomes(by_pipeline=false) }}
),

final as (
    select
        month,
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
