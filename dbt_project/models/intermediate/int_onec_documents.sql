-- Grain: one row per posted 1C document that moves money (document_id): a shipment (document_type 'sale',
-- sign +1) or a return ('return', sign −1). Deletion-marked documents never reach staging; an unposted one
-- is a draft that moves no goods and no money, so it is left out here, once for every consumer.
-- This is the one signed union of shipments and returns: int_sales (documents), int_sale_lines (their
-- lines, × sign) and int_customers (counterparties with documents) read it. document_amount is
-- СуммаДокумента as 1C states it, signed: a return subtracts, on its own date (docs/METRICS.md — Sale).
-- УНФ's service acts (int_onec_service_acts_matched) add to the shipment they belong to, or are a sale
-- of their own.
with

shipments as (
    select * from {{ ref('stg_onec__shipments') }}
    where is_posted
),

returns as (
    select * from {{ ref('stg_onec__returns') }}
    where is_posted
),

service_acts as (
    select * from {{ ref('int_onec_service_acts_matched') }}
),

act_amounts as (
    select
        shipment_id,
        sum(document_amount) as acts_amount
    from service_acts
    where shipment_id is not null
    group by shipment_id
),

documents as (
    select
        'sale' as document_type,
        1 as sign,
        shipments.shipment_id as document_id,
        shipments.shipment_number as document_number,
        shipments.shipment_datetime_local as document_datetime_local,
        shipments.counterparty_id,
        shipments.manager_id,
        shipments.order_id,
        cast(null as varchar) as shipment_id,
        shipments.document_amount + coalesce(act_amounts.acts_amount, 0) as document_amount
    from shipments
    left join act_amounts on act_amounts.shipment_id = shipments.shipment_id
    union all
    select
        'sale' as document_type,
        1 as sign,
        service_act_id as document_id,
        service_act_number as document_number,
        service_act_datetime_local as document_datetime_local,
        counterparty_id,
        manager_id,
        order_id,
        cast(null as varchar) as shipment_id,
        document_amount
    from service_acts
    where shipment_id is null
    union all
    select
        'return' as document_type,
        -1 as sign,
        return_id as document_id,
        return_number as document_number,
        return_datetime_local as document_datetime_local,
        counterparty_id,
        manager_id,
        cast(null as varchar) as order_id,
        shipment_id,
        -document_amount as document_amount
    from returns
)

select * from documents
