-- Grain: one row per live WooCommerce order (order_id), every status but `trash`. A sale is a `completed`
-- one (is_completed); the others (pending, processing, cancelled, failed, refunded, …) are kept for funnels.
-- `*_at` are UTC from the `*_gmt` fields; created_local is the site's own wall time as sent.
with

source as (
    {{ onec_live_versions(source('website', 'orders')) }}
),

-- Belt and braces: the connector reads status=any, which never lists a trashed order, and tombstones an
-- order that vanished from it; a `trash` version landed some other way is no site order either.
listed as (
    select * from source
    where coalesce(lower({{ website_text('_data', 'status') }}), '') <> 'trash'
),

renamed as (
    select
        {{ website_int('_data', 'id') }} as order_id,
        {{ website_text('_data', 'number') }} as order_number,
        {{ website_text('_data', 'order_key') }} as order_key,
        nullif({{ website_int('_data', 'parent_id') }}, 0) as parent_order_id,
        lower({{ website_text('_data', 'status') }}) as status,
        {{ website_text('_data', 'currency') }} as currency,
        {{ website_money('_data', 'total') }} as total,
        {{ website_money('_data', 'discount_total') }} as discount_total,
        {{ website_money('_data', 'shipping_total') }} as shipping_total,
        {{ website_money('_data', 'total_tax') }} as total_tax,
        -- refunds[].total are negative strings ("-100.00"); summed from the text, kept exact
        cast(
            coalesce(
                list_sum(
                    list_transform(
                        {{ website_json_list("_data -> 'refunds'") }},
                        lambda refund: abs({{ website_money('refund', 'total') }})
                    )
                ),
                0
            )
            as decimal(18, 2)
        ) as refunded_amount,
        {{ website_datetime('_data', 'date_created') }} as created_local,
        {{ website_utc('_data', 'date_created') }} as created_at,
        {{ website_utc('_data', 'date_modified') }} as modified_at,
        {{ website_utc('_data', 'date_completed') }} as completed_at,
        {{ website_utc('_data', 'date_paid') }} as paid_at,
        nullif({{ website_int('_data', 'customer_id') }}, 0) as customer_id,
        {{ website_text('_data', 'created_via') }} as created_via,
        {{ website_text('_data', 'payment_method') }} as payment_method,
        {{ website_text('_data', '$.billing.first_name') }} as billing_first_name,
        {{ website_text('_data', '$.billing.last_name') }} as billing_last_name,
        {{ website_text('_data', '$.billing.company') }} as billing_company,
        {{ website_text('_data', '$.billing.phone') }} as billing_phone,
        {{ website_text('_data', '$.billing.email') }} as billing_email,
        {{ website_text('_data', '$.billing.city') }} as billing_city,
        {{ website_meta('_data', ['_wc_order_attribution_source_type']) }} as utm_source_type,
        {{ website_meta('_data', ['_wc_order_attribution_utm_source', '_utm_source', '_billing_wooctm_utm_source']) }}
            as utm_source,
        {{ website_meta('_data', ['_wc_order_attribution_utm_medium', '_utm_medium', '_billing_wooctm_utm_medium']) }}
            as utm_medium,
        {{ website_meta('_data', ['_wc_order_attribution_utm_campaign', '_utm_campaign', '_billing_wooctm_utm_campaign']) }}
            as utm_campaign,
        {{ website_meta('_data', ['_wc_order_attribution_utm_content', '_utm_content', '_billing_wooctm_utm_content']) }}
            as utm_content,
        {{ website_meta('_data', ['_wc_order_attribution_referrer']) }} as referrer,
        {{ website_meta('_data', ['_wc_order_attribution_device_type']) }} as device_type,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from listed
),

final as (
    select
        order_id,
        order_number,
        order_key,
        parent_order_id,
        status,
        status = 'completed' as is_completed,
        currency,
        total,
        discount_total,
        shipping_total,
        total_tax,
        refunded_amount,
        created_local,
        created_at,
        cast(timezone('{{ var("timezone") }}', timezone('UTC', created_at)) as date) as created_date,
        modified_at,
        completed_at,
        paid_at,
        customer_id,
        created_via,
        payment_method,
        billing_first_name,
        billing_last_name,
        billing_company,
        billing_phone,
        {{ normalize_phone('billing_phone') }} as billing_phone_normalized,
        billing_email,
        {{ normalize_email('billing_email') }} as billing_email_normalized,
        billing_city,
        utm_source_type,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        referrer,
        device_type,
        extracted_at,
        loaded_seq
    from renamed
)

select * from final
