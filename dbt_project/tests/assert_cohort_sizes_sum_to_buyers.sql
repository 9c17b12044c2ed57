-- Σ cohort sizes = customers with a sale up to the as-of date = Σ monthly new customers
-- = portfolio customers that are not prospects.
with

buyers as (
    select count(distinct customer_id) as buyers
    from {{ ref('int_sales') }}
    where document_type = 'sale'
      and document_date <= {{ as_of_date() }}
),

counts as (
    select 'customer_cohorts' as mart, coalesce(sum(cohort_size), 0) as buyers
    from {{ ref('customer_cohorts') }}
    where month_number = 0
    union all
    select 'repeat_sales.new_customers', coalesce(sum(new_customers), 0)
    from {{ ref('repeat_sales') }}
    union all
    select 'customer_portfolio', count(*)
    from {{ ref('customer_portfolio') }}
    where status <> 'prospect'
),

final as (
    select counts.*, buyers.buyers as expected_buyers
    from counts
    cross join buyers
    where counts.buyers <> buyers.buyers
)

select * from final
