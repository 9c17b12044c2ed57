"""The receivables marts end to end on a hand-made 1C (docs/METRICS.md — Receivables).

The fixture lands invoices and receipts through warehouse.landing.Landing the way the connector does: in
УТ 11's and БП 3.0's own spellings, renamed by their profiles (connectors/onec/profiles.py), with a
re-posted receipt, a receipt deleted outright (tombstone), drafts, a deletion-marked invoice and documents
after the as-of date. Then `dbt build` (models + data tests) and every number checked against the hand
computation below. As of 2024-06-30, default payment term 5 days.

  K4 (same phone as K1, so customer K1), manager U1, УТ 11 documents:
    I1 06-01 1 000, schedule 06-05 + 06-20 → due 06-05. B1 06-04 names I1: 600 (its second version; the
       first said 500). B2 06-12 names I1: 500 → 400 linked, 100 excess → FIFO to I2 (06-12).
       Paid 06-12, 7 days late.
    I2 06-10 300, no due date of its own → due 06-15. Paid 100; 200 outstanding, 15 days overdue.
       B6 (200, names I2) was deleted outright; B7 is a draft; B8 is dated after the as-of date.
  K2, manager U2, БП 3.0 documents (Ответственный_Key, СрокОплаты, СчетНаОплату_Key / СуммаПлатежа):
    C1 cash 06-01 700, no breakdown (an advance). B4 06-06 80 names I5, deletion-marked.
    B3 06-16 50 names I4, a draft. FIFO in payment order C1, B4, B3 over I3, I6:
    I3 06-20 500, due 06-25: C1 500, paid 06-20 (the advance pays on the invoice's day).
    I6 06-28 400, СрокОплаты empty → due 07-03: C1 200 + B4 80 + B3 50 = 330; 70 outstanding, open.
  K3 (no card: an orphan), manager U2: I7 06-29 100, due 06-30, unpaid, open (0 days).
  K1, manager U1, УТ 11: I9 06-25 150 bills customer order O1 (ЗаказКлиента_Key), due 06-30 by the term.
    B9 06-26 150 names the order, not the invoice (УТ 11's Заказ_Key): it pays I9, paid 06-26.
    B5 06-30 100 names I8, dated after the as-of date: K1 has nothing unpaid, the money is an advance
    (settlement is per counterparty, not per customer: it does not pay K4's I2).
"""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from connectors.onec.profiles import BP30, UT11, rename_record
from connectors.onec.streams import STREAMS
from connectors.settings import SettingsError
from flows.settings import load_settings
from flows.sources import ensure_raw_tables
from flows.transform import dbt_vars
from tests.dbt_harness import build_and_open
from warehouse.landing import Landing, ensure_meta

EMPTY_DATE = "0001-01-01T00:00:00"
SPECS = {spec.name: spec for spec in STREAMS}


def ref(kind: str, n: int) -> str:
    """Readable GUIDs: kind c=counterparty, b=user, 4=customer order, 5=invoice, 6=bank receipt, 7=cash
    receipt."""
    return f"{kind}0000000-0000-0000-0000-{n:012d}"


K1, K2, K3, K4 = (ref("c", n) for n in (1, 2, 3, 4))
U1, U2 = ref("b", 1), ref("b", 2)
I1, I2, I3, I4, I5, I6, I7, I8, I9 = (ref("5", n) for n in range(1, 10))
B1, B2, B3, B4, B5, B6, B7, B8, B9 = (ref("6", n) for n in range(1, 10))
O1 = ref("4", 1)
C1 = ref("7", 1)


# ---- 1C records, each configuration's own names ---------------------------------------------------------
def header(key, number, month_day, counterparty, amount, *, bp=False, manager=None, **kw) -> dict:
    record = {
        "Ref_Key": key,
        "DataVersion": kw.pop("version", "v1"),
        "DeletionMark": kw.pop("marked", False),
        "Number": number,
        "Date": f"2024-{month_day}T10:00:00",
        "Posted": kw.pop("posted", True),
        "Контрагент_Key": counterparty,
        "СуммаДокумента": amount,
        **kw,
    }
    if manager:
        record["Ответственный_Key" if bp else "Менеджер_Key"] = manager
    return record


def ut_invoice(key, number, month_day, counterparty, amount, schedule=(), **kw) -> dict:
    stages = [
        {"Ref_Key": key, "LineNumber": str(i), "ДатаПлатежа": f"{date}T00:00:00"}
        for i, date in enumerate(schedule, 1)
    ]
    return header(key, number, month_day, counterparty, amount, manager=U1, ЭтапыГрафикаОплаты=stages, **kw)


def bp_invoice(key, number, month_day, counterparty, amount, due=EMPTY_DATE, **kw) -> dict:
    return header(key, number, month_day, counterparty, amount, bp=True, manager=U2, СрокОплаты=due, **kw)


