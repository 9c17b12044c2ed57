-- Grain: one row per customer (customer_id), prospects included, as of var('as_of_date'): everyone seen
-- in any source (a live 1C card, a site order, a live CRM contact), over the unified sales (1C sales and
-- returns + site-only sales). Who (name, phone, email, city, legal form, gender, birthday, age, where seen),
-- since when (first contact, acquisition channel, first sale, maturation), how often (sales count, average
-- days between sales), what (top product group, groups bought), how much (sales, returns, revenue, gross
-- profit over the revenue whose cost is known, the revenue of unknown cost, average check), and status.
with

customers as (
    select * from {{ ref('int_customers') }}
),

documents as (
    select * from {{ ref('int_sales') }}
    where document_date <= {{ as_of_date() }}
),

sale_lines as (
    select * from {{ ref('int_sale_lines') }}
    where document_date <= {{ as_of_date() }}
),

users as (
    select * from {{ ref('stg_onec__users') }}
),

first_contacts as (
    select * from {{ ref('int_customer_first_contacts') }}
),

sales_summary as (
    select
        customer_id,
        min(document_date) as first_sale_date,
        max(document_date) as last_sale_date,
        count(*) as sales_count,
        sum(amount) as sales_amount,
        count(*) filter (
            where document_date > {{ as_of_date() }} - {{ var('regular_window_days') }}
        ) as sales_in_regular_window,
        arg_max(manager_id, sale_ordinal) filter (where manager_id is not null) as last_manager_id
    from documents
    where document_type = 'sale'
    group by customer_id
),

document_summary as (
    select
        customer_id,
        -sum(amount) filter (where document_type = 'return') as returns_amount,
        sum(amount) as revenue,
        sum(costed_amount) as costed_revenue,
        sum(known_cost) as known_cost
    from documents
    group by customer_id
),

group_revenue as (
    select
        customer_id,
        product_group_name,
        sum(amount) as revenue
    from sale_lines
    group by customer_id, product_group_name
),

product_groups as (
    select
        customer_id,
        first(product_group_name order by revenue desc, product_group_name) as top_product_group,
        string_agg(product_group_name, ', ' order by revenue desc, product_group_name) as product_groups
    from group_revenue
    group by customer_id
),

measured as (
    select
        customers.customer_id,
        customers.name,
        customers.phone,
        customers.email,
        customers.city,
        customers.legal_form,
        customers.inn,
        customers.counterparty_count,
        customers.gender,
        customers.birthday,
        customers.seen_in,
        first_contacts.first_contact_date,
        first_contacts.acquisition_channel,
        sales_summary.first_sale_date,
        sales_summary.last_sale_date,
        coalesce(sales_summary.sales_count, 0) as sales_count,
        coalesce(sales_summary.sales_in_regular_window, 0) as sales_in_regular_window,
        coalesce(sales_summary.sales_amount, 0) as sales_amount,
        coalesce(document_summary.returns_amount, 0) as returns_amount,
        coalesce(document_summary.revenue, 0) as revenue,
        coalesce(document_summary.costed_revenue, 0) as costed_revenue,
        document_summary.known_cost,
        product_groups.top_product_group,
        product_groups.product_groups,
        users.user_name as last_manager_name
    from customers
    left join sales_summary on sales_summary.customer_id = customers.customer_id
    left join document_summary on document_summary.customer_id = customers.customer_id
    left join product_groups on product_groups.customer_id = customers.customer_id
    left join users on users.user_id = sales_summary.last_manager_id
    left join first_contacts on first_contacts.customer_id = customers.customer_id
),

final as (
    select
        cast(customer_id as varchar) as customer_id,
        cast(name as varchar) as name,
        cast(phone as varchar) as phone,
        cast(email as varchar) as email,
        cast(city as varchar) as city,
        cast(legal_form as varchar) as legal_form,
        cast(inn as varchar) as inn,
        cast(counterparty_count as integer) as counterparty_count,
        cast(gender as varchar) as gender,
        cast(birthday as date) as birthday,
        cast(
            date_part('year', age(cast({{ as_of_date() }} as timestamp), cast(birthday as timestamp))) as integer
        ) as age,
        cast(seen_in as varchar) as seen_in,
        cast(acquisition_channel as varchar) as acquisition_channel,
        cast(first_contact_date as date) as first_contact_date,
        cast(first_sale_date as date) as first_sale_date,
        cast(last_sale_date as date) as last_sale_date,
        -- a first sale before any recorded contact (a 1C customer the CRM met later): not measurable
        cast(
            case
                when first_contact_date <= first_sale_date
                    then datediff('day', first_contact_date, first_sale_date)
            end as integer
        ) as maturation_days,
        cast(datediff('day', last_sale_date, {{ as_of_date() }}) as integer) as days_since_last_sale,
        cast(sales_count as integer) as sales_count,
        cast(sales_amount as decimal(18, 2)) as sales_amount,
        cast(returns_amount as decimal(18, 2)) as returns_amount,
        cast(revenue as decimal(18, 2)) as revenue,
        -- NULL when none of the customer's lines has a known cost (a prospect too)
        cast(known_cost as decimal(18, 2)) as cost,
        cast(costed_revenue - known_cost as decimal(18, 2)) as gross_profit,
        cast(revenue - costed_revenue as decimal(18, 2)) as unknown_cost_revenue,
        {{ money_per('revenue', 'sales_count') }} as average_check,
        cast(
            case
                when sales_count > 1
                    then datediff('day', first_sale_date, last_sale_date) / (sales_count - 1)
            end as double
        ) as avg_days_between_sales,
        cast(top_product_group as varchar) as top_product_group,
        cast(product_groups as varchar) as product_groups,
        cast(last_manager_name as varchar) as last_manager_name,
        cast(
            case
                when sales_count = 0 then 'prospect'
                when datediff('day', last_sale_date, {{ as_of_date() }}) >= {{ var('lost_after_days') }}
                    then 'lost'
                when sales_in_regular_window >= {{ var('regular_min_sales') }} then 'regular'
                when date_trunc('month', first_sale_date) = date_trunc('month', {{ as_of_date() }})
                    then 'new'
                else 'active'
            end as varchar
        ) as status,
        cast({{ as_of_date() }} as date) as as_of_date
    from measured
)

select * from final
