"""Compare the published customer and channel marts with the truth over several sources: one customer
across systems, the unified sales, how many customers each source shows, and the channel funnel.

`compare_channels_with_truth(serving_file, truth)` returns one readable line per difference; an empty list
means the marts agree exactly. The monthly sales, cohorts, customers, buyers and portfolio statuses are
sandbox/verify/customers.py (the same definitions over unified sales).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sandbox.verify.customers import compare_with_truth
from sandbox.verify.rows import compare_rows, rows_as_dicts, same_named

CHANNEL_FIELDS = ("visits", "leads", "won_deals", "paying_customers", "revenue")
SEEN_IN_SQL = """
    select source, count(distinct customer_id)
    from (select customer_id, unnest(string_split(seen_in, ', ')) as source from marts.customer_portfolio)
    where source <> '' group by source
"""


def compare_channels_with_truth(serving_file: Path, truth: dict) -> list[str]:
    # A status nobody has is absent from the mart's group-by, and 0 in the truth (e.g. without any sales).
    statuses = {status: count for status, count in truth["portfolio"].items() if count}
    problems = compare_with_truth(serving_file, {**truth, "portfolio": statuses})
    with duckdb.connect(str(serving_file), read_only=True) as con:
        problems += _compare_seen_in(con, truth)
        if "channel_monthly" in truth:
            problems += _compare_channels(con, truth["channel_monthly"])
    return problems


def _compare_seen_in(con, truth: dict) -> list[str]:
    """Customers per source in seen_in: every source the truth counts (0 included) and every source the
    mart names."""
    expected = truth.get("customers_seen_in")
    if expected is None:  # the 1C-only truth does not say
        return []
    actual = dict.fromkeys(expected, 0) | dict(con.execute(SEEN_IN_SQL).fetchall())
    if actual != expected:
        return [f"customers seen in each source: mart {actual} != truth {expected}"]
    return []


def _compare_channels(con, truth_rows: list[dict]) -> list[str]:
    mart_rows = rows_as_dicts(
        con, "select strftime(month, '%Y-%m') as month, * exclude (month) from marts.channel_conversion"
    )
    return compare_rows(
        "channel month",
        truth_rows,
        mart_rows,
        lambda r: (r["month"], r["channel"]),
        same_named(CHANNEL_FIELDS),
    )
