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


RATIO_TOLERANCE = 5.1e-7  # the truth rounds ratios to 6 places


def same(actual, expected, tolerance: float | None = None) -> bool:
    """Equal within `tolerance`; without one, money and other non-integers to the kopeck, the rest exactly."""
    if actual is None or expected is None:
        return actual is None and expected is None
    if tolerance is not None:
        return abs(float(actual) - float(expected)) < tolerance
    if isinstance(actual, (float, Decimal)) or isinstance(expected, (float, Decimal)):
        return Decimal(str(actual)).quantize(Decimal("0.01")) == Decimal(str(expected)).quantize(
            Decimal("0.01")
        )
    return actual == expected


def compare_rows(label: str, truth_rows, mart_rows: list[dict], key, fields: dict) -> list[str]:
    """`compare_keyed` for mart rows that `key` reads as it reads the truth's."""
    return compare_keyed(label, truth_rows, {key(row): row for row in mart_rows}, key, fields)


def rows_as_dicts(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def same_named(fields, ratio_fields=frozenset()) -> dict:
    """`compare_keyed` fields for marts that name a column as the truth does."""
    return {field: (field, RATIO_TOLERANCE if field in ratio_fields else None) for field in fields}


def compare_keyed(label: str, truth_rows, mart_rows: dict, key, fields: dict) -> list[str]:
    """One line per difference between the truth rows and the mart rows (a dict by the same key).
    fields: truth field -> (mart field, tolerance or None for exact / money)."""
    problems = []
    for expected in truth_rows:
        k = key(expected)
        actual = mart_rows.get(k)
        if actual is None:
            problems.append(f"{label} {k}: missing in the mart")
            continue
        for field, (mart_field, tolerance) in fields.items():
            if not same(actual[mart_field], expected[field], tolerance):
                problems.append(f"{label} {k} {field}: mart {actual[mart_field]} != truth {expected[field]}")
    known = {key(row) for row in truth_rows}
    problems += [f"{label} {k}: in the mart but not in the truth" for k in sorted(set(mart_rows) - known)]
    return problems


def compare_with_truth(serving_file: Path, truth: dict) -> list[str]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        customers, buyers = con.execute(
            "select count(*), count(*) filter (where sales_count > 0) from marts.customer_portfolio"
        ).fetchone()
        monthly = rows_as_dicts(
            con, "select strftime(month, '%Y-%m') as month, * exclude (month) from marts.repeat_sales"
        )
        cohorts = rows_as_dicts(
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
    problems += compare_rows(
        "month", truth["monthly"], monthly, lambda r: r["month"], same_named(MONTHLY_FIELDS, RATIO_FIELDS)
    )
    problems += compare_rows(
        "cohort",
        truth["cohorts"],
        cohorts,
        lambda r: (r["cohort_month"], r["month_number"]),
        same_named(COHORT_FIELDS, RATIO_FIELDS),
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
