-- Grain: one row per customer (customer_id) with at least one site order (any status): who the customer is
-- by the shop (typed by the buyer, once per order). Every value comes from the latest order that has it
-- (created_at, then the larger order id): name = billing first + last name, else the company; phone /
-- e-mail only when the order's value is an identity key of int_identity_links (a switchboard never shows).
with

identity as (
    select * from {{ ref('int_identity_records') }}
),

links as (
    select * from {{ ref('int_identity_links') }}
    where is_key
),

site_orders as (
    select * from {{ ref('stg_website__orders') }}
),

ranked_orders as (
    select
        identity.customer_id,
        coalesce(
            nullif(trim(concat_ws(' ', site_orders.billing_first_name, site_orders.billing_last_name)), ''),
            site_orders.billing_company
        ) as name,
        phone_keys.link_value as phone,
        email_keys.link_value as email,
        site_orders.billing_city as city,
        row_number() over (
            partition by identity.customer_id
            order by site_orders.created_at desc nulls last, site_orders.order_id desc
        ) as order_rank
    from site_orders
    inner join identity on identity.record_key = 'website:' || site_orders.order_id
    left join links as phone_keys
        on phone_keys.record_key = identity.record_key
        and phone_keys.link_type = 'phone'
        and phone_keys.link_value = site_orders.billing_phone_normalized
    left join links as email_keys
        on email_keys.record_key = identity.record_key
        and email_keys.link_type = 'email'
        and email_keys.link_value = site_orders.billing_email_normalized
),

final as (
    select
        customer_id,
        min_by(name, order_rank) filter (where name is not null) as name,
        min_by(phone, order_rank) filter (where phone is not null) as phone,
        min_by(email, order_rank) filter (where email is not null) as email,
        min_by(city, order_rank) filter (where city is not null) as city,
        count(*) as site_order_count
    from ranked_orders
    group by customer_id
)

select * from final
