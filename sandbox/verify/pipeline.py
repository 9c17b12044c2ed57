"""Compare the published CRM pipeline marts with the truth (docs/METRICS.md).

The truth counts the generator's clean leads; the marts count what the pipeline made of amoCRM's events,
notes and tasks. `compare_pipeline_with_truth` returns one readable line per difference; [] = equal.

- `stages`: the truth is over the whole history, the mart per month of entering: summed over months.
- `win_rate`: per closed month, the mart's month totals (every pipeline); months the truth lacks must
  have no closed deals in the mart.
- `median_cycle_days`: the as-of month's total, `median_cycle_days_to_date` (every won deal).
- `lead_response`: per (manager name, lead creation month).
- the open pipeline: open deals at the as-of date = the truth's open leads (a deleted lead left in the
  open pipeline, or in stuck_deals, would show here), and won/lost totals likewise.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from sandbox.verify.marts import read_sales_pipeline, total
from sandbox.verify.rows import RATIO_TOLERANCE, compare_keyed, rows_as_dicts, same

ROUNDED_TOLERANCE = 0.0051  # the truth rounds medians (days, minutes) to 2 places
RESPONSE_SQL = """
    select manager_name, strftime(month, '%Y-%m') as month, leads, median_response_minutes, within_sla_share
    from marts.lead_response
"""


def compare_pipeline_with_truth(serving_file: Path | str, truth: dict) -> list[str]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        pipeline = read_sales_pipeline(con)
        responses = {(r["manager_name"], r["month"]): r for r in rows_as_dicts(con, RESPONSE_SQL)}
        stuck = con.execute("select count(*) from marts.stuck_deals").fetchone()[0]
    problems = compare_keyed(
        "stage",
        truth["stages"],
        _stages(pipeline["stage"]),
        lambda r: (r["pipeline"], r["stage"]),
        {"entered": ("entered", None), "advanced": ("advanced", None), "conversion": ("conversion", 5.1e-7)},
    )
    closed_months = {r["month"]: r for r in pipeline["total"] if r["won_deals"] or r["lost_deals"]}
    problems += compare_keyed(
        "win rate",
        truth["win_rate"],
        closed_months,
        lambda r: r["month"],
        {
            "won": ("won_deals", None),
            "lost": ("lost_deals", None),
            "won_amount": ("won_amount", None),
            "lost_amount": ("lost_amount", None),
            "rate_count": ("win_rate_count", RATIO_TOLERANCE),
            "rate_amount": ("win_rate_amount", RATIO_TOLERANCE),
        },
    )
    problems += compare_keyed(
        "lead response",
        truth["lead_response"],
        responses,
        lambda r: (r["manager"], r["month"]),
        {
            "leads": ("leads", None),
            "median_minutes": ("median_response_minutes", ROUNDED_TOLERANCE),
            "within_sla_share": ("within_sla_share", RATIO_TOLERANCE),
        },
    )
    open_in_stages = total(r["open_deals"] for r in pipeline["stage"] if _in_as_of_month(r))
    problems += _compare_as_of(_as_of_totals(pipeline["total"]), truth, stuck, open_in_stages)
    return problems


def _stages(rows: list[dict]) -> dict[tuple, dict]:
    """(pipeline, stage) → entered and advanced summed over the months, and their ratio."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        groups[row["pipeline_name"], row["stage_name"]].append(row)
    out = {}
    for key, own in groups.items():
        entered = total(r["deals_entered"] for r in own)
        advanced = total(r["deals_advanced"] for r in own)
        conversion = None if advanced is None or not entered else advanced / entered
        out[key] = {"entered": entered, "advanced": advanced, "conversion": conversion}
    return out


def _in_as_of_month(row: dict) -> bool:
    return row["month"] == row["as_of_date"].strftime("%Y-%m")


def _as_of_totals(rows: list[dict]) -> list[dict]:
    """The as-of month's total row(s) with the deals won and lost over every month."""
    won, lost = total(r["won_deals"] for r in rows), total(r["lost_deals"] for r in rows)
    return [
        {**row, "won_deals_to_date": won, "lost_deals_to_date": lost} for row in rows if _in_as_of_month(row)
    ]


def _compare_as_of(as_of: list[dict], truth: dict, stuck: int, open_in_stages) -> list[str]:
    if len(as_of) != 1:
        return [f"sales_pipeline: {len(as_of)} total rows for the as-of month, expected 1"]
    row, by_status = as_of[0], truth["leads_by_status"]
    problems = []
    cycle, expected_cycle = row["median_cycle_days_to_date"], truth["median_cycle_days"]
    if not same(cycle, expected_cycle, ROUNDED_TOLERANCE):
        problems.append(f"median cycle days: mart {cycle} != truth {expected_cycle}")
    expected = {"open_deals": by_status["open"], "won_deals_to_date": by_status["won"]}
    expected["lost_deals_to_date"] = by_status["lost"]
    for field, value in expected.items():
        if row[field] != value:
            problems.append(f"open pipeline at as-of {field}: mart {row[field]} != truth {value}")
    if (open_in_stages or 0) != by_status["open"]:
        problems.append(
            f"open deals over stages at as-of: mart {open_in_stages} != truth {by_status['open']}"
        )
    if stuck > by_status["open"]:
        problems.append(
            f"stuck deals: {stuck} > open leads {by_status['open']} (deleted or closed deals in it)"
        )
    return problems
