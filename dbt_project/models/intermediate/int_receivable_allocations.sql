-- Grain: one row per piece of a payment part (payment_id, line_number, allocation_kind, invoice_id): what
-- the part paid on one invoice, or the advance it left over (invoice_id NULL). Σ allocated_amount over the
-- model = Σ of the payment parts counted (docs/METRICS.md — Receivables, Allocation):
--   payments: posted parts dated on or before the as-of date, amount > 0; invoices: macro receivable_invoices.
--   pass 1 'linked': a part naming a live invoice of its own counterparty pays it, up to what is still unpaid,
--     parts applied in payment order; the excess goes on.
--   pass 2 'order': what is left of a part naming a customer order (УТ 11's breakdown may) pays the live
--     invoices of that order and counterparty still unpaid after pass 1, oldest first (macro pay_in_queue).
--   pass 3 'fifo': what is left (parts naming nothing, a deleted or an unknown document, and excesses), in
--     payment order, pays the counterparty's invoices still unpaid after passes 1 and 2, oldest first. What
--     no invoice takes is an 'advance'.
-- allocation_date = the later of the payment's date and the invoice's date (an advance pays an invoice the
-- day it is issued); the marts date payments by it.
with

invoices as (
    select
        *,
        -- invoice order: date (the document's date-time), then number (as a counter), then key
        row_number() over (
            order by invoice_datetime_local, {{ onec_number_order('invoice_number') }}, invoice_number, invoice_id
        ) as invoice_sequence
    from ({{ receivable_invoices() }}) as receivable_invoices
),

payment_parts as (
    select
        *,
        amount as unlinked_amount,
        -- payment order: date-time, number, row; kind and key only break ties (same-day ties change no mart)
        row_number() over (
            order by payment_datetime_local, {{ onec_number_order('payment_number') }}, payment_number,
                payment_kind, payment_id, line_number
        ) as payment_sequence
    from {{ ref('stg_onec__payment_parts') }}
    where is_posted
      and payment_date <= {{ as_of_date() }}
      and amount > 0
),

linked_parts as (
    select
        payment_parts.*,
        invoices.invoice_id as paid_invoice_id,
        invoices.document_amount as invoice_amount,
        invoices.invoice_date,
        invoices.invoice_sequence,
        coalesce(
            sum(payment_parts.amount) over (
                partition by invoices.invoice_id
                order by payment_parts.payment_sequence
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as applied_before
    from payment_parts
    inner join invoices
        on invoices.invoice_id = payment_parts.paid_document_id
        and invoices.counterparty_id = payment_parts.counterparty_id
),

linked_allocations as (
    select
        * exclude (invoice_amount, applied_before),
        greatest(least(amount, invoice_amount - applied_before), 0) as allocated_amount
    from linked_parts
),

parts_after_linked as (
    {{ left_after('payment_parts', 'linked_allocations', 'part') }}
),

invoices_after_linked as (
    {{ left_after('(select *, document_amount as unpaid_amount from invoices)', 'linked_allocations', 'invoice') }}
),

order_allocations as (
    {{ pay_in_queue(
        '(select *, paid_document_id as queue_id from parts_after_linked)',
        '(select *, order_id as queue_id from invoices_after_linked where order_id is not null)'
    ) }}
),

parts_after_orders as (
    {{ left_after('parts_after_linked', 'order_allocations', 'part') }}
),

invoices_after_orders as (
    {{ left_after('invoices_after_linked', 'order_allocations', 'invoice') }}
),

fifo_allocations as (
    {{ pay_in_queue(
        "(select *, '' as queue_id from parts_after_orders)",
        "(select *, '' as queue_id from invoices_after_orders)"
    ) }}
),

advances as (
    {{ left_after('parts_after_orders', 'fifo_allocations', 'part') }}
),

allocations as (
    select 1 as pass, 'linked' as allocation_kind, * from linked_allocations where allocated_amount > 0
    union all by name
    select 2 as pass, 'order' as allocation_kind, * from order_allocations
    union all by name
    select 3 as pass, 'fifo' as allocation_kind, * from fifo_allocations
    union all by name
    select
        4 as pass,
        'advance' as allocation_kind,
        *,
        cast(null as varchar) as paid_invoice_id,
        cast(null as date) as invoice_date,
        cast(null as bigint) as invoice_sequence,
        unlinked_amount as allocated_amount
    from advances
),

final as (
    select
        payment_id,
        line_number,
        allocation_kind,
        paid_invoice_id as invoice_id,
        payment_kind,
        payment_number,
        payment_date,
        counterparty_id,
        cast(payment_sequence as integer) as payment_sequence,
        -- the order the passes apply the pieces in: what "the allocation that brought outstanding to 0" means
        cast(row_number() over (order by pass, payment_sequence, invoice_sequence) as integer) as allocation_order,
        case when paid_invoice_id is not null then greatest(payment_date, invoice_date) end as allocation_date,
        cast(allocated_amount as decimal(18, 2)) as allocated_amount
    from allocations
)

select * from final
