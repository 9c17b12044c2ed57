-- Grain: one row per (cohort_month, month_number): customers grouped by the month of their first sale,
-- followed month by month (k = 0 … as-of month − cohort month) with active customers, retention and
-- net revenue (docs/METRICS.md — Cohort), over the unified sales (int_sales: 1C and site-only sales) and
-- customers across systems. Only documents dated on or before var('as_of_date') count.
with

documents as (
    select * from {{ ref('int_sales') }}
    where document_date <= {{ as_of_date() }}
),

cohort_members as (
    select
        customer_id,
        min(document_month) as cohort_month
    from documents
    where document_type = 'sale'
    group by customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(*) as cohort_size
    from cohort_members
    group by cohort_month
),

cohort_grid as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        cast(month_number as integer) as month_number,
        cast(cohort_sizes.cohort_month + to_months(cast(month_number as integer)) as date) as month
    from cohort_sizes
    cross join lateral (
        select unnest(generate_series(
            0,
            datediff('month', cohort_sizes.cohort_month, cast(date_trunc('month', {{ as_of_date() }}) as date))
        )) as month_number
    ) as offsets
),

member_activity as (
    select
        cohort_members.cohort_month,
        documents.document_month as month,
        count(distinct documents.customer_id) filter (where documents.document_type = 'sale')
            as active_customers,
        count(*) filter (where documents.document_type = 'sale') as sales_count,
        sum(documents.amount) as revenue
    from documents
    inner join cohort_members on cohort_members.customer_id = documents.customer_id
    where documents.document_month >= cohort_members.cohort_month
    group by cohort_members.cohort_month, documents.document_month
),

joined as (
    select
        cohort_grid.cohort_month,
        cohort_grid.month_number,
        cohort_grid.month,
        cohort_grid.cohort_size,
        coalesce(member_activity.active_customers, 0) as active_customers,
        coalesce(member_activity.sales_count, 0) as sales_count,
        coalesce(member_activity.revenue, 0) as revenue
    from cohort_grid
    left join member_activity
        on member_activity.cohort_month = cohort_grid.cohort_month
        and member_activity.month = cohort_grid.month
),

final as (
    select
        cast(cohort_month as date) as cohort_month,
        cast(month_number as integer) as month_number,
        cast(month as date) as month,
        cast(cohort_size as integer) as cohort_size,
        cast(active_customers as integer) as active_customers,
        cast(active_customers / cohort_size as double) as retention,
        cast(sales_count as integer) as sales_count,
        cast(revenue as decimal(18, 2)) as revenue,
        cast(
            sum(revenue) over (partition by cohort_month order by month_number) as decimal(18, 2)
        ) as cumulative_revenue,
        {{ money_per('sum(revenue) over (partition by cohort_month order by month_number)', 'cohort_size') }}
            as cumulative_revenue_per_customer
    from joined
)

select * from final
