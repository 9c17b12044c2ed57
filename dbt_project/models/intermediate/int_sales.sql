-- Grain: one row per sale or return, keyed by document_id (docs/METRICS.md — Sale, Repeat sale):
--   1C (source 'onec'): a posted, not deletion-marked shipment (sale) or return (int_onec_documents);
--     amount = Σ line Сумма;
--   site (source 'website'): a completed site order that no 1C customer order carries the number of
--     (int_site_orders_resolved), document_id 'site:<number>', amount = total, at date_completed, cost
--     unknown. A site order that reached 1C is one sale, counted from 1C; with 1C absent every completed
--     order is one.
-- amount/cost are signed (returns negative, on the return's own date). cost and gross_profit are NULL
-- unless every line's cost is known (a document without lines: unknown): a document's profit is never
-- computed from a missing price. costed_amount / known_cost carry the part whose cost is known (the
-- lines with a known cost) so the marts can sum profit over it. sale_ordinal numbers a customer's sales
-- by (local date-time, document_id); returns have none.
with

-- posted shipments (+) and returns (−), the one signed union of the two
documents as (
    select * from {{ ref('int_onec_documents') }}
),

sale_lines as (
    select * from {{ ref('int_sale_lines') }}
),

counterparties as (
    select * from {{ ref('int_counterparties_resolved') }}
),

site_sales as (
    select * from {{ ref('int_site_orders_resolved') }}
    where is_site_only_sale
),

line_totals as (
    select
        document_id,
        count(*) as line_count,
        sum(amount) as amount,
        bool_and(is_cost_known) as is_cost_known,
        sum(amount) filter (where is_cost_known) as costed_amount,
        sum(cost) as known_cost
    from sale_lines
    group by document_id
),

onec_documents as (
    select
        'onec' as source,
        documents.* exclude (sign),
        cast(null as bigint) as site_order_id,
        coalesce(counterparties.customer_id, documents.counterparty_id) as customer_id,
        coalesce(line_totals.line_count, 0) as line_count,
        cast(coalesce(line_totals.amount, 0) as decimal(18, 2)) as amount,
        coalesce(line_totals.is_cost_known, false) as is_cost_known,
        cast(coalesce(line_totals.costed_amount, 0) as decimal(18, 2)) as costed_amount,
        cast(line_totals.known_cost as decimal(18, 2)) as known_cost
    from documents
    left join line_totals on line_totals.document_id = documents.document_id
    left join counterparties on counterparties.counterparty_id = documents.counterparty_id
),

site_documents as (
    select
        'website' as source,
        'sale' as document_type,
        site_sales.sale_document_id as document_id,
        site_sales.order_number as document_number,
        site_sales.completed_local as document_datetime_local,
        cast(null as varchar) as counterparty_id,
        cast(null as varchar) as manager_id,
        cast(null as varchar) as order_id,
        cast(null as varchar) as shipment_id,
        cast(site_sales.total as decimal(18, 2)) as document_amount,
        site_sales.order_id as site_order_id,
        site_sales.customer_id,
        coalesce(line_totals.line_count, 0) as line_count,
        cast(coalesce(site_sales.total, 0) as decimal(18, 2)) as amount,
        -- the goods never went through 1C's stock: salespipe does not know what they cost
        false as is_cost_known,
        cast(0 as decimal(18, 2)) as costed_amount,
        cast(null as decimal(18, 2)) as known_cost
    from site_sales
    left join line_totals on line_totals.document_id = site_sales.sale_document_id
),

attributed as (
    select * from onec_documents
    union all by name
    select * from site_documents
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
        attributed.source,
        attributed.document_number,
        attributed.customer_id,
        attributed.counterparty_id,
        attributed.manager_id,
        attributed.order_id,
        attributed.shipment_id,
        attributed.site_order_id,
        attributed.document_datetime_local,
        cast(attributed.document_datetime_local as date) as document_date,
        cast(date_trunc('month', attributed.document_datetime_local) as date) as document_month,
        {{ local_to_utc('attributed.document_datetime_local') }} as document_at,
        attributed.line_count,
        attributed.amount,
        attributed.is_cost_known,
        case when attributed.is_cost_known then attributed.known_cost end as cost,
        cast(
            case when attributed.is_cost_known then attributed.amount - attributed.known_cost end
            as decimal(18, 2)
        ) as gross_profit,
        attributed.costed_amount,
        attributed.known_cost,
        attributed.document_amount,
        sale_ordinals.sale_ordinal,
        coalesce(sale_ordinals.sale_ordinal > 1, false) as is_repeat_sale
    from attributed
    left join sale_ordinals on sale_ordinals.document_id = attributed.document_id
)

select * from final
