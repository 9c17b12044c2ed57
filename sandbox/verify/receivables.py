"""Compare the receivables marts with `sandbox.truth.receivables`: `marts.receivables` (one row per invoice,
by invoice_id) and `marts.receivables_daily` (by day and manager_id).

`compare_receivables_with_truth(serving_file, truth)` returns one readable line per difference; [] = equal.
Money to the kopeck, counts, days, dates and statuses exactly. A serving file built before the marts
existed says so ("mart receivables missing") instead of failing on the query.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from sandbox.verify.rows import compare_rows, rows_as_dicts, same_named

RECEIVABLE_FIELDS = (
    "counterparty_id",
    "manager_id",
    "invoice_date",
    "due_date",
    "amount",
    "paid_amount",
    "outstanding_amount",
    "paid_date",
    "days_overdue",
    "days_paid_late",
    "status",
)
DAILY_FIELDS = (
    "invoiced_amount",
    "invoices_count",
    "paid_amount",
    "paid_invoices_count",
    "outstanding_amount",
    "outstanding_count",
    "overdue_amount",
    "overdue_count",
    "overdue_over_5_days_amount",
    "overdue_over_5_days_count",
)
MARTS = ("receivables", "receivables_daily")


def compare_receivables_with_truth(serving_file: Path | str, truth: dict) -> list[str]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        present = _marts(con)
        missing = [f"mart {mart} missing" for mart in MARTS if mart not in present]
        if missing:
            return missing
        invoices = [_iso_dates(row) for row in rows_as_dicts(con, "select * from marts.receivables")]
        daily = [_iso_dates(row) for row in rows_as_dicts(con, "select * from marts.receivables_daily")]
    problems = compare_rows(
        "receivable",
        truth["receivables"],
        invoices,
        lambda r: r["invoice_id"],
        same_named(RECEIVABLE_FIELDS),
    )
    problems += compare_rows(
        "receivables day",
        truth["receivables_daily"],
        daily,
        lambda r: (r["day"], r["manager_id"]),
        same_named(DAILY_FIELDS),
    )
    return problems


def _marts(con) -> set[str]:
    sql = (
        "select table_name from duckdb_tables() where schema_name = 'marts' "
        "union all select view_name from duckdb_views() where schema_name = 'marts'"
    )
    return {name for (name,) in con.execute(sql).fetchall()}


def _iso_dates(row: dict) -> dict:
    """Dates (and midnight timestamps) as the truth writes them, 'YYYY-MM-DD'."""
    return {key: value.isoformat()[:10] if isinstance(value, date) else value for key, value in row.items()}
