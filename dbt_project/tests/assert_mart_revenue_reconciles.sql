-- Revenue (net), gross profit and the revenue of unknown cost in every mart equal int_sales up to the as-of
-- date. Gross profit is over the documents' costed part (Σ costed_amount − Σ known_cost), so a mart's
-- profit reconciles even when a document's own profit is unknown (one line without a purchase price).
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
        coalesce(sum(costed_amount) - sum(known_cost), 0) as gross_profit,
        coalesce(sum(amount) - sum(costed_amount), 0) as unknown_cost_revenue,
        coalesce(sum(documents.amount) filter (
            where documents.document_month >= cohort_members.cohort_month
        ), 0) as cohort_revenue
    from documents
    left join cohort_members on cohort_members.customer_id = documents.customer_id
),

marts as (
    select
        'repeat_sales' as mart,
        sum(revenue) as revenue,
        sum(gross_profit) as gross_profit,
        sum(unknown_cost_revenue) as unknown_cost_revenue
    from {{ ref('repeat_sales') }}
    union all
    select 'customer_portfolio', sum(revenue), sum(gross_profit), sum(unknown_cost_revenue)
    from {{ ref('customer_portfolio') }}
    union all
    select 'customer_cohorts', sum(revenue), null, null
    from {{ ref('customer_cohorts') }}
),

final as (
    select
        marts.*,
        expected.revenue as expected_revenue,
        expected.gross_profit as expected_gross_profit,
        expected.unknown_cost_revenue as expected_unknown_cost_revenue
    from marts
    cross join expected
    where coalesce(marts.revenue, 0)
            <> case when marts.mart = 'customer_cohorts' then expected.cohort_revenue else expected.revenue end
       or (marts.gross_profit is not null and marts.gross_profit <> expected.gross_profit)
       or (marts.unknown_cost_revenue is not null
           and marts.unknown_cost_revenue <> expected.unknown_cost_revenue)
)

select * from final
