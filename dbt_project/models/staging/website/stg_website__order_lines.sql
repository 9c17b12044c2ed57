-- Grain: one row per line item (order_id, line_id) of a live WooCommerce order, every status but `trash`
-- (the orders of stg_website__orders).
with

source as (
    {{ onec_live_versions(source('website', 'orders')) }}
),

-- As in stg_website__orders: a trashed order is no site order, whatever landed.
listed as (
    select * from source
    where coalesce(lower({{ website_text('_data', 'status') }}), '') <> 'trash'
),

line_rows as (
    select
        {{ website_int('_data', 'id') }} as order_id,
        unnest({{ website_json_list("_data -> 'line_items'") }}) as line_item
    from listed
),

final as (
    select
        order_id,
        {{ website_int('line_item', 'id') }} as line_id,
        {{ website_text('line_item', 'sku') }} as sku,
        nullif({{ website_int('line_item', 'product_id') }}, 0) as product_id,
        nullif({{ website_int('line_item', 'variation_id') }}, 0) as variation_id,
        {{ website_text('line_item', 'name') }} as product_name,
        cast({{ website_text('line_item', 'quantity') }} as decimal(18, 3)) as quantity,
        {{ website_money('line_item', 'price') }} as price,
        {{ website_money('line_item', 'subtotal') }} as subtotal,
        {{ website_money('line_item', 'total') }} as total,
        {{ website_money('line_item', 'total_tax') }} as total_tax
    from line_rows
)

select * from final
