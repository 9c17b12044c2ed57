"""The sandbox's invoices and payments (sandbox/world/receivables.py) and the receivables truth
(sandbox/truth/receivables.py, docs/METRICS.md "Receivables"): the allocation rules by hand, the
company's documents (deterministic, 1C-looking, every scenario present) and the comparison with a mart."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from sandbox.truth.receivables import allocate, compute_receivables, live_invoices, receivables_truth
from sandbox.verify.receivables import DAILY_FIELDS, compare_receivables_with_truth
from sandbox.world.company import generate_company
from sandbox.world.receivables import Invoice, Receipt, ReceiptPart, Receivables, receivables_of
from sandbox.world.reference import ZERO_GUID

REPO = Path(__file__).resolve().parents[1]
AS_OF = date(2024, 3, 31)
ANNA, BORIS = "manager-anna", "manager-boris"


def invoice(key, day, roubles, card="firm", due=None, number=1, manager=ANNA, deleted=False, order=ZERO_GUID):
    moment = datetime.fromisoformat(f"{day}T10:00:00")
    own_due = date.fromisoformat(due) if due else None
    return Invoice(
        key, number, moment, card, manager, roubles * 100, own_due, deletion_mark=deleted, order_key=order
    )


def receipt(key, day, *parts, card="firm", number=1, kind="bank", posted=True, deleted=False) -> Receipt:
    """parts: (roubles, invoice key named or ZERO_GUID)."""
    moment = datetime.fromisoformat(f"{day}T12:00:00")
    rows = [ReceiptPart(roubles * 100, named) for roubles, named in parts]
    return Receipt(kind, key, number, moment, card, ANNA, rows, posted=posted, deletion_mark=deleted)


def rows_of(invoices, receipts, as_of=AS_OF, term=5, settles_by_order=True) -> dict[str, dict]:
    truth = compute_receivables(Receivables(invoices, receipts), as_of, term, settles_by_order)
    return {row["invoice_id"]: row for row in truth["receivables"]}


def paid(rows) -> dict[str, float]:
    return {key: row["paid_amount"] for key, row in rows.items()}


# ---------------------------------------------------------------- the allocation rules, by hand


def test_a_payment_naming_its_invoice_pays_it():
    rows = rows_of([invoice("i1", "2024-03-01", 1000)], [receipt("r1", "2024-03-04", (1000, "i1"))])
    assert rows["i1"] == {
        "invoice_id": "i1",
        "counterparty_id": "firm",
        "manager_id": ANNA,
        "invoice_date": "2024-03-01",
        "due_date": "2024-03-06",  # no own due date: the default term, 5 days
        "amount": 1000.0,
        "paid_amount": 1000.0,
        "outstanding_amount": 0.0,
        "paid_date": "2024-03-04",
        "days_overdue": 0,
        "days_paid_late": 0,
        "status": "paid",
    }


def test_paid_in_two_parts_the_second_late():
    invoices = [invoice("i1", "2024-03-01", 1000, due="2024-03-10")]
    receipts = [
        receipt("r1", "2024-03-05", (400, "i1"), number=1),
        receipt("r2", "2024-03-15", (600, "i1"), number=2),
    ]
    row = rows_of(invoices, receipts)["i1"]
    assert (row["paid_amount"], row["paid_date"], row["days_paid_late"], row["status"]) == (
        1000.0,
        "2024-03-15",
        5,
        "paid",
    )
    assert [(a.receipt_key, a.amount, a.kind) for a in allocate(invoices, receipts, AS_OF)] == [
        ("r1", 40_000, "linked"),
        ("r2", 60_000, "linked"),
    ]


def test_an_excess_goes_to_the_oldest_unpaid_invoice_of_the_same_counterparty_only():
    invoices = [
        invoice("old", "2024-03-01", 1000, number=1),
        invoice("new", "2024-03-02", 500, number=2),
        invoice("other", "2024-02-01", 900, card="another firm", number=3),
    ]
    rows = rows_of(invoices, [receipt("r1", "2024-03-03", (1200, "new"))])
    assert paid(rows) == {"old": 700.0, "new": 500.0, "other": 0.0}
    assert rows["old"]["outstanding_amount"] == 300.0 and rows["old"]["paid_date"] is None
    assert rows["old"]["days_overdue"] == 25 and rows["old"]["status"] == "overdue_over_5_days"
    assert rows["old"]["days_paid_late"] is None


def test_a_payment_naming_a_deleted_invoice_pays_first_in_first_out_and_the_rest_is_an_advance():
    invoices = [
        invoice("gone", "2024-03-01", 800, number=1, deleted=True),  # posted, then marked for deletion
        invoice("i1", "2024-03-01", 500, number=2),
    ]
    receipts = [receipt("r1", "2024-03-02", (800, "gone"))]
    assert paid(rows_of(invoices, receipts)) == {"i1": 500.0}  # 300 left over: in no invoice
    (allocation,) = allocate(invoices, receipts, AS_OF)
    assert (allocation.invoice_key, allocation.amount, allocation.kind) == ("i1", 50_000, "fifo")


def test_an_advance_pays_invoices_on_their_own_dates_and_its_leftover_stays_unallocated():
    invoices = [invoice("i1", "2024-03-01", 600, number=1), invoice("i2", "2024-03-10", 300, number=2)]
    receipts = [receipt("cash", "2024-02-20", (1000, ZERO_GUID), kind="cash")]
    rows = rows_of(invoices, receipts)
    assert [(r["paid_amount"], r["paid_date"], r["status"]) for r in rows.values()] == [
        (600.0, "2024-03-01", "paid"),
        (300.0, "2024-03-10", "paid"),
    ]  # 100 of the 1000 is still an advance
    assert rows_of([], receipts) == {}  # without invoices it all stays an advance


def test_a_payment_naming_an_order_pays_the_orders_invoices_oldest_first_then_first_in_first_out():
    invoices = [
        invoice("old", "2024-03-01", 300, number=1),  # no order: the counterparty's oldest
        invoice("o1-a", "2024-03-02", 500, number=2, order="order-1"),
        invoice("o1-b", "2024-03-03", 400, number=3, order="order-1"),
        invoice("theirs", "2024-03-01", 900, card="another firm", number=4, order="order-2"),
    ]
    receipts = [
        receipt("r1", "2024-03-04", (700, "order-1"), number=1),  # o1-a, then 200 of o1-b
        receipt("r2", "2024-03-05", (300, "order-1"), number=2),  # o1-b's last 200; 100 goes on: old
        receipt("r3", "2024-03-06", (100, "order-2"), number=3),  # another firm's order: first in, first out
    ]
    allocations = allocate(invoices, receipts, AS_OF)
    assert [(a.receipt_key, a.invoice_key, a.amount, a.kind) for a in allocations] == [
        ("r1", "o1-a", 50_000, "order"),
        ("r1", "o1-b", 20_000, "order"),
        ("r2", "o1-b", 20_000, "order"),
        ("r2", "old", 10_000, "fifo"),
        ("r3", "old", 10_000, "fifo"),
    ]
    assert paid(rows_of(invoices, receipts)) == {"old": 200.0, "o1-a": 500.0, "o1-b": 400.0, "theirs": 0.0}
    # where a payment cannot name an order (БП 3.0, УНФ), the same money is paid first in, first out
    assert paid(rows_of(invoices, receipts, settles_by_order=False)) == {
        "old": 300.0,
        "o1-a": 500.0,
        "o1-b": 300.0,
        "theirs": 0.0,
    }


def test_the_paid_date_is_the_day_outstanding_reached_zero():
    invoices = [invoice("i1", "2024-03-01", 1000)]
    receipts = [
        receipt("named", "2024-03-20", (600, "i1"), number=2),  # pass 1
        receipt("unnamed", "2024-03-10", (400, ZERO_GUID), number=1),  # pass 3, applied after it
    ]
    row = rows_of(invoices, receipts)["i1"]
    assert (row["paid_date"], row["days_paid_late"], row["status"]) == ("2024-03-20", 14, "paid")


def test_parts_pay_in_payment_order_date_then_number_then_row():
    invoices = [invoice("i1", "2024-03-01", 1000, number=1), invoice("i2", "2024-03-01", 100, number=2)]
    # Same moment: number 1 pays first; within a receipt, row 1 before row 2.
    late_numbered = receipt("r2", "2024-03-05", (700, "i1"), number=2)
    first = receipt("r1", "2024-03-05", (300, "i1"), (300, "i1"), number=1)
    allocations = allocate(invoices, [late_numbered, first], AS_OF)
    assert [(a.receipt_key, a.row, a.invoice_key, a.amount, a.kind) for a in allocations] == [
        ("r1", 1, "i1", 30_000, "linked"),
        ("r1", 2, "i1", 30_000, "linked"),
        ("r2", 1, "i1", 40_000, "linked"),
        ("r2", 1, "i2", 10_000, "fifo"),  # the excess of r2, first in first out; 200 left over
    ]


def test_what_does_not_count_is_ignored():
    invoices = [
        invoice("i1", "2024-03-01", 1000, number=1),
        invoice("future", "2024-04-01", 1000, number=2),  # after the as-of date
        Invoice("draft", 3, datetime(2024, 3, 2, 10), "firm", ANNA, 50_000, None, posted=False),
    ]
    receipts = [
        receipt("unposted", "2024-03-02", (1000, "i1"), posted=False),
        receipt("deleted", "2024-03-02", (1000, "i1"), deleted=True, number=2),
        receipt("after as-of", "2024-04-01", (1000, "i1"), number=3),
    ]
    rows = rows_of(invoices, receipts)
    assert list(rows) == ["i1"] and rows["i1"]["paid_amount"] == 0.0
    assert rows["i1"]["days_overdue"] == 25


@pytest.mark.parametrize(
    "due, days_overdue, status",
    [("2024-04-10", 0, "open"), ("2024-03-31", 0, "open"), ("2024-03-26", 5, "overdue")]
    + [("2024-03-25", 6, "overdue_over_5_days")],
)
def test_status_boundaries(due, days_overdue, status):
    row = rows_of([invoice("i1", "2024-03-01", 1000, due=due)], [receipt("r", "2024-03-20", (1, "i1"))])["i1"]
    assert (row["days_overdue"], row["status"], row["outstanding_amount"]) == (days_overdue, status, 999.0)


def test_the_default_payment_term_is_a_setting():
    row = rows_of([invoice("i1", "2024-03-20", 1000)], [], term=14)["i1"]
    assert (row["due_date"], row["status"]) == ("2024-04-03", "open")


def test_daily_rows_by_hand():
    invoices = [
        invoice("i1", "2024-03-01", 1000, number=1),  # due 03-06 (default term)
        invoice("i2", "2024-03-03", 500, due="2024-03-04", number=2),
        invoice("i3", "2024-03-10", 300, card="shop", number=3, manager=ZERO_GUID),
    ]
    receipts = [
        receipt("r1", "2024-03-05", (400, "i1"), number=1),
        receipt("r2", "2024-03-11", (300, "i3"), card="shop", number=2),
    ]
    daily = compute_receivables(Receivables(invoices, receipts), date(2024, 3, 12))["receivables_daily"]
    got = {(r["day"][-5:], r["manager_id"]): [r[c] for c in DAILY_FIELDS] for r in daily}
    anna = {
        "03-01": [1000, 1, 0, 0, 1000, 1, 0, 0, 0, 0],
        "03-02": [0, 0, 0, 0, 1000, 1, 0, 0, 0, 0],
        "03-03": [500, 1, 0, 0, 1500, 2, 0, 0, 0, 0],
        "03-04": [0, 0, 0, 0, 1500, 2, 0, 0, 0, 0],  # i2 is due today: not yet overdue
        "03-05": [0, 0, 400, 1, 1100, 2, 500, 1, 0, 0],
        "03-06": [0, 0, 0, 0, 1100, 2, 500, 1, 0, 0],
        "03-07": [0, 0, 0, 0, 1100, 2, 1100, 2, 0, 0],
        "03-08": [0, 0, 0, 0, 1100, 2, 1100, 2, 0, 0],
        "03-09": [0, 0, 0, 0, 1100, 2, 1100, 2, 0, 0],
        "03-10": [0, 0, 0, 0, 1100, 2, 1100, 2, 500, 1],  # i2: due + 5 = 03-09 is before the day
        "03-11": [0, 0, 0, 0, 1100, 2, 1100, 2, 500, 1],
        "03-12": [0, 0, 0, 0, 1100, 2, 1100, 2, 1100, 2],
    }
    nobody = {  # i3 has no manager: a row of its own from its first invoice on
        "03-10": [300, 1, 0, 0, 300, 1, 0, 0, 0, 0],
        "03-11": [0, 0, 300, 1, 0, 0, 0, 0, 0, 0],
        "03-12": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    }
    expected = {(day, ANNA): values for day, values in anna.items()}
    expected |= {(day, None): values for day, values in nobody.items()}
    assert got == expected


# ---------------------------------------------------------------- the company's invoices and payments


@pytest.fixture(scope="module")
def documents(company):
    return receivables_of(company.model)


@pytest.fixture(scope="module")
def truth(company):
    return receivables_truth(company.model)


def test_receivables_are_a_pure_function_of_the_model(company, documents):
    keys_before = copy.deepcopy(company.model.keys)
    again = receivables_of(company.model)
    assert again == documents
    # no key drawn from the company's stream: the next key it gives is the one it would have given
    assert copy.deepcopy(company.model.keys).new() == keys_before.new()


def test_documents_look_like_1c_and_nothing_is_after_the_as_of_date(company, documents):
    model = company.model
    layout = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-11e[0-9a-f]-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    keys = [d.ref_key for d in documents.invoices + documents.receipts]
    node = model.shipments[0].ref_key[-12:]
    assert all(layout.match(key) and key.endswith(node) for key in keys)
    assert len(set(keys)) == len(keys)
    assert not set(keys) & {d.ref_key for d in model.shipments + model.orders + model.returns}
    assert max(d.date.date() for d in documents.invoices + documents.receipts) <= model.as_of_date
    for kind, docs in (
        ("invoice", documents.invoices),
        ("bank", [r for r in documents.receipts if r.kind == "bank"]),
        ("cash", [r for r in documents.receipts if r.kind == "cash"]),
    ):
        numbers = [d.number for d in sorted(docs, key=lambda d: (d.date, d.ref_key))]
        assert numbers == sorted(set(numbers)), kind  # unique, increasing with the date


def test_the_test_company_has_every_scenario(documents, truth, company):
    as_of = company.model.as_of_date
    rows = {row["invoice_id"]: row for row in truth["receivables"]}
    allocations = allocate(documents.invoices, documents.receipts, as_of)
    receipt_of = {r.ref_key: r for r in documents.receipts}
    live = {i.ref_key: i for i in live_invoices(documents.invoices, as_of)}
    receipts_paying = {}
    for a in allocations:
        receipts_paying.setdefault(a.invoice_key, set()).add(a.receipt_key)

    def named(a):
        return receipt_of[a.receipt_key].parts[a.row - 1].invoice_key

    statuses = [row["status"] for row in rows.values()]
    assert any(rows[k]["status"] == "paid" and len(v) >= 2 for k, v in receipts_paying.items())
    assert any(row["status"] == "paid" and row["days_paid_late"] > 0 for row in rows.values())
    assert any(row["paid_amount"] == 0 and row["days_overdue"] > 60 for row in rows.values())  # bad debt
    assert "overdue_over_5_days" in statuses and "open" in statuses
    fifo_from_no_invoice = [a for a in allocations if a.kind == "fifo" and named(a) == ZERO_GUID]
    assert fifo_from_no_invoice
    orders = {i.order_key for i in documents.invoices} - {ZERO_GUID}
    assert any(a.kind == "order" and named(a) in orders for a in allocations)  # УТ 11 names the order
    deleted = {i.ref_key for i in documents.invoices if i.posted and i.deletion_mark}
    naming_deleted = [
        r for r in documents.receipts if r.is_live and any(p.invoice_key in deleted for p in r.parts)
    ]
    assert naming_deleted and not deleted & set(rows)
    assert any(a.kind == "fifo" and named(a) in deleted for a in allocations)  # its money went FIFO
    overpaid = [
        (r, p) for r in documents.receipts if r.is_live for p in r.parts
        if p.invoice_key in live and p.amount > live[p.invoice_key].amount
    ]  # fmt: skip
    assert overpaid
    assert any(not r.is_live for r in documents.receipts)  # typed twice or never posted: ignored


def test_the_daily_rows_end_where_the_invoices_stand(truth, company):
    last_day = company.model.as_of_date.isoformat()
    ends = [row for row in truth["receivables_daily"] if row["day"] == last_day]
    outstanding = sum(row["outstanding_amount"] for row in truth["receivables"])
    assert round(sum(row["outstanding_amount"] for row in ends), 2) == round(outstanding, 2)
    assert sum(row["overdue_over_5_days_count"] for row in ends) == sum(
        row["status"] == "overdue_over_5_days" for row in truth["receivables"]
    )
    assert sum(row["invoices_count"] for row in truth["receivables_daily"]) == len(truth["receivables"])


SMALL = {"scale": 0.005, "seed": 7}
DIGEST_SCRIPT = f"""
import hashlib, json
from dataclasses import asdict
from sandbox.truth.receivables import receivables_truth
from sandbox.world.company import generate_company
from sandbox.world.receivables import receivables_of
model = generate_company(**{SMALL}).model
blob = json.dumps([asdict(receivables_of(model)), receivables_truth(model)], sort_keys=True, default=str)
print(hashlib.sha256(blob.encode()).hexdigest())
"""


@pytest.fixture(scope="module")
def small_night():
    """A small company's documents before and after one night."""
    company = generate_company(**SMALL)
    before = receivables_of(company.model)
    digest = hashlib.sha256(
        json.dumps([asdict(before), receivables_truth(company.model)], sort_keys=True, default=str).encode()
    ).hexdigest()
    report = company.apply_nightly_changes()
    return before, digest, report, receivables_of(company.model)


