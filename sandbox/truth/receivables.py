"""The receivables numbers (docs/METRICS.md, "Receivables") computed from the company's invoices and
receipts (sandbox.world.receivables): one row per invoice (`receivables`) and one per day × manager
(`receivables_daily`).

`compute_receivables(receivables, as_of, default_payment_term_days)` is a pure function of the world's
Invoice and Receipt records, so a test can hand it two invoices and a payment and check every number by
hand; `allocate` is the three-pass allocation alone. Money is summed in integer kopecks and only turned into
2-decimal roubles at the end (sales.py's `rub`); dates come out as 'YYYY-MM-DD'.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import date, timedelta

from sandbox.truth.sales import rub
from sandbox.world.receivables import Invoice, Receipt, Receivables, receivables_of
from sandbox.world.reference import ZERO_GUID

DEFAULT_PAYMENT_TERM_DAYS = 5
OVERDUE_LIST_DAYS = 5  # the head of sales' "payments overdue by more than 5 days"
# Where a payment's breakdown row can name a customer order (УТ 11's settlement object) and the invoice
# names its order: there a payment naming the order pays the order's invoices. БП 3.0 has no orders, and
# УНФ's row names an invoice only: such a payment names nothing and is paid first in, first out.
ORDER_SETTLING_CONFIGURATIONS = ("ut11",)
RUNNING_FIELDS = (
    "outstanding_amount",
    "outstanding_count",
    "overdue_amount",
    "overdue_count",
    "overdue_over_5_days_amount",
    "overdue_over_5_days_count",
)


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_key: str
    receipt_key: str
    row: int  # the breakdown row of the receipt (LineNumber, from 1)
    amount: int  # kopecks
    paid_on: date  # the later of the payment's date and the invoice's
    kind: str  # "linked" (the part named this invoice), "order" (it named the invoice's order) or "fifo"


def receivables_truth(
    model, configuration: str = "ut11", default_payment_term_days: int = DEFAULT_PAYMENT_TERM_DAYS
) -> dict:
    """The `receivables` and `receivables_daily` rows of the company as of its as-of date, as its 1C
    `configuration` records them (whether a payment naming an order pays that order's invoices)."""
    return compute_receivables(
        receivables_of(model),
        model.as_of_date,
        default_payment_term_days,
        settles_by_order=configuration in ORDER_SETTLING_CONFIGURATIONS,
    )


def compute_receivables(
    receivables: Receivables,
    as_of: date,
    default_payment_term_days: int = DEFAULT_PAYMENT_TERM_DAYS,
    settles_by_order: bool = True,
) -> dict:
    invoices = live_invoices(receivables.invoices, as_of)
    paid = allocate(receivables.invoices, receivables.receipts, as_of, settles_by_order)
    return {
        "receivables": receivable_rows(invoices, paid, as_of, default_payment_term_days),
        "receivables_daily": daily_rows(invoices, paid, as_of, default_payment_term_days),
    }


def live_invoices(invoices: list[Invoice], as_of: date) -> list[Invoice]:
    """The invoices that count, in invoice order (date, then number)."""
    live = [i for i in invoices if i.is_live and i.date.date() <= as_of]
    return sorted(live, key=lambda i: (i.date, i.number, i.ref_key))


def payment_parts(receipts: list[Receipt], as_of: date) -> list[tuple[Receipt, int, int, str]]:
    """(receipt, row, amount, invoice named) of every live payment, in payment order (date, number, row)."""
    live = sorted(
        (r for r in receipts if r.is_live and r.date.date() <= as_of),
        key=lambda r: (r.date, r.number, r.ref_key),
    )
    return [
        (receipt, row, part.amount, part.invoice_key)
        for receipt in live
        for row, part in enumerate(receipt.parts, start=1)
        if part.amount > 0
    ]


def allocate(
    invoices: list[Invoice], receipts: list[Receipt], as_of: date, settles_by_order: bool = True
) -> list[Allocation]:
    """Every allocated amount, in the order applied: pass 1 (a part naming a live invoice of its
    counterparty pays it), pass 2 (what is left of a part naming its counterparty's customer order pays
    that order's invoices, oldest first; only where the configuration's breakdown can name an order:
    `settles_by_order`), then pass 3 (what is left pays the counterparty's oldest unpaid invoices, first in,
    first out). Parts go in payment order in each pass. What no invoice takes is an advance and appears
    nowhere."""
    bills = {i.ref_key: i for i in live_invoices(invoices, as_of)}  # in invoice order
    unpaid = {key: invoice.amount for key, invoice in bills.items()}
    result: list[Allocation] = []
    left: list[tuple[Receipt, int, int, str]] = []  # what pass 1 leaves, in payment order
    for receipt, row, amount, named in payment_parts(receipts, as_of):
        invoice = bills.get(named)
        if invoice is not None and invoice.card_key == receipt.card_key:  # settlement is per counterparty
            amount = _pay(deque([invoice]), receipt, row, amount, unpaid, "linked", result)
        if amount > 0:
            left.append((receipt, row, amount, named))
    # still unpaid, oldest first: per (card, order) and per card
    orders: dict[tuple[str, str], deque[Invoice]] = defaultdict(deque)
    queues: dict[str, deque[Invoice]] = defaultdict(deque)
    for invoice in bills.values():
        if unpaid[invoice.ref_key] > 0:
            queues[invoice.card_key].append(invoice)
            if settles_by_order and invoice.order_key != ZERO_GUID:
                orders[invoice.card_key, invoice.order_key].append(invoice)
    unlinked: list[tuple[Receipt, int, int]] = []
    for receipt, row, amount, named in left:
        queue = orders.get((receipt.card_key, named), deque())
        amount = _pay(queue, receipt, row, amount, unpaid, "order", result)
        if amount > 0:
            unlinked.append((receipt, row, amount))
    for receipt, row, amount in unlinked:
        _pay(queues[receipt.card_key], receipt, row, amount, unpaid, "fifo", result)
    return result


def _pay(
    queue: deque[Invoice],
    receipt: Receipt,
    row: int,
    amount: int,
    unpaid: dict[str, int],
    kind: str,
    result: list,
) -> int:
    """Allocate `amount` to the invoices of `queue` still unpaid, front first (settled ones leave the
    queue), appending to `result`; return what is left of the amount."""
    while amount > 0 and queue:
        invoice = queue[0]
        take = min(amount, unpaid[invoice.ref_key])
        if take > 0:
            result.append(_allocation(invoice, receipt, row, take, kind))
            unpaid[invoice.ref_key] -= take
            amount -= take
        if unpaid[invoice.ref_key] == 0:
            queue.popleft()
    return amount


def _allocation(invoice: Invoice, receipt: Receipt, row: int, amount: int, kind: str) -> Allocation:
    paid_on = max(receipt.date.date(), invoice.date.date())  # an advance pays on the invoice's day
    return Allocation(invoice.ref_key, receipt.ref_key, row, amount, paid_on, kind)


def due_date(invoice: Invoice, default_payment_term_days: int) -> date:
    return invoice.due_date or invoice.date.date() + timedelta(days=default_payment_term_days)


def _by_invoice(allocations: list[Allocation]) -> dict[str, list[Allocation]]:
    grouped: dict[str, list[Allocation]] = defaultdict(list)
    for allocation in allocations:
        grouped[allocation.invoice_key].append(allocation)
    return grouped


def _manager_id(invoice: Invoice) -> str | None:
    return None if invoice.manager_key == ZERO_GUID else invoice.manager_key


def receivable_rows(invoices: list[Invoice], allocations: list[Allocation], as_of: date, term: int) -> list:
    grouped = _by_invoice(allocations)
    return [_receivable_row(i, grouped.get(i.ref_key, []), as_of, term) for i in invoices]


def _receivable_row(invoice: Invoice, own: list[Allocation], as_of: date, term: int) -> dict:
    due = due_date(invoice, term)
    paid = sum(a.amount for a in own)
    outstanding = invoice.amount - paid
    paid_date = _paid_date(invoice.amount, own)
    days_overdue = (as_of - due).days if outstanding > 0 and as_of > due else 0
    return {
        "invoice_id": invoice.ref_key,
        "counterparty_id": invoice.card_key,
        "manager_id": _manager_id(invoice),
        "invoice_date": invoice.date.date().isoformat(),
        "due_date": due.isoformat(),
        "amount": rub(invoice.amount),
        "paid_amount": rub(paid),
        "outstanding_amount": rub(outstanding),
        "paid_date": paid_date.isoformat() if paid_date else None,
        "days_overdue": days_overdue,
        "days_paid_late": None if paid_date is None else max(0, (paid_date - due).days),
        "status": status(outstanding, days_overdue),
    }


def _paid_date(amount: int, own: list[Allocation]) -> date | None:
    """The payment date of the allocation that brought outstanding to 0, taking allocations by payment
    date: the day outstanding reached 0 in receivables_daily. (In the order applied, an earlier advance
    allocated in pass 2 could otherwise "settle" an invoice before its last linked payment arrived.)"""
    for allocation in sorted(own, key=lambda a: a.paid_on):
        amount -= allocation.amount
        if amount == 0:
            return allocation.paid_on
    return None


def status(outstanding: int, days_overdue: int) -> str:
    if outstanding == 0:
        return "paid"
    if days_overdue == 0:
        return "open"
    return "overdue" if days_overdue <= OVERDUE_LIST_DAYS else "overdue_over_5_days"


def daily_rows(invoices: list[Invoice], allocations: list[Allocation], as_of: date, term: int) -> list:
    """Day × manager from each manager's first invoice to the as-of date: the day's invoices and payments,
    and running sums of what is outstanding (and overdue) at the end of each day."""
    grouped = _by_invoice(allocations)
    days: dict[tuple[str | None, date], dict] = defaultdict(lambda: defaultdict(int))
    paid_invoices: dict[tuple[str | None, date], set[str]] = defaultdict(set)
    first_day: dict[str | None, date] = {}
    for invoice in invoices:
        manager, issued = _manager_id(invoice), invoice.date.date()
        first_day[manager] = min(first_day.get(manager, issued), issued)
        days[manager, issued]["invoiced_amount"] += invoice.amount
        days[manager, issued]["invoices_count"] += 1
        own = grouped.get(invoice.ref_key, [])
        for allocation in own:
            days[manager, allocation.paid_on]["paid_amount"] += allocation.amount
            paid_invoices[manager, allocation.paid_on].add(invoice.ref_key)
        due = due_date(invoice, term)
        tracks = (
            ("outstanding", issued),
            ("overdue", due + timedelta(days=1)),
            ("overdue_over_5_days", due + timedelta(days=OVERDUE_LIST_DAYS + 1)),
        )
        for prefix, counted_from in tracks:
            for day, amount, count in _outstanding_changes(invoice, own, max(counted_from, issued)):
                if day <= as_of:
                    days[manager, day][f"{prefix}_amount"] += amount
                    days[manager, day][f"{prefix}_count"] += count
    rows = []
    for manager in sorted(first_day, key=lambda m: m or ""):
        running = dict.fromkeys(RUNNING_FIELDS, 0)
        day = first_day[manager]
        while day <= as_of:
            changes = days.get((manager, day), {})
            for name in RUNNING_FIELDS:
                running[name] += changes.get(name, 0)
            rows.append(
                _daily_row(day, manager, changes, len(paid_invoices.get((manager, day), ())), running)
            )
            day += timedelta(days=1)
    return rows


def _outstanding_changes(invoice: Invoice, own: list[Allocation], start: date) -> list[tuple[date, int, int]]:
    """(day, change of outstanding, change of the count of invoices with some) for an invoice counted
    from `start` on: what is unpaid at the end of `start`, then each later payment."""
    unpaid_at_start = invoice.amount - sum(a.amount for a in own if a.paid_on <= start)
    later = sorted((a.paid_on, a.amount) for a in own if a.paid_on > start)
    changes = [(start, unpaid_at_start, 1 if unpaid_at_start > 0 else 0)]
    changes += [(day, -amount, 0) for day, amount in later]
    if later and unpaid_at_start == sum(amount for _, amount in later):  # settled after start
        changes.append((later[-1][0], 0, -1))
    return changes


def _daily_row(day: date, manager: str | None, changes: dict, paid_invoices: int, running: dict) -> dict:
    return {
        "day": day.isoformat(),
        "manager_id": manager,
        "invoiced_amount": rub(changes.get("invoiced_amount", 0)),
        "invoices_count": changes.get("invoices_count", 0),
        "paid_amount": rub(changes.get("paid_amount", 0)),
        "paid_invoices_count": paid_invoices,
        **{name: rub(value) if name.endswith("_amount") else value for name, value in running.items()},
    }
