-- The open pipeline adds up to the kopeck every month across the three funnel marts: Σ sales_pipeline_stages
-- = Σ sales_pipeline = sales_pipeline_total, for open deals, open amount and weighted amount; and the
-- month's won / lost deals and amounts of sales_pipeline add up to sales_pipeline_total's. (Weighted amounts
-- are rounded per deal and summed as DECIMAL, so an exact equality holds; see DECISIONLOG "Pipeline".)
with

stages as (
    select
        month,
        sum(open_deals) as open_deals,
        sum(open_amount) as open_amount,
        sum(weighted_amount) as weighted_amount,
        null as won_deals,
        null as lost_deals,
        null as won_amount,
        null as lost_amount
    from {{ ref('sales_pipeline_stages') }}
    group by month
),

pipelines as (
    select
        month,
        sum(open_deals) as open_deals,
        sum(open_amount) as open_amount,
        sum(weighted_amount) as weighted_amount,
        sum(won_deals) as won_deals,
        sum(lost_deals) as lost_deals,
        sum(won_amount) as won_amount,
        sum(lost_amount) as lost_amount
    from {{ ref('sales_pipeline') }}
    group by month
),

totals as (
    select * from {{ ref('sales_pipeline_total') }}
),

levels as (
    select 'stages' as level, * from stages
    union all
    select 'pipelines' as level, * from pipelines
),

final as (
    select
        levels.month,
        levels.level,
        levels.open_deals,
        totals.open_deals as total_open_deals,
        levels.open_amount,
        totals.open_amount as total_open_amount,
        levels.weighted_amount,
        totals.weighted_amount as total_weighted_amount,
        levels.won_deals,
        totals.won_deals as total_won_deals
    from levels
    inner join totals on totals.month = levels.month
    where levels.open_deals <> totals.open_deals
       or levels.open_amount <> totals.open_amount
       or levels.weighted_amount <> totals.weighted_amount
       or (levels.level = 'pipelines' and (
           levels.won_deals <> totals.won_deals
           or levels.lost_deals <> totals.lost_deals
           or levels.won_amount <> totals.won_amount
           or levels.lost_amount <> totals.lost_amount
       ))
)

select * from final
