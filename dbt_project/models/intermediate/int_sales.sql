-- Grain: one row per sale (posted, not deletion-marked shipment) or return (posted, not deletion-marked
-- return), keyed by document_id. amount/cost are signed (returns negative, on the return's own date).
-- sale_ordinal numbers a customer's sales by (local date-time, Ref_Key); returns have none.
with

shipments as (
    select * from {{ ref('stg_onec__shipments') }}
    where is_posted
),

returns as (
    select * from {{ ref('stg_onec__returns') }}
    where is_posted
),

sale_lines as (
    select * from {{ ref('int_sale_lines') }}
),

counterparties as (
    select * from {{ ref('int_counterparties_resolved') }}
),

documents as (
    select
        'sale' as document_type,
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
        return_id as document_id,
        return_number as document_number,
        return_datetime_local as document_datetime_local,
        counterparty_id,
        manager_id,
        cast(null as varchar) as order_id,
        shipment_id,
        -document_amount as document_amount
    from returns
),

line_totals as (
    select
        document_id,
        count(*) as line_count,
        sum(amount) as amount,
        sum(cost) as cost
    from sale_lines
    group by document_id
),

attributed as (
    select
        documents.*,
        coalesce(counterparties.customer_id, documents.counterparty_id) as customer_id,
        coalesce(line_totals.line_count, 0) as line_count,
        cast(coalesce(line_totals.amount, 0) as decimal(18, 2)) as amount,
        cast(coalesce(line_totals.cost, 0) as decimal(18, 2)) as cost
    from documents
    left join line_totals on line_totals.document_id = documents.document_id
    left join counterparties on counterparties.counterparty_id = documents.counterparty_id
),

sale_ordinals as (
    select
        document_id,
        row_number() over (
            partition by customer_id
            order by document_datetime_local, document_id
        ) as sale_ordinal
    from attributed
    where document_type = 'sale'
),

final as (
    select
        attributed.document_id,
        attributed.document_type,
        attributed.document_number,
        attributed.customer_id,
        attributed.counterparty_id,
        attributed.manager_id,
        attributed.order_id,
        attributed.shipment_id,
        attributed.document_datetime_local,
        cast(attributed.document_datetime_local as date) as document_date,
        cast(date_trunc('month', attributed.document_datetime_local) as date) as document_month,
        {{ local_to_utc('attributed.document_datetime_local') }} as document_at,
        attributed.line_count,
        attributed.amount,
        attributed.cost,
        cast(attributed.amount - attributed.cost as decimal(18, 2)) as gross_profit,
        attributed.document_amount,
        sale_ordinals.sale_ordinal,
        coalesce(sale_ordinals.sale_ordinal > 1, false) as is_repeat_sale
    from attributed
    left join sale_ordinals on sale_ordinals.document_id = attributed.document_id
)

select * from final
