-- Σ portfolio sales_count and Σ monthly sales_count = the number of sales up to the as-of date
-- (returns never count as sales).
with

expected as (
    select count(*) as sales_count
    from {{ ref('int_sales') }}
    where document_type = 'sale'
      and document_date <= {{ as_of_date() }}
),

marts as (
    select 'customer_portfolio' as mart, coalesce(sum(sales_count), 0) as sales_count
    from {{ ref('customer_portfolio') }}
    union all
    select 'repeat_sales', coalesce(sum(sales_count), 0)
    from {{ ref('repeat_sales') }}
),

final as (
    select marts.*, expected.sales_count as expected_sales_count
    from marts
    cross join expected
    where marts.sales_count <> expected.sales_count
)

select * from final