def ut_receipt(key, number, month_day, counterparty, parts, **kw) -> dict:
    """УТ 11's breakdown names the settlement object (Заказ_Key) and its amount (Сумма)."""
    breakdown = [
        {"Ref_Key": key, "LineNumber": str(i), "Заказ_Key": invoice, "Сумма": amount}
        for i, (invoice, amount) in enumerate(parts, 1)
    ]
    total = sum(amount for _, amount in parts)
    return header(key, number, month_day, counterparty, total, РасшифровкаПлатежа=breakdown, **kw)


def bp_receipt(key, number, month_day, counterparty, parts, amount=None) -> dict:
    breakdown = [
        {"Ref_Key": key, "LineNumber": str(i), "СчетНаОплату_Key": invoice, "СуммаПлатежа": part}
        for i, (invoice, part) in enumerate(parts, 1)
    ]
    total = amount if amount is not None else sum(part for _, part in parts)
    return header(key, number, month_day, counterparty, total, bp=True, РасшифровкаПлатежа=breakdown)


def card(key: str, name: str, phone: str) -> dict:
    contact = {"Ref_Key": key, "LineNumber": "1", "Тип": "Телефон", "Представление": phone}
    return {
        "Ref_Key": key,
        "DataVersion": "v1",
        "DeletionMark": False,
        "Description": name,
        "IsFolder": False,
        "ЮрФизЛицо": "ЮрЛицо",
        "КонтактнаяИнформация": [contact | {"НомерТелефона": phone}],
    }


# (profile, stream, record) in the order landed; БП 3.0's documents (K2, K3) renamed by the БП 3.0 profile
FIRST_NIGHT = [
    (UT11, "counterparties", card(K1, "ООО Альфа", "+7 912 000-00-01")),
    (UT11, "counterparties", card(K4, "Альфа (склад)", "89120000001")),
    (UT11, "counterparties", card(K2, "ООО Бета", "+7 912 000-00-02")),
    (UT11, "invoices", ut_invoice(I1, "ЦБ-000001", "06-01", K4, 1000, ["2024-06-20", "2024-06-05"])),
    (UT11, "invoices", ut_invoice(I2, "ЦБ-000002", "06-10", K4, 300)),
    (UT11, "invoices", ut_invoice(I8, "ЦБ-000008", "07-01", K1, 100)),
    (UT11, "invoices", ut_invoice(I9, "ЦБ-000009", "06-25", K1, 150, ЗаказКлиента_Key=O1)),
    (BP30, "invoices", bp_invoice(I3, "0000-000003   ", "06-20", K2, 500, "2024-06-25T00:00:00")),
    (BP30, "invoices", bp_invoice(I4, "0000-000004", "06-15", K2, 999, posted=False)),
    (BP30, "invoices", bp_invoice(I5, "0000-000005", "06-05", K2, 80, marked=True)),
    (BP30, "invoices", bp_invoice(I6, "0000-000006", "06-28", K2, 400)),
    (BP30, "invoices", bp_invoice(I7, "0000-000007", "06-29", K3, 100, "2024-06-30T00:00:00")),
    (UT11, "bank_receipts", ut_receipt(B1, "ЦБ-000001", "06-04", K4, [(I1, 500)])),
    (UT11, "bank_receipts", ut_receipt(B2, "ЦБ-000002", "06-12", K4, [(I1, 500)])),
    (UT11, "bank_receipts", ut_receipt(B5, "ЦБ-000005", "06-30", K1, [(I8, 100)])),
    (UT11, "bank_receipts", ut_receipt(B6, "ЦБ-000006", "06-20", K4, [(I2, 200)])),
    (UT11, "bank_receipts", ut_receipt(B7, "ЦБ-000007", "06-21", K4, [(I2, 200)], posted=False)),
    (UT11, "bank_receipts", ut_receipt(B8, "ЦБ-000008", "07-01", K4, [(I2, 200)])),
    (UT11, "bank_receipts", ut_receipt(B9, "ЦБ-000009", "06-26", K1, [(O1, 150)])),
    (BP30, "bank_receipts", bp_receipt(B3, "0000-000003", "06-16", K2, [(I4, 50)])),
    (BP30, "bank_receipts", bp_receipt(B4, "0000-000004", "06-06", K2, [(I5, 80)])),
    (BP30, "cash_receipts", bp_receipt(C1, "0000-000001", "06-01", K2, [], amount=700)),
]
# B1 re-posted with a new amount; B6 deleted outright
SECOND_NIGHT = [(UT11, "bank_receipts", ut_receipt(B1, "ЦБ-000001", "06-04", K4, [(I1, 600)], version="v2"))]


