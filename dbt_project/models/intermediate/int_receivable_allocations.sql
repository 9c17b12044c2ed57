-- Grain: one row per piece of a payment part (payment_id, line_number, allocation_kind, invoice_id): what
-- the part paid on one invoice, or the advance it left over (invoice_id NULL). Σ allocated_amount over the
-- model = Σ of the payment parts counted (docs/METRICS.md — Receivables, Allocation):
--   payments: posted parts dated on or before the as-of date, amount > 0; invoices: macro receivable_invoices.
--   pass 1 'linked': a part naming a live invoice of its own counterparty pays it, up to what is still unpaid,
--     parts applied in payment order; the excess is unlinked.
--   pass 2 'fifo': unlinked amounts (parts naming no, a deleted or an unknown invoice, and excesses), in payment
--     order, pay the counterparty's invoices still unpaid after pass 1, oldest first: the overlap of the two
--     running totals per counterparty. What no invoice takes is an 'advance'.
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
        invoices.document_amount as invoice_amount,
        invoices.invoice_date,
        invoices.invoice_sequence,
        coalesce(
            sum(payment_parts.amount) over (
                partition by payment_parts.invoice_id
                order by payment_parts.payment_sequence
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as applied_before
    from payment_parts
    inner join invoices
        on invoices.invoice_id = payment_parts.invoice_id
        and invoices.counterparty_id = payment_parts.counterparty_id
),

linked_allocations as (
    select
        *,
        greatest(least(amount, invoice_amount - applied_before), 0) as allocated_amount
    from linked_parts
),

unlinked_amounts as (
    select
        payment_parts.*,
        payment_parts.amount as unlinked_amount
    from payment_parts
    anti join linked_parts
        on linked_parts.payment_id = payment_parts.payment_id
        and linked_parts.line_number = payment_parts.line_number
    union all by name
    select
        linked_allocations.* exclude (invoice_amount, invoice_date, invoice_sequence, applied_before, allocated_amount),
        linked_allocations.amount - linked_allocations.allocated_amount as unlinked_amount
    from linked_allocations
    where linked_allocations.amount > linked_allocations.allocated_amount
),

linked_totals as (
    select
        invoice_id,
        sum(allocated_amount) as linked_amount
    from linked_allocations
    group by invoice_id
),

unpaid_invoices as (
    select
        invoices.invoice_id,
        invoices.counterparty_id,
        invoices.invoice_date,
        invoices.invoice_sequence,
        invoices.document_amount - coalesce(linked_totals.linked_amount, 0) as unpaid_amount
    from invoices
    left join linked_totals on linked_totals.invoice_id = invoices.invoice_id
    where invoices.document_amount - coalesce(linked_totals.linked_amount, 0) > 0
),

-- each unpaid invoice and each unlinked amount is an interval on its counterparty's running total; FIFO
-- pairs them where the intervals overlap
invoice_intervals as (
    select
        *,
        sum(unpaid_amount) over (
            partition by counterparty_id order by invoice_sequence rows unbounded preceding
        ) as ends_at
    from unpaid_invoices
),

unlinked_intervals as (
    select
        *,
        sum(unlinked_amount) over (
            partition by counterparty_id order by payment_sequence rows unbounded preceding
        ) as ends_at
    from unlinked_amounts
),

fifo_allocations as (
    select
        unlinked_intervals.*,
        invoice_intervals.invoice_id as paid_invoice_id,
        invoice_intervals.invoice_date,
        invoice_intervals.invoice_sequence,
        least(invoice_intervals.ends_at, unlinked_intervals.ends_at)
            - greatest(
                invoice_intervals.ends_at - invoice_intervals.unpaid_amount,
                unlinked_intervals.ends_at - unlinked_intervals.unlinked_amount
            ) as allocated_amount
    from unlinked_intervals
    inner join invoice_intervals
        on invoice_intervals.counterparty_id = unlinked_intervals.counterparty_id
        and invoice_intervals.ends_at - invoice_intervals.unpaid_amount < unlinked_intervals.ends_at
        and unlinked_intervals.ends_at - unlinked_intervals.unlinked_amount < invoice_intervals.ends_at
),

counterparty_unpaid as (
    select
        counterparty_id,
        sum(unpaid_amount) as unpaid_amount
    from unpaid_invoices
    group by counterparty_id
),

advances as (
    select
        unlinked_intervals.*,
        unlinked_intervals.ends_at
            - greatest(
                unlinked_intervals.ends_at - unlinked_intervals.unlinked_amount,
                coalesce(counterparty_unpaid.unpaid_amount, 0)
            ) as allocated_amount
    from unlinked_intervals
    left join counterparty_unpaid on counterparty_unpaid.counterparty_id = unlinked_intervals.counterparty_id
    where unlinked_intervals.ends_at > coalesce(counterparty_unpaid.unpaid_amount, 0)
),

allocations as (
    select
        payment_id, payment_kind, payment_number, payment_date, line_number, counterparty_id, payment_sequence,
        1 as pass, invoice_sequence, 'linked' as allocation_kind, invoice_id, invoice_date, allocated_amount
    from linked_allocations
    where allocated_amount > 0
    union all
    select
        payment_id, payment_kind, payment_number, payment_date, line_number, counterparty_id, payment_sequence,
        2 as pass, invoice_sequence, 'fifo' as allocation_kind, paid_invoice_id as invoice_id, invoice_date,
        allocated_amount
    from fifo_allocations
    union all
    select
        payment_id, payment_kind, payment_number, payment_date, line_number, counterparty_id, payment_sequence,
        3 as pass, null as invoice_sequence, 'advance' as allocation_kind, cast(null as varchar) as invoice_id,
        cast(null as date) as invoice_date, allocated_amount
    from advances
),

final as (
    select
        payment_id,
        line_number,
        allocation_kind,
        invoice_id,
        payment_kind,
        payment_number,
        payment_date,
        counterparty_id,
        cast(payment_sequence as integer) as payment_sequence,
        -- the order the passes apply the pieces in: what "the allocation that brought outstanding to 0" means
        cast(row_number() over (order by pass, payment_sequence, invoice_sequence) as integer) as allocation_order,
        case when invoice_id is not null then greatest(payment_date, invoice_date) end as allocation_date,
        cast(allocated_amount as decimal(18, 2)) as allocated_amount
    from allocations
)

select * from final
