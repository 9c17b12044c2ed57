-- Grain: one row per live site order (order_id), every status: its customer, its channel, whether it
-- reached 1C, and whether it is a sale of its own (docs/METRICS.md — Sale, Channel).
--
-- "Reached 1C" = a 1C customer order or sale carries its number in НомерПоДаннымКлиента (a sale: БП 3.0
-- has no orders), whatever that document's state: such an order is counted once, from 1C, when 1C ships it. A `completed`
-- order that never reached 1C (an e-gift certificate, a shop that runs without 1C) is a site-only sale:
-- amount = total, moment = date_completed in the company time zone, cost unknown (NULL).
with

site_orders as (
    select * from {{ ref('stg_website__orders') }}
),

identity as (
    select * from {{ ref('int_identity_records') }}
    where source = 'website'
),

-- Deletion-marked 1C documents count too (staging drops them, so the raw versions are read here).
onec_documents as (
    select _data from ({{ onec_live_versions(source('onec', 'customer_orders')) }}) as orders
    union all
    select _data from ({{ onec_live_versions(source('onec', 'shipments')) }}) as shipments
),

onec_order_numbers as (
    select distinct {{ onec_text('_data', 'НомерПоДаннымКлиента') }} as client_order_number
    from onec_documents
    where {{ onec_text('_data', 'НомерПоДаннымКлиента') }} is not null
),

spellings as (
    select distinct utm_source, utm_medium
    from site_orders
),

spelling_channels as (
    select
        utm_source,
        utm_medium,
        {{ channel_of('utm', 'spellings.utm_source', 'spellings.utm_medium') }} as channel
    from spellings
),

-- A plugin that completes orders without date_completed: the order's last change is that moment.
completed_orders as (
    select
        order_id,
        coalesce(completed_at, modified_at) as completed_at
    from site_orders
    where is_completed
),

final as (
    select
        site_orders.order_id,
        site_orders.order_number,
        'site:' || site_orders.order_number as sale_document_id,
        identity.customer_id,
        site_orders.status,
        site_orders.is_completed,
        onec_order_numbers.client_order_number is not null as reached_onec,
        site_orders.is_completed and onec_order_numbers.client_order_number is null as is_site_only_sale,
        site_orders.total,
        site_orders.created_at,
        completed_orders.completed_at,
        cast(timezone('{{ var("timezone") }}', timezone('UTC', completed_orders.completed_at)) as timestamp)
            as completed_local,
        site_orders.utm_source_type,
        site_orders.utm_source,
        site_orders.utm_medium,
        site_orders.utm_campaign,
        spelling_channels.channel
    from site_orders
    inner join identity on identity.record_id = cast(site_orders.order_id as varchar)
    left join completed_orders on completed_orders.order_id = site_orders.order_id
    left join onec_order_numbers on onec_order_numbers.client_order_number = site_orders.order_number
    left join spelling_channels
        on spelling_channels.utm_source is not distinct from site_orders.utm_source
        and spelling_channels.utm_medium is not distinct from site_orders.utm_medium
)

select * from final