def land(path: Path) -> None:
    con = duckdb.connect(str(path))
    ensure_meta(con)
    ensure_raw_tables(con)
    _land_night(Landing(con, run_id="r1", source="onec", schema="raw_onec"), FIRST_NIGHT)
    second = Landing(con, run_id="r2", source="onec", schema="raw_onec")
    _land_night(second, SECOND_NIGHT)
    second.land_tombstones("bank_receipts", [B6])
    con.close()


def _land_night(landing: Landing, documents: list[tuple]) -> None:
    """What the connector lands: each record renamed by its configuration's profile, a page per stream."""
    pages: dict[str, list[dict]] = {}
    for profile, stream, record in documents:
        pages.setdefault(stream, []).append(rename_record(record, profile.places[stream]))
    for stream, records in pages.items():
        landing.open_stream(stream)
        landing.land_page(SPECS[stream], records, None, version_field="DataVersion")


def select_with_tests(selector: str) -> tuple[str, ...]:
    # "cautious": a data test runs only when all its models are selected (the other sources' relationships
    # tests would otherwise run against models this build does not create)
    return ("--select", selector, "--indirect-selection", "cautious")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("dbt_receivables")
    land(tmp / "warehouse.duckdb")
    variables = {"as_of_date": AS_OF_DATE.isoformat(), "timezone": "Europe/Moscow"}
    build_and_open(tmp / "warehouse.duckdb", tmp, variables, select_with_tests("+receivables_daily")).close()
    return tmp / "warehouse.duckdb"


def rows(path: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(path), read_only=True) as con:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def D(value) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(value)).quantize(Decimal("0.01"))


def day(month_day: str | None) -> dt.date | None:
    return dt.date.fromisoformat(f"2024-{month_day}") if month_day else None


AS_OF_DATE = day("06-30")


# ---- receivables ---------------------------------------------------------------------------------------
RECEIVABLE_COLUMNS = (
    "invoice_number, invoice_date, due_date, customer_id, counterparty_id, manager_id, amount, paid_amount,"
    " outstanding_amount, paid_date, days_overdue, days_paid_late, status, as_of_date"
)
# number, date, due, customer, counterparty, manager, amount, paid, outstanding, paid date, days overdue,
# days paid late, status
EXPECTED = {
    I1: ("ЦБ-000001", "06-01", "06-05", K1, K4, U1, 1000, 1000, 0, "06-12", 0, 7, "paid"),
    I2: ("ЦБ-000002", "06-10", "06-15", K1, K4, U1, 300, 100, 200, None, 15, None, "overdue_over_5_days"),
    I3: ("0000-000003", "06-20", "06-25", K2, K2, U2, 500, 500, 0, "06-20", 0, 0, "paid"),
    I6: ("0000-000006", "06-28", "07-03", K2, K2, U2, 400, 330, 70, None, 0, None, "open"),
    I7: ("0000-000007", "06-29", "06-30", K3, K3, U2, 100, 0, 100, None, 0, None, "open"),
    I9: ("ЦБ-000009", "06-25", "06-30", K1, K1, U1, 150, 150, 0, "06-26", 0, 0, "paid"),
}


def test_every_invoice_of_the_as_of_date_with_what_was_paid_against_it(warehouse):
    got = {
        r["invoice_id"]: tuple(r.values())[1:]
        for r in rows(warehouse, f"select invoice_id, {RECEIVABLE_COLUMNS} from marts.receivables")
    }
    assert set(got) == set(EXPECTED), "drafts, deletion-marked and later invoices are not receivables"
    for invoice, values in EXPECTED.items():
        number, issued, due, *who, amount, paid, owed, paid_on, late, slow, status = values
        money = (D(amount), D(paid), D(owed))
        expected = (number, day(issued), day(due), *who, *money, day(paid_on), late, slow, status, AS_OF_DATE)
        assert got[invoice] == expected, invoice


def test_the_allocation_accounts_for_every_payment_counted(warehouse):
    got = rows(
        warehouse,
        """select payment_id, allocation_kind, invoice_id, allocation_date, allocated_amount
           from transform.int_receivable_allocations order by allocation_order""",
    )
    assert [tuple(r.values()) for r in got] == [
        (B1, "linked", I1, day("06-04"), D(600)),  # the re-posted version's amount
        (B2, "linked", I1, day("06-12"), D(400)),  # the excess, 100, is unlinked
        (B9, "order", I9, day("06-26"), D(150)),  # names the customer order I9 bills
        (C1, "fifo", I3, day("06-20"), D(500)),  # received 06-01, before the invoice
        (C1, "fifo", I6, day("06-28"), D(200)),
        (B4, "fifo", I6, day("06-28"), D(80)),  # names a deletion-marked invoice
        (B2, "fifo", I2, day("06-12"), D(100)),
        (B3, "fifo", I6, day("06-28"), D(50)),  # names a draft
        (B5, "advance", None, None, D(100)),  # K1 has no invoice; K4's, same customer, are not K1's
    ]


