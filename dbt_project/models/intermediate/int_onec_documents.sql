-- Grain: one row per posted 1C document that moves money (document_id): a shipment (document_type 'sale',
-- sign +1) or a return ('return', sign −1). Deletion-marked documents never reach staging; an unposted one
-- is a draft that moves no goods and no money, so it is left out here, once for every consumer.
-- This is the one signed union of shipments and returns: int_sales (documents), int_sale_lines (their
-- lines, × sign) and int_customers (counterparties with documents) read it. document_amount is
-- СуммаДокумента as 1C states it, signed: a return subtracts, on its own date (docs/METRICS.md — Sale).
with

shipments as (
    select * from {{ ref('stg_onec__shipments') }}
    where is_posted
),

returns as (
    select * from {{ ref('stg_onec__returns') }}
    where is_posted
),

documents as (
    select
        'sale' as document_type,
        1 as sign,
        shipment_id as document_id,
        shipment_number as document_number,
        shipment_datetime_local as document_datetime_local,
        counterparty_id,
        manager_id,
        order_id,
        cast(null as varchar) as shipment_id,
        document_amount
    from shipments
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
