-- Grain: one row per calendar month (company-local), from the month of the first sale to the as-of
-- month: sales, returns and revenue, repeat sales, and new / returning / regular / lost customers
-- (docs/METRICS.md — Repeat sale, New customer, Returning customer, Regular
-- customer, Lost customer), over the unified sales (int_sales: 1C shipments and returns, plus completed site
-- orders that never reached 1C) and customers across systems. Only documents dated on or before
-- var('as_of_date') count. Profit is over the part of revenue whose cost is known (docs/METRICS.md —
-- Profit): revenue of unknown cost is reported as unknown_cost_revenue, never counted as profit.
with

documents as (
    select * from {{ ref('int_sales') }}
    where document_date <= {{ as_of_date() }}
),

sales as (
    select * from documents
    where document_type = 'sale'
),

months as (
    select
        cast(month_start as date) as month,
        last_day(cast(month_start as date)) as month_end
    from (
        select unnest(generate_series(
            (select min(document_month) from sales),
            cast(date_trunc('month', {{ as_of_date() }}) as date),
            interval 1 month
        )) as month_start
    ) as series
),

customer_firsts as (
    select
        customer_id,
        min(document_month) as first_sale_month,
        max(document_date) as last_sale_date
    from sales
    group by customer_id
),

customer_lifetime_revenue as (
    select
        customer_id,
        sum(amount) as lifetime_revenue
    from documents
    group by customer_id
),

customer_months as (
    select
        sales.customer_id,
        sales.document_month as month,
        customer_firsts.first_sale_month,
        sum(sales.amount) as sales_amount
    from sales
    inner join customer_firsts on customer_firsts.customer_id = sales.customer_id
    group by sales.customer_id, sales.document_month, customer_firsts.first_sale_month
),

monthly_documents as (
    select
        document_month as month,
        count(*) filter (where document_type = 'sale') as sales_count,
        sum(amount) filter (where document_type = 'sale') as sales_amount,
        count(*) filter (where document_type = 'return') as returns_count,
        -sum(amount) filter (where document_type = 'return') as returns_amount,
        sum(amount) as revenue,
        sum(costed_amount) as costed_revenue,
        sum(known_cost) as known_cost,
        count(*) filter (where document_type = 'sale' and sale_ordinal > 1) as repeat_sales_count,
        sum(amount) filter (where document_type = 'sale' and sale_ordinal > 1) as repeat_sales_amount
    from documents
    group by document_month
),

monthly_buyers as (
    select
        month,
        count(*) as buyers,
        count(*) filter (where first_sale_month = month) as new_customers,
        sum(sales_amount) filter (where first_sale_month = month) as new_customers_amount,
        count(*) filter (where first_sale_month < month) as returning_customers,
        sum(sales_amount) filter (where first_sale_month < month) as returning_customers_amount
    from customer_months
    group by month
),

-- Regular at the end of a month: >= regular_min_sales sales dated in (month_end - window, month_end].
regular_customers as (
    select
        months.month,
        sales.customer_id
    from months
    inner join sales
        on sales.document_date > months.month_end - {{ var('regular_window_days') }}
        and sales.document_date <= months.month_end
    group by months.month, sales.customer_id
    having count(*) >= {{ var('regular_min_sales') }}
),

monthly_regulars as (
    select
        regular_customers.month,
        count(*) as regular_customers,
        sum(coalesce(customer_months.sales_amount, 0)) as regular_customers_amount
    from regular_customers
    left join customer_months
        on customer_months.customer_id = regular_customers.customer_id
        and customer_months.month = regular_customers.month
    group by regular_customers.month
),

-- Lost in the month in which last sale + lost_after_days falls, once that day has come.
lost_customers as (
    select
        customer_firsts.customer_id,
        cast(date_trunc('month', customer_firsts.last_sale_date + {{ var('lost_after_days') }}) as date)
            as month,
        customer_lifetime_revenue.lifetime_revenue
    from customer_firsts
    inner join customer_lifetime_revenue
        on customer_lifetime_revenue.customer_id = customer_firsts.customer_id
    where customer_firsts.last_sale_date + {{ var('lost_after_days') }} <= {{ as_of_date() }}
),

monthly_lost as (
    select
        month,
        count(*) as lost_customers,
        sum(lifetime_revenue) as lost_customers_revenue
    from lost_customers
    group by month
),

final as (
    select
        months.month,
        cast(coalesce(monthly_documents.sales_count, 0) as integer) as sales_count,
        cast(coalesce(monthly_documents.sales_amount, 0) as decimal(18, 2)) as sales_amount,
        cast(coalesce(monthly_documents.returns_count, 0) as integer) as returns_count,
        cast(coalesce(monthly_documents.returns_amount, 0) as decimal(18, 2)) as returns_amount,
        cast(coalesce(monthly_documents.revenue, 0) as decimal(18, 2)) as revenue,
        -- NULL when no line of the month has a known cost (a month without sales too)
        cast(monthly_documents.known_cost as decimal(18, 2)) as cost,
        cast(monthly_documents.costed_revenue - monthly_documents.known_cost as decimal(18, 2))
            as gross_profit,
        cast(coalesce(monthly_documents.revenue - monthly_documents.costed_revenue, 0) as decimal(18, 2))
            as unknown_cost_revenue,
        {{ money_per('monthly_documents.revenue', 'monthly_documents.sales_count') }} as average_check,
        cast(coalesce(monthly_buyers.buyers, 0) as integer) as buyers,
        cast(coalesce(monthly_documents.repeat_sales_count, 0) as integer) as repeat_sales_count,
        cast(coalesce(monthly_documents.repeat_sales_amount, 0) as decimal(18, 2)) as repeat_sales_amount,
        cast(
            monthly_documents.repeat_sales_count / nullif(monthly_documents.sales_count, 0) as double
        ) as repeat_share_count,
        cast(
            coalesce(monthly_documents.repeat_sales_amount, 0)
            / nullif(monthly_documents.sales_amount, 0) as double
        ) as repeat_share_amount,
        cast(coalesce(monthly_buyers.new_customers, 0) as integer) as new_customers,
        cast(coalesce(monthly_buyers.new_customers_amount, 0) as decimal(18, 2)) as new_customers_amount,
        cast(coalesce(monthly_buyers.returning_customers, 0) as integer) as returning_customers,
        cast(coalesce(monthly_buyers.returning_customers_amount, 0) as decimal(18, 2))
            as returning_customers_amount,
        cast(coalesce(monthly_regulars.regular_customers, 0) as integer) as regular_customers,
        cast(coalesce(monthly_regulars.regular_customers_amount, 0) as decimal(18, 2))
            as regular_customers_amount,
        cast(coalesce(monthly_lost.lost_customers, 0) as integer) as lost_customers,
        cast(coalesce(monthly_lost.lost_customers_revenue, 0) as decimal(18, 2)) as lost_customers_revenue
    from months
    left join monthly_documents on monthly_documents.month = months.month
    left join monthly_buyers on monthly_buyers.month = months.month
    left join monthly_regulars on monthly_regulars.month = months.month
    left join monthly_lost on monthly_lost.month = months.month
)

select * from final
