"""Compare the published CRM pipeline marts with the sandbox truth (docs/CONTRACTS_CRM.md §6).

The truth counts the generator's clean leads; the marts count what the pipeline made of amoCRM's events,
notes and tasks. `compare_pipeline_with_truth` returns one readable line per difference; [] = equal.

- `stages`: the truth is over the whole history, the mart per month of entering: summed over months.
- `win_rate`: per closed month, the mart's `total` rows (every pipeline); months the truth lacks must
  have no closed deals in the mart.
- `median_cycle_days`: the as-of month's `total` row, `median_cycle_days_to_date` (every won deal).
- `lead_response`: per (manager name, lead creation month).
- the open pipeline: open deals at the as-of date = the truth's open leads (a deleted lead left in the
  open pipeline, or in stuck_deals, would show here), and won/lost totals likewise.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sandbox.verify import RATIO_TOLERANCE, compare_keyed, rows_as_dicts, same

ROUNDED_TOLERANCE = 0.0051  # the truth rounds medians (days, minutes) to 2 places


STAGES_SQL = """
    select pipeline_name, stage_name, sum(deals_entered) as entered, sum(deals_advanced) as advanced,
           sum(deals_advanced) / nullif(sum(deals_entered), 0) as conversion
    from marts.sales_pipeline where row_type = 'stage' group by all
"""
WIN_RATE_SQL = """
    select strftime(month, '%Y-%m') as month, won_deals, lost_deals, won_amount, lost_amount,
           win_rate_count, win_rate_amount
    from marts.sales_pipeline where row_type = 'total'
"""
RESPONSE_SQL = """
    select manager_name, strftime(month, '%Y-%m') as month, leads, median_response_minutes, within_sla_share
    from marts.lead_response
"""
AS_OF_TOTALS_SQL = """
    select open_deals, won_deals_to_date, lost_deals_to_date, median_cycle_days_to_date
    from (
        select *, sum(won_deals) over () as won_deals_to_date, sum(lost_deals) over () as lost_deals_to_date
        from marts.sales_pipeline where row_type = 'total'
    )
    where month = date_trunc('month', as_of_date)
"""
OPEN_LEADS_SQL = """
    select (select count(*) from marts.stuck_deals),
           (select sum(open_deals) from marts.sales_pipeline
            where row_type = 'stage' and month = date_trunc('month', as_of_date))
"""


def compare_pipeline_with_truth(serving_file: Path | str, truth: dict) -> list[str]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        stages = {(r["pipeline_name"], r["stage_name"]): r for r in rows_as_dicts(con, STAGES_SQL)}
        months = rows_as_dicts(con, WIN_RATE_SQL)
        responses = {(r["manager_name"], r["month"]): r for r in rows_as_dicts(con, RESPONSE_SQL)}
        as_of = rows_as_dicts(con, AS_OF_TOTALS_SQL)
        stuck, open_in_stages = con.execute(OPEN_LEADS_SQL).fetchone()
    problems = compare_keyed(
        "stage",
        truth["stages"],
        stages,
        lambda r: (r["pipeline"], r["stage"]),
        {"entered": ("entered", None), "advanced": ("advanced", None), "conversion": ("conversion", 5.1e-7)},
    )
    closed_months = {r["month"]: r for r in months if r["won_deals"] or r["lost_deals"]}
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
    problems += _compare_as_of(as_of, truth, stuck, open_in_stages)
    return problems


def _compare_as_of(as_of: list[dict], truth: dict, stuck: int, open_in_stages) -> list[str]:
    if len(as_of) != 1:
        return [f"sales_pipeline: {len(as_of)} 'total' rows for the as-of month, expected 1"]
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


def crm_headline(serving_file: Path | str) -> str:
    """The channel and pipeline numbers a head of sales asks for first, from the published marts."""
    with duckdb.connect(str(serving_file), read_only=True) as con:
        channels = con.execute(
            """select channel, sum(leads), sum(won_deals), sum(revenue) from marts.channel_conversion
               where month > (select max(month) from marts.channel_conversion) - interval 12 month
               group by channel order by sum(revenue) desc nulls last limit 3"""
        ).fetchall()
        pipeline = con.execute(
            """select win_rate_count, median_cycle_days_to_date, open_deals, open_amount, weighted_amount
               from marts.sales_pipeline where row_type = 'total' order by month desc limit 1"""
        ).fetchone()
        response = con.execute(
            """select median(median_response_minutes), sum(responded_within_sla) / sum(leads)
               from marts.lead_response where month = (select max(month) from marts.lead_response)"""
        ).fetchone()
    top = "; ".join(
        f"{name} {leads} leads → {won} won, {float(rev or 0):,.0f} RUB" for name, leads, won, rev in channels
    )
    win_rate, cycle, open_deals, open_amount, weighted = pipeline or (None,) * 5
    return (
        f"last 12 months by channel: {top}\n"
        f"pipeline: win rate {float(win_rate or 0):.0%}, median cycle {float(cycle or 0):.1f} days, "
        f"{open_deals} open deals {float(open_amount or 0):,.0f} RUB (weighted {float(weighted or 0):,.0f}); "
        f"last month's median first response {float(response[0] or 0):.0f} min, "
        f"{float(response[1] or 0):.0%} within SLA"
    )