# ---- receivables_daily ----------------------------------------------------------------------------------
# (invoiced, count, paid, count, outstanding, count, overdue, count, over 5 days, count) at the end of the day
DAILY = {
    (U1, "06-01"): (1000, 1, 0, 0, 1000, 1, 0, 0, 0, 0),
    (U1, "06-04"): (0, 0, 600, 1, 400, 1, 0, 0, 0, 0),
    (U1, "06-05"): (0, 0, 0, 0, 400, 1, 0, 0, 0, 0),  # due today is not overdue yet
    (U1, "06-06"): (0, 0, 0, 0, 400, 1, 400, 1, 0, 0),
    (U1, "06-10"): (300, 1, 0, 0, 700, 2, 400, 1, 0, 0),
    (U1, "06-11"): (0, 0, 0, 0, 700, 2, 400, 1, 400, 1),  # due + 5 = 06-10, before the day
    (U1, "06-12"): (0, 0, 500, 2, 200, 1, 0, 0, 0, 0),  # I1 settled, 100 of B2 reaches I2
    (U1, "06-16"): (0, 0, 0, 0, 200, 1, 200, 1, 0, 0),
    (U1, "06-21"): (0, 0, 0, 0, 200, 1, 200, 1, 200, 1),
    (U1, "06-25"): (150, 1, 0, 0, 350, 2, 200, 1, 200, 1),
    (U1, "06-26"): (0, 0, 150, 1, 200, 1, 200, 1, 200, 1),
    (U1, "06-30"): (0, 0, 0, 0, 200, 1, 200, 1, 200, 1),
    (U2, "06-20"): (500, 1, 500, 1, 0, 0, 0, 0, 0, 0),  # an advance pays the day the invoice is issued
    (U2, "06-28"): (400, 1, 330, 1, 70, 1, 0, 0, 0, 0),
    (U2, "06-29"): (100, 1, 0, 0, 170, 2, 0, 0, 0, 0),
    (U2, "06-30"): (0, 0, 0, 0, 170, 2, 0, 0, 0, 0),
}
DAILY_COLUMNS = (
    "invoiced_amount, invoices_count, paid_amount, paid_invoices_count, outstanding_amount,"
    " outstanding_count, overdue_amount, overdue_count, overdue_over_5_days_amount, overdue_over_5_days_count"
)


def test_daily_balances_per_manager_from_the_first_invoice_to_the_as_of_date(warehouse):
    got = {
        (r["manager_id"], r["day"]): tuple(r.values())[2:]
        for r in rows(warehouse, f"select manager_id, day, {DAILY_COLUMNS} from marts.receivables_daily")
    }
    days = {manager: sorted(d for m, d in got if m == manager) for manager in (U1, U2)}
    assert set(days) == {m for m, _ in got}, "one series per manager with an invoice"
    assert (days[U1][0], days[U1][-1], len(days[U1])) == (day("06-01"), AS_OF_DATE, 30)
    assert (days[U2][0], days[U2][-1], len(days[U2])) == (day("06-20"), AS_OF_DATE, 11)
    for (manager, month_day), values in DAILY.items():
        expected = tuple(D(v) if i % 2 == 0 else v for i, v in enumerate(values))
        assert got[manager, day(month_day)] == expected, (manager, month_day)
    assert got[U1, day("06-07")] == got[U1, day("06-06")], "nothing happened: the balance carries over"


def test_the_default_payment_term_is_a_setting_passed_to_dbt(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("SALESPIPE_DEFAULT_PAYMENT_TERM_DAYS", "10")
    settings = load_settings(env_file=None)
    variables = dbt_vars(settings, AS_OF_DATE)
    assert variables["default_payment_term_days"] == 10
    copy = tmp_path / "warehouse.duckdb"  # the other tests keep reading the 5-day build
    shutil.copy(warehouse, copy)
    build_and_open(copy, tmp_path, variables, select_with_tests("receivables")).close()
    due = {
        r["invoice_id"]: r["due_date"]
        for r in rows(copy, "select invoice_id, due_date from marts.receivables")
    }
    # only the invoices without a due date of their own move
    assert due == {
        I1: day("06-05"),
        I2: day("06-20"),
        I3: day("06-25"),
        I6: day("07-08"),
        I7: day("06-30"),
        I9: day("07-05"),
    }

    monkeypatch.setenv("SALESPIPE_DEFAULT_PAYMENT_TERM_DAYS", "-1")
    with pytest.raises(SettingsError, match="SALESPIPE_DEFAULT_PAYMENT_TERM_DAYS"):
        load_settings(env_file=None)
