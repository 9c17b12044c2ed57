"""Compare published marts with the sandbox truth (used by the demo and the acceptance tests).

The truth is computed by the sandbox from its clean model; the marts by the pipeline from messy 1C
records. Every difference is returned as one readable line; an empty list means they agree exactly.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

MONTHLY_FIELDS = (
    "sales_count", "sales_amount", "returns_count", "returns_amount", "revenue", "cost", "gross_profit",
    "repeat_sales_count", "repeat_sales_amount", "repeat_share_count", "repeat_share_amount",
    "new_customers", "returning_customers", "regular_customers", "lost_customers",
    "new_customers_amount", "returning_customers_amount", "regular_customers_amount",
    "lost_customers_revenue",
)  # fmt: skip
COHORT_FIELDS = ("cohort_size", "active_customers", "retention", "revenue", "cumulative_revenue_per_customer")
RATIO_FIELDS = {"repeat_share_count", "repeat_share_amount", "retention"}  # the truth rounds them to 6 places


def _same(a, b, field: str = "") -> bool:
    if a is None or b is None:
        return a is None and b is None
    if field in RATIO_FIELDS:
        return abs(float(a) - float(b)) < 5.1e-7
    if isinstance(a, (float, Decimal)) or isinstance(b, (float, Decimal)):
        return Decimal(str(a)).quantize(Decimal("0.01")) == Decimal(str(b)).quantize(Decimal("0.01"))
    return a == b


def _rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _compare_keyed(label, truth_rows, mart_rows, key, fields) -> list[str]:
    mart_by_key = {key(row): row for row in mart_rows}
    problems = []
    truth_keys = set()
    for expected in truth_rows:
        k = key(expected)
        truth_keys.add(k)
        actual = mart_by_key.get(k)
        if actual is None:
            problems.append(f"{label} {k}: missing in the mart")
            continue
        for field in fields:
            if field in expected and not _same(actual.get(field), expected[field], field):
                problems.append(f"{label} {k} {field}: mart {actual.get(field)} != truth {expected[field]}")
    extra = sorted(set(mart_by_key) - truth_keys)
    problems += [f"{label} {k}: in the mart but not in the truth" for k in extra]
    return problems


def compare_with_truth(serving_file: Path, truth: dict) -> list[str]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        customers, buyers = con.execute(
            "select count(*), count(*) filter (where sales_count > 0) from marts.customer_portfolio"
        ).fetchone()
        monthly = _rows(
            con, "select strftime(month, '%Y-%m') as month, * exclude (month) from marts.repeat_sales"
        )
        cohorts = _rows(
            con,
            "select strftime(cohort_month, '%Y-%m') as cohort_month, * exclude (cohort_month) "
            "from marts.customer_cohorts",
        )
        statuses = dict(
            con.execute("select status, count(*) from marts.customer_portfolio group by all").fetchall()
        )
    problems = []
    if statuses != truth["portfolio"]:
        problems.append(f"customers by status: mart {statuses} != truth {truth['portfolio']}")
    if customers != truth["customers"]:
        problems.append(f"unique customers: mart {customers} != truth {truth['customers']}")
    if buyers != truth["buyers"]:
        problems.append(f"buyers: mart {buyers} != truth {truth['buyers']}")
    problems += _compare_keyed("month", truth["monthly"], monthly, lambda r: r["month"], MONTHLY_FIELDS)
    problems += _compare_keyed(
        "cohort", truth["cohorts"], cohorts, lambda r: (r["cohort_month"], r["month_number"]), COHORT_FIELDS
    )
    return problems


def headline(serving_file: Path) -> str:
    """Three numbers a head of sales asks for first, from the published marts."""
    with duckdb.connect(str(serving_file), read_only=True) as con:
        customers, buyers, regular, lost = con.execute(
            """select count(*), count(*) filter (where sales_count > 0),
                      count(*) filter (where status = 'regular'), count(*) filter (where status = 'lost')
               from marts.customer_portfolio"""
        ).fetchone()
        last_month = con.execute(
            "select strftime(month, '%Y-%m'), revenue, repeat_share_count from marts.repeat_sales "
            "order by month desc limit 1"
        ).fetchone()
    people = f"customers {customers} ({buyers} bought, {regular} regular, {lost} lost)"
    if last_month is None:  # no 1C and no site: nothing was sold that the marts know of
        return f"{people}; no sales"
    month, revenue, share = last_month
    share_text = f"{float(share):.0%}" if share is not None else "n/a"
    return f"{people}; {month}: revenue {revenue:,.2f} RUB, repeat sales {share_text}"