def test_the_same_in_another_process_with_another_hash_seed(small_night):
    env = {**os.environ, "PYTHONHASHSEED": "4321"}
    out = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == small_night[1]


def test_a_night_moves_only_the_sales_it_touched(small_night):
    before, _, report, after = small_night
    touched = {key for _, key, _, _ in report.actions}
    old = {i.shipment_key: i for i in before.invoices}
    new = {i.shipment_key: i for i in after.invoices}
    for sale, invoice in old.items():
        if sale not in touched:
            assert new[sale] == invoice  # same key, number, amount, state
    for action, sale, _, _ in report.actions:
        if action == "deletion_marked" and sale in old:  # its invoice is marked too, the key stays
            assert new[sale].ref_key == old[sale].ref_key and new[sale].deletion_mark
        if action == "reposted" and sale in old:
            assert new[sale].version == old[sale].version + 1
    assert len(after.invoices) > len(old)  # the night's new sales are invoiced too


# ---------------------------------------------------------------- the comparison with the marts


def test_compare_names_a_missing_mart_and_every_difference(tmp_path, truth):
    serving = tmp_path / "serving.duckdb"
    with duckdb.connect(str(serving)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.unrelated (x int)")
    assert compare_receivables_with_truth(serving, truth) == [
        "mart receivables missing",
        "mart receivables_daily missing",
    ]
    with duckdb.connect(str(serving)) as con:
        dates = {"due_date", "invoice_date", "paid_date"}
        _publish(con, "receivables", truth["receivables"], dates, tmp_path)
        _publish(con, "receivables_daily", truth["receivables_daily"], {"day"}, tmp_path)
    assert compare_receivables_with_truth(serving, truth) == []
    first, last_day = truth["receivables"][0], truth["receivables_daily"][-1]
    with duckdb.connect(str(serving)) as con:
        con.execute(
            "update marts.receivables set paid_amount = paid_amount + 0.01 where invoice_id = ?",
            [first["invoice_id"]],
        )
        con.execute(
            "delete from marts.receivables_daily where day = ? and manager_id = ?",
            [last_day["day"], last_day["manager_id"]],
        )
    paid = first["paid_amount"]
    one_kopeck_more = (Decimal(str(paid)) + Decimal("0.01")).quantize(Decimal("0.01"))
    assert compare_receivables_with_truth(serving, truth) == [
        f"receivable {first['invoice_id']} paid_amount: mart {one_kopeck_more} != truth {paid}",
        f"receivables day {(last_day['day'], last_day['manager_id'])}: missing in the mart",
    ]


def _publish(con, mart: str, rows: list[dict], dates: set[str], folder: Path) -> None:
    """The truth's rows as a mart would hold them: real dates, DECIMAL(18,2) money."""
    path = folder / f"{mart}.ndjson"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    text = {name: "VARCHAR" for name in rows[0]}
    columns = []
    for name, value in rows[0].items():
        if name in dates:
            columns.append(f"cast({name} as date) as {name}")
        elif name.endswith("_amount") or name == "amount":
            columns.append(f"cast({name} as decimal(18, 2)) as {name}")
        elif isinstance(value, int) or name.startswith("days_"):
            columns.append(f"cast({name} as integer) as {name}")
        else:
            columns.append(name)
    source = f"read_json('{path}', format = 'newline_delimited', columns = {text})"
    con.execute(f"create table marts.{mart} as select {', '.join(columns)} from {source}")
