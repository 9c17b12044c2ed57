"""Compare the CRM pipeline marts with `sandbox.truth.pipeline.pipeline_extras_truth`: the numbers
sandbox/verify/pipeline.py does not reach (the open pipeline and weighted forecast at every month end, time
in stage, stuck deals, loss reasons, calls, the customers' CRM fields).

`compare_pipeline_extras_with_truth(serving_file, truth_extras)` returns one readable line per difference;
[] = equal. Counts, dates, names and money (to the kopeck) are exact. Floats get a tolerance only for the
noise of double arithmetic, not for rounding: days (in stage, over p90) are whole seconds / 86400 and
their quantiles interpolate, so the truth and DuckDB may differ in the last bits (DAY_TOLERANCE = 1e-9
days, 0.1 ms); shares and probabilities are one division each (RATIO_TOLERANCE = 1e-12).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sandbox.verify.marts import read_sales_pipeline
from sandbox.verify.rows import compare_keyed, compare_rows, rows_as_dicts

DAY_TOLERANCE = 1e-9
RATIO_TOLERANCE = 1e-12

OPEN_FIELDS = {f: (f, None) for f in ("open_deals", "open_amount", "weighted_amount")}
STAGE_FIELDS = {
    **OPEN_FIELDS,
    **{
        f: (f, None)
        for f in ("deals_entered", "deals_advanced", "deals_lost_from_stage", "deals_still_in_stage")
    },
    "median_days_in_stage": ("median_days_in_stage", DAY_TOLERANCE),
    "p90_days_in_stage": ("p90_days_in_stage", DAY_TOLERANCE),
    "win_probability": ("win_probability", RATIO_TOLERANCE),
}
STUCK_FIELDS = {
    "stage": ("stage_name", None),
    "amount": ("amount", None),
    "weighted_amount": ("weighted_amount", None),
    "days_in_stage": ("days_in_stage", DAY_TOLERANCE),
    "stage_p90_days": ("stage_p90_days", DAY_TOLERANCE),
    "stage_median_days": ("stage_median_days", DAY_TOLERANCE),
}
LOSS_FIELDS = {
    **{f: (f, None) for f in ("loss_reason_name", "lost_deals", "lost_amount", "month_lost_deals")},
    "share_of_lost_deals": ("share_of_lost_deals", RATIO_TOLERANCE),
    "share_of_lost_amount": ("share_of_lost_amount", RATIO_TOLERANCE),
}
CALL_FIELDS = {f: (f, None) for f in ("calls", "talked", "duration_seconds", "on_leads", "first_responses")}
CUSTOMER_FIELDS = {f: (f, None) for f in ("first_contact_date", "acquisition_channel", "maturation_days")}

CALLS_SQL = """
    select strftime(call_date, '%Y-%m') as month, direction, count(*) as calls,
           count(*) filter (where is_talked) as talked, sum(duration_seconds) as duration_seconds,
           count(lead_id) as on_leads, count(*) filter (where is_first_response) as first_responses
    from marts.calls group by all
"""
CUSTOMERS_SQL = """
    select customer_id, first_contact_date, acquisition_channel, maturation_days from marts.customer_portfolio
"""


def compare_pipeline_extras_with_truth(serving_file: Path | str, truth_extras: dict) -> list[str]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        pipeline = read_sales_pipeline(con)
        stuck = rows_as_dicts(con, "select * from marts.stuck_deals")
        losses = rows_as_dicts(
            con, "select strftime(month, '%Y-%m') as month, * exclude (month) from marts.loss_reasons"
        )
        calls = rows_as_dicts(con, CALLS_SQL)
        customers = rows_as_dicts(con, CUSTOMERS_SQL)
    problems = _compare_pipeline(pipeline, truth_extras["sales_pipeline"])
    problems += compare_rows(
        "stuck deal", truth_extras["stuck_deals"], stuck, lambda r: r["lead_id"], STUCK_FIELDS
    )
    problems += compare_rows(
        "loss reason",
        truth_extras["loss_reasons"],
        losses,
        lambda r: (r["month"], r["loss_reason_id"]),
        LOSS_FIELDS,
    )
    problems += compare_rows(
        "calls",
        truth_extras["calls"],
        calls,
        lambda r: (r["month"], r["direction"]),
        CALL_FIELDS,
    )
    problems += compare_rows(
        "customer",
        truth_extras["customer_crm_fields"],
        customers,
        lambda r: r["customer_id"],
        CUSTOMER_FIELDS,
    )
    return problems


def _compare_pipeline(mart: dict[str, list[dict]], truth_rows: list[dict]) -> list[str]:
    """Stage rows: funnel, time in stage, weights and open deals; pipeline and total rows: open deals."""
    problems = []
    for level, fields in (("stage", STAGE_FIELDS), ("pipeline", OPEN_FIELDS), ("total", OPEN_FIELDS)):
        truth = [r for r in truth_rows if r["row_type"] == level]
        rows = {(r["month"], level, r.get("pipeline_name"), r.get("stage_name")): r for r in mart[level]}
        key = lambda r: (r["month"], r["row_type"], r["pipeline"], r["stage"])  # noqa: E731
        problems += compare_keyed("sales_pipeline", truth, rows, key, fields)
    return problems
