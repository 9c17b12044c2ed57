-- Grain: one row per (day, manager_id): every day from the manager's first invoice to the as-of date, for
-- every manager with an invoice in receivables (manager_id NULL: invoices without one). Flows of the day
-- (invoiced, paid) and balances at the end of it (outstanding, overdue, overdue by more than 5 days) —
-- docs/METRICS.md — Receivables.
-- Balances are running sums of events, not a day × invoice grid (at 100 k invoices over three years that
-- grid is 10^8 rows): an invoice enters a balance on the day it qualifies (issued; due date passed; due
-- date + 5 passed) with its whole amount and one count, each allocation leaves it on its allocation date
-- (not before the invoice qualified), and the count leaves on the day the invoice was settled.
with

receivables as (
    select * from {{ ref('receivables') }}
),

allocations as (
    select
        invoice_id,
        allocation_date,
        allocated_amount
    from {{ ref('int_receivable_allocations') }}
    where invoice_id is not null
),

-- the day an invoice's outstanding reached 0: its latest allocation (allocations only lower what is owed)
settlements as (
    select
        allocations.invoice_id,
        max(allocations.allocation_date) as settled_on
    from allocations
    inner join receivables on receivables.invoice_id = allocations.invoice_id
    where receivables.outstanding_amount <= 0
    group by allocations.invoice_id
),

invoices as (
    select
        receivables.invoice_id,
        receivables.manager_id,
        receivables.invoice_date,
        receivables.due_date,
        receivables.amount,
        settlements.settled_on
    from receivables
    left join settlements on settlements.invoice_id = receivables.invoice_id
),

balance_entries as (
    select *, 'outstanding' as balance, invoice_date as enters_on from invoices
    union all
    select *, 'overdue' as balance, greatest(invoice_date, due_date + 1) as enters_on from invoices
    union all
    select *, 'overdue_over_5_days' as balance, greatest(invoice_date, due_date + 6) as enters_on from invoices
),

balance_events as (
    select
        manager_id,
        balance,
        enters_on as day,
        amount as amount_change,
        case when amount > 0 then 1 else 0 end as count_change
    from balance_entries
    union all
    select
        balance_entries.manager_id,
        balance_entries.balance,
        greatest(allocations.allocation_date, balance_entries.enters_on) as day,
        -allocations.allocated_amount as amount_change,
        0 as count_change
    from balance_entries
    inner join allocations on allocations.invoice_id = balance_entries.invoice_id
    union all
    select
        manager_id,
        balance,
        greatest(settled_on, enters_on) as day,
        0 as amount_change,
        -1 as count_change
    from balance_entries
    where settled_on is not null
      and amount > 0
),

balance_changes as (
    select
        manager_id,
        day,
        sum(amount_change) filter (where balance = 'outstanding') as outstanding_amount,
        sum(count_change) filter (where balance = 'outstanding') as outstanding_count,
        sum(amount_change) filter (where balance = 'overdue') as overdue_amount,
        sum(count_change) filter (where balance = 'overdue') as overdue_count,
        sum(amount_change) filter (where balance = 'overdue_over_5_days') as overdue_over_5_days_amount,
        sum(count_change) filter (where balance = 'overdue_over_5_days') as overdue_over_5_days_count
    from balance_events
    where day <= {{ as_of_date() }}
    group by manager_id, day
),

invoiced as (
    select
        manager_id,
        invoice_date as day,
        sum(amount) as invoiced_amount,
        count(*) as invoices_count
    from invoices
    group by manager_id, invoice_date
),

paid as (
    select
        invoices.manager_id,
        allocations.allocation_date as day,
        sum(allocations.allocated_amount) as paid_amount,
        count(distinct allocations.invoice_id) as paid_invoices_count
    from allocations
    inner join invoices on invoices.invoice_id = allocations.invoice_id
    group by invoices.manager_id, allocations.allocation_date
),

manager_days as (
    select
        manager_id,
        cast(
            unnest(generate_series(cast(min(invoice_date) as timestamp), cast({{ as_of_date() }} as timestamp), interval 1 day))
            as date
        ) as day
    from invoices
    group by manager_id
),

daily as (
    select
        manager_days.day,
        manager_days.manager_id,
        coalesce(invoiced.invoiced_amount, 0) as invoiced_amount,
        coalesce(invoiced.invoices_count, 0) as invoices_count,
        coalesce(paid.paid_amount, 0) as paid_amount,
        coalesce(paid.paid_invoices_count, 0) as paid_invoices_count,
        sum(coalesce(balance_changes.outstanding_amount, 0)) over running as outstanding_amount,
        sum(coalesce(balance_changes.outstanding_count, 0)) over running as outstanding_count,
        sum(coalesce(balance_changes.overdue_amount, 0)) over running as overdue_amount,
        sum(coalesce(balance_changes.overdue_count, 0)) over running as overdue_count,
        sum(coalesce(balance_changes.overdue_over_5_days_amount, 0)) over running as overdue_over_5_days_amount,
        sum(coalesce(balance_changes.overdue_over_5_days_count, 0)) over running as overdue_over_5_days_count
    from manager_days
    left join invoiced
        on invoiced.manager_id is not distinct from manager_days.manager_id
        and invoiced.day = manager_days.day
    left join paid
        on paid.manager_id is not distinct from manager_days.manager_id
        and paid.day = manager_days.day
    left join balance_changes
        on balance_changes.manager_id is not distinct from manager_days.manager_id
        and balance_changes.day = manager_days.day
    window running as (
        partition by manager_days.manager_id order by manager_days.day rows unbounded preceding
    )
),

final as (
    select
        day,
        manager_id,
        cast(invoiced_amount as decimal(18, 2)) as invoiced_amount,
        cast(invoices_count as integer) as invoices_count,
        cast(paid_amount as decimal(18, 2)) as paid_amount,
        cast(paid_invoices_count as integer) as paid_invoices_count,
        cast(outstanding_amount as decimal(18, 2)) as outstanding_amount,
        cast(outstanding_count as integer) as outstanding_count,
        cast(overdue_amount as decimal(18, 2)) as overdue_amount,
        cast(overdue_count as integer) as overdue_count,
        cast(overdue_over_5_days_amount as decimal(18, 2)) as overdue_over_5_days_amount,
        cast(overdue_over_5_days_count as integer) as overdue_over_5_days_count
    from daily
)

select * from final
