-- Grain: one row per (month, loss_reason_id) with at least one lost deal: non-deleted leads lost (status
-- 143) by the end of the as-of date, by the company-local month of closed_at, both pipelines together.
-- A lost lead without a reason is its own row (loss_reason_id NULL, 'Не указана').
with

lost_deals as (
    select * from {{ ref('int_lead_outcomes') }}
    where is_lost
),

by_reason as (
    select
        cast(date_trunc('month', closed_date) as date) as month,
        loss_reason_id,
        loss_reason_name,
        count(*) as lost_deals,
        sum(price) as lost_amount
    from lost_deals
    group by all
),

with_month_totals as (
    select
        *,
        sum(lost_deals) over (partition by month) as month_lost_deals,
        sum(lost_amount) over (partition by month) as month_lost_amount
    from by_reason
),

final as (
    select
        month,
        loss_reason_id,
        loss_reason_name,
        cast(lost_deals as integer) as lost_deals,
        cast(lost_amount as decimal(18, 2)) as lost_amount,
        cast(lost_deals / month_lost_deals as double) as share_of_lost_deals,
        cast(lost_amount / nullif(month_lost_amount, 0) as double) as share_of_lost_amount,
        cast(month_lost_deals as integer) as month_lost_deals,
        {{ as_of_date() }} as as_of_date
    from with_month_totals
)

select * from final
