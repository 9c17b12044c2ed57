-- Grain: one row per line (document_id, section, line_number) of a sale (posted shipment) or a return
-- (posted return) of int_onec_documents; deletion-marked documents never reach staging. Returns are signed
-- negative (the document's sign): quantity, amount and cost subtract on the return's own date.
-- Cost = quantity x the purchase price (var purchase_price_type) with the latest Period <= the document
-- date-time; a return's cost is priced at the return's date. Without such a price the cost is unknown
-- (NULL, is_cost_known false), never 0: a zero would turn the whole amount into profit. The one exception
-- is a service: it moves no goods, so without a purchase price its cost of goods truly is 0.
-- Site-only sales (int_site_orders_resolved: completed, never reached 1C) add their line items (section
-- 'site'): the product is the 1C product whose Артикул is the line's sku, when there is one; amount = line
-- total + its tax; cost unknown (the goods never went through 1C's stock). Shipping and fees are not
-- lines, so a site sale's lines can sum to less than its amount (the order total).
with

-- posted shipments (sign +1) and returns (sign −1): the one signed union of the two
documents as (
    select * from {{ ref('int_onec_documents') }}
),

shipment_lines as (
    select * from {{ ref('stg_onec__shipment_lines') }}
),

return_lines as (
    select * from {{ ref('stg_onec__return_lines') }}
),

-- УНФ: a service act's lines belong to the sale the act joined (int_onec_service_acts_matched)
service_act_lines as (
    select
        service_acts.document_id,
        lines.section,
        lines.line_number,
        lines.product_id,
        lines.quantity,
        lines.price,
        lines.amount
    from {{ ref('stg_onec__service_act_lines') }} as lines
    inner join {{ ref('int_onec_service_acts_matched') }} as service_acts
        on service_acts.service_act_id = lines.service_act_id
),

prices as (
    select * from {{ ref('stg_onec__prices') }}
),

price_types as (
    select * from {{ ref('stg_onec__price_types') }}
),

counterparties as (
    select * from {{ ref('int_counterparties_resolved') }}
),

products as (
    select * from {{ ref('int_products_grouped') }}
),

site_sales as (
    select * from {{ ref('int_site_orders_resolved') }}
    where is_site_only_sale
),

site_order_lines as (
    select * from {{ ref('stg_website__order_lines') }}
),

-- An Артикул shared by several products (a data-entry slip) maps to none rather than to an arbitrary one.
products_by_sku as (
    select
        sku,
        min(product_id) as product_id
    from products
    where sku is not null
    group by sku
    having count(*) = 1
),

purchase_prices as (
    select
        prices.product_id,
        prices.valid_from_local,
        prices.price as purchase_price
    from prices
    inner join price_types on price_types.price_type_id = prices.price_type_id
    where price_types.price_type_name = '{{ var("purchase_price_type") }}'
      and prices.valid_from_local is not null
      and prices.product_id is not null
),

onec_lines as (
    select
        'sale' as document_type,
        shipment_id as document_id,
        section,
        line_number,
        product_id,
        quantity,
        price,
        amount
    from shipment_lines
    union all
    select
        'sale' as document_type,
        document_id,
        section,
        line_number,
        product_id,
        quantity,
        price,
        amount
    from service_act_lines
    union all
    select
        'return' as document_type,
        return_id as document_id,
        section,
        line_number,
        product_id,
        quantity,
        price,
        amount
    from return_lines
),

document_lines as (
    select
        documents.document_type,
        documents.sign,
        documents.document_id,
        documents.document_number,
        documents.document_datetime_local,
        documents.counterparty_id,
        documents.manager_id,
        onec_lines.section,
        onec_lines.line_number,
        onec_lines.product_id,
        onec_lines.quantity,
        onec_lines.price,
        onec_lines.amount
    from onec_lines
    inner join documents
        on documents.document_id = onec_lines.document_id
        and documents.document_type = onec_lines.document_type
),

costed_lines as (
    select
        document_lines.*,
        purchase_prices.purchase_price
    from document_lines
    asof left join purchase_prices
        on purchase_prices.product_id = document_lines.product_id
        and document_lines.document_datetime_local >= purchase_prices.valid_from_local
),

signed_lines as (
    select
        costed_lines.document_type,
        costed_lines.document_id,
        costed_lines.section,
        costed_lines.line_number,
        costed_lines.document_number,
        costed_lines.document_datetime_local,
        cast(costed_lines.document_datetime_local as date) as document_date,
        cast(date_trunc('month', costed_lines.document_datetime_local) as date) as document_month,
        {{ local_to_utc('costed_lines.document_datetime_local') }} as document_at,
        costed_lines.counterparty_id,
        coalesce(counterparties.customer_id, costed_lines.counterparty_id) as customer_id,
        costed_lines.manager_id,
        costed_lines.product_id,
        products.product_name,
        products.product_type,
        products.product_group_id,
        coalesce(products.product_group_name, 'Без группы') as product_group_name,
        cast(costed_lines.sign * coalesce(costed_lines.quantity, 0) as decimal(18, 3)) as quantity,
        costed_lines.price,
        cast(costed_lines.sign * coalesce(costed_lines.amount, 0) as decimal(18, 2)) as amount,
        costed_lines.purchase_price,
        cast(
            case
                when costed_lines.purchase_price is not null
                    then costed_lines.sign
                        * round(coalesce(costed_lines.quantity, 0) * costed_lines.purchase_price, 2)
                when products.product_type = 'service' then 0
            end as decimal(18, 2)
        ) as cost
    from costed_lines
    left join counterparties on counterparties.counterparty_id = costed_lines.counterparty_id
    left join products on products.product_id = costed_lines.product_id
),

site_lines as (
    select
        'sale' as document_type,
        site_sales.sale_document_id as document_id,
        'site' as section,
        cast(
            row_number() over (partition by site_sales.order_id order by site_order_lines.line_id) as integer
        ) as line_number,
        site_sales.order_number as document_number,
        site_sales.completed_local as document_datetime_local,
        cast(site_sales.completed_local as date) as document_date,
        cast(date_trunc('month', site_sales.completed_local) as date) as document_month,
        site_sales.completed_at as document_at,
        cast(null as varchar) as counterparty_id,
        site_sales.customer_id,
        cast(null as varchar) as manager_id,
        products.product_id,
        coalesce(products.product_name, site_order_lines.product_name) as product_name,
        products.product_type,
        products.product_group_id,
        coalesce(products.product_group_name, 'Без группы') as product_group_name,
        cast(coalesce(site_order_lines.quantity, 0) as decimal(18, 3)) as quantity,
        site_order_lines.price,
        cast(coalesce(site_order_lines.total, 0) + coalesce(site_order_lines.total_tax, 0) as decimal(18, 2))
            as amount,
        cast(null as decimal(18, 2)) as purchase_price,
        cast(null as decimal(18, 2)) as cost
    from site_order_lines
    inner join site_sales on site_sales.order_id = site_order_lines.order_id
    left join products_by_sku on products_by_sku.sku = site_order_lines.sku
    left join products on products.product_id = products_by_sku.product_id
),

lines as (
    select * from signed_lines
    union all by name
    select * from site_lines
),

final as (
    select
        *,
        cost is not null as is_cost_known,
        cast(amount - cost as decimal(18, 2)) as gross_profit
    from lines
)

select * from final
