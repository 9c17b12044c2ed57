-- The open pipeline adds up to the kopeck every month: Σ stage rows = Σ pipeline rows = the total row,
-- for open deals, open amount and weighted amount. (Weighted amounts are rounded per deal and summed as
-- DECIMAL, so an exact equality holds; see DECISIONLOG "Pipeline".)
with

levels as (
    select
        month,
        row_type,
        sum(open_deals) as open_deals,
        sum(open_amount) as open_amount,
        sum(weighted_amount) as weighted_amount
    from {{ ref('sales_pipeline') }}
    group by month, row_type
),

totals as (
    select * from levels where row_type = 'total'
),

final as (
    select
        levels.month,
        levels.row_type,
        levels.open_deals,
        totals.open_deals as total_open_deals,
        levels.open_amount,
        totals.open_amount as total_open_amount,
        levels.weighted_amount,
        totals.weighted_amount as total_weighted_amount
    from levels
    inner join totals on totals.month = levels.month
    where levels.open_deals <> totals.open_deals
       or levels.open_amount <> totals.open_amount
       or levels.weighted_amount <> totals.weighted_amount
)

select * from final
