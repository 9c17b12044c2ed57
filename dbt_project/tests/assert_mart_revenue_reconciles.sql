-- Revenue (net) and gross profit in every mart equal int_sales up to the as-of date.
-- Cohorts hold only customers with a sale, from their cohort month on, so they reconcile against that part.
with

documents as (
    select * from {{ ref('int_sales') }}
    where document_date <= {{ as_of_date() }}
),

cohort_members as (
    select customer_id, min(document_month) as cohort_month
    from documents
    where document_type = 'sale'
    group by customer_id
),

expected as (
    select
        coalesce(sum(amount), 0) as revenue,
        coalesce(sum(gross_profit), 0) as gross_profit,
        coalesce(sum(documents.amount) filter (
            where documents.document_month >= cohort_members.cohort_month
        ), 0) as cohort_revenue
    from documents
    left join cohort_members on cohort_members.customer_id = documents.customer_id
),

marts as (
    select 'repeat_sales' as mart, sum(revenue) as revenue, sum(gross_profit) as gross_profit
    from {{ ref('repeat_sales') }}
    union all
    select 'customer_portfolio', sum(revenue), sum(gross_profit)
    from {{ ref('customer_portfolio') }}
    union all
    select 'customer_cohorts', sum(revenue), null
    from {{ ref('customer_cohorts') }}
),

final as (
    select marts.*, expected.revenue as expected_revenue, expected.gross_profit as expected_gross_profit
    from marts
    cross join expected
    where coalesce(marts.revenue, 0)
            <> case when marts.mart = 'customer_cohorts' then expected.cohort_revenue else expected.revenue end
       or (marts.gross_profit is not null and marts.gross_profit <> expected.gross_profit)
)

select * from final
