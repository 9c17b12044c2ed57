"""Compare the published customer and channel marts with the sandbox truth over several sources
(docs/CONTRACTS_CRM.md §6): one customer across systems, the unified sales, and the channel funnel.

`compare_channels_with_truth(serving_file, company.truth(sources=ALL_SOURCES))` returns one readable line
per difference; an empty list means the marts agree exactly. The monthly sales, cohorts, customers, buyers
and portfolio statuses are `sandbox.verify.compare_with_truth` (the same definitions over unified sales).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sandbox.verify import compare_rows, compare_with_truth, rows_as_dicts, same_named

CHANNEL_FIELDS = ("visits", "leads", "won_deals", "paying_customers", "revenue")
SOURCES = ("onec", "website", "amocrm")


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
    expected = truth.get("customers_seen_in")
    if expected is None:  # the issue-2 truth (1C only) does not say
        return []
    counts = con.execute(
        "select "
        + ", ".join(
            f"count(*) filter (where list_contains(string_split(seen_in, ', '), '{source}'))"
            for source in SOURCES
        )
        + " from marts.customer_portfolio"
    ).fetchone()
    actual = {source: n for source, n in zip(SOURCES, counts, strict=True) if source in expected or n}
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
