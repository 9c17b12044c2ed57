-- Grain: one row per invoice (invoice_id): posted, not deletion-marked, dated on or before the as-of date
-- (macro receivable_invoices). What was paid against it by the as-of date (int_receivable_allocations),
-- what is still outstanding, when it was settled and how late (docs/METRICS.md — Receivables).
with

invoices as (
    {{ receivable_invoices() }}
),

allocations as (
    select * from {{ ref('int_receivable_allocations') }}
    where invoice_id is not null
),

counterparties as (
    select * from {{ ref('int_counterparties_resolved') }}
),

payments as (
    select
        invoice_id,
        sum(allocated_amount) as paid_amount,
        -- the day the outstanding reached 0: the latest payment date among its allocations (an earlier
        -- advance applied in pass 3 does not settle an invoice before its own later payment arrived)
        max(allocation_date) as last_allocation_date
    from allocations
    group by invoice_id
),

settled as (
    select
        invoices.invoice_id,
        invoices.invoice_number,
        invoices.invoice_date,
        coalesce(
            invoices.own_due_date,
            invoices.invoice_date + cast({{ var('default_payment_term_days') }} as integer)
        ) as due_date,
        coalesce(counterparties.customer_id, invoices.counterparty_id) as customer_id,
        invoices.counterparty_id,
        invoices.manager_id,
        coalesce(invoices.document_amount, 0) as amount,
        coalesce(payments.paid_amount, 0) as paid_amount,
        payments.last_allocation_date,
        {{ as_of_date() }} as as_of_date
    from invoices
    left join payments on payments.invoice_id = invoices.invoice_id
    left join counterparties on counterparties.counterparty_id = invoices.counterparty_id
),

measured as (
    select
        *,
        amount - paid_amount as outstanding_amount,
        case when amount - paid_amount = 0 then last_allocation_date end as paid_date
    from settled
),

dated as (
    select
        *,
        case
            when outstanding_amount > 0 and as_of_date > due_date then date_diff('day', due_date, as_of_date)
            else 0
        end as days_overdue,
        case when paid_date is not null then greatest(date_diff('day', due_date, paid_date), 0) end
            as days_paid_late
    from measured
),

final as (
    select
        invoice_id,
        invoice_number,
        invoice_date,
        due_date,
        customer_id,
        counterparty_id,
        manager_id,
        cast(amount as decimal(18, 2)) as amount,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        cast(outstanding_amount as decimal(18, 2)) as outstanding_amount,
        paid_date,
        cast(days_overdue as integer) as days_overdue,
        cast(days_paid_late as integer) as days_paid_late,
        case
            when outstanding_amount <= 0 then 'paid'
            when days_overdue = 0 then 'open'
            when days_overdue <= 5 then 'overdue'
            else 'overdue_over_5_days'
        end as status,
        as_of_date
    from dated
)

select * from final
