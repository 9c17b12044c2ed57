"""The truth of the CRM pipeline marts beyond `crm_truth` (docs/METRICS.md): the open pipeline and its
weighted forecast at every month end, time in stage, stuck deals and loss reasons, from the clean model
(`Lead.moves`, read through sandbox/truth/lead_history.py), never from the exported JSON. Calls and the
customers' CRM fields are sandbox/truth/activity.py; `pipeline_extras_truth` returns all of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

from sandbox.truth.activity import calls_by_month, customer_crm_fields
from sandbox.truth.lead_history import (
    Visit,
    cutoff_of,
    kopecks_half_away,
    live_leads,
    money,
    quantile_cont,
    visits_of,
)
from sandbox.truth.sales import month_index, month_label
from sandbox.world.sources_model import (
    LOSS_REASONS,
    LOST,
    OPEN_STAGES,
    PIPELINE_NAMES,
    STAGE_NAMES,
    WON,
    Lead,
)

NO_REASON = "Не указана"  # the marts' name for a lost deal without a loss reason


@dataclass(frozen=True, slots=True)
class Stage:
    """What the whole history up to the cutoff says about an open stage."""

    median_days: float | None  # of finished visits
    p90_days: float | None
    win_probability: Fraction | None  # won / closed among closed deals that passed it; None: none closed


def stage_benchmarks(histories: dict[int, list[Visit]]) -> dict[int, Stage]:
    stays: dict[int, list[float]] = defaultdict(list)
    closed: dict[int, set[int]] = defaultdict(set)
    won: dict[int, set[int]] = defaultdict(set)
    for seq, visits in histories.items():
        outcome = visits[-1].status
        for visit in visits:
            if visit.is_open_stage and visit.left is not None:
                stays[visit.status].append(visit.days)
            if visit.is_open_stage and outcome in (WON, LOST):
                closed[visit.status].add(seq)
                if outcome == WON:
                    won[visit.status].add(seq)
    return {
        stage: Stage(
            quantile_cont(stays[stage], 0.5),
            quantile_cont(stays[stage], 0.9),
            Fraction(len(won[stage]), len(closed[stage])) if closed[stage] else None,
        )
        for stages in OPEN_STAGES.values()
        for stage in stages
    }


def weighted_kopecks(lead: Lead, stage: Stage) -> int:
    """price × P(win | stage), rounded per deal to kopecks; a stage no closed deal passed weighs 0."""
    return kopecks_half_away(lead.price * (stage.win_probability or Fraction(0)))


def month_snapshots(
    histories: dict[int, list[Visit]], as_of_date: date, cutoff: datetime
) -> dict[int, datetime]:
    """Month → the moment its open pipeline is counted: the month's end, the as-of month at the cutoff;
    every month from the first lead's month to the as-of month."""
    first = min(visits[0].entered for visits in histories.values())
    snapshots = {}
    for month in range(month_index(first), month_index(as_of_date) + 1):
        end = datetime((month + 1) // 12, (month + 1) % 12 + 1, 1)
        snapshots[month] = min(end, cutoff)
    return snapshots


def open_at(visits: list[Visit], moment: datetime) -> Visit | None:
    """The open-stage visit the lead sits in at `moment`, if any."""
    for visit in visits:
        if visit.entered < moment and (visit.left is None or visit.left >= moment):
            return visit if visit.is_open_stage else None
    return None


def _zero_open() -> dict:
    return {"open_deals": 0, "open_amount": 0, "weighted_kopecks": 0}


def open_pipeline(histories, benchmarks, snapshots) -> dict[tuple, dict]:
    """(month, pipeline or None, stage or None) → open deals, Σ price, Σ weighted at the month's snapshot."""
    out: dict[tuple, dict] = defaultdict(_zero_open)
    for month, moment in snapshots.items():
        for visits in histories.values():
            visit = open_at(visits, moment)
            if visit is None:
                continue
            lead = visit.lead
            for key in (
                (month, lead.pipeline, visit.status),
                (month, lead.pipeline, None),
                (month, None, None),
            ):
                out[key]["open_deals"] += 1
                out[key]["open_amount"] += lead.price
                out[key]["weighted_kopecks"] += weighted_kopecks(lead, benchmarks[visit.status])
    return out


def _no_entries() -> dict:
    return {"entered": 0, "advanced": 0, "lost": 0, "still": 0, "days": []}


def stage_entries(histories) -> dict[tuple, dict]:
    """(entry month, stage) → the month's entries: advanced, lost from it, still in it, and the days of
    those that left (median and p90 of finished visits)."""
    out: dict[tuple, dict] = defaultdict(_no_entries)
    for visits in histories.values():
        for visit in visits:
            if not visit.is_open_stage:
                continue
            row = out[month_index(visit.entered), visit.status]
            row["entered"] += 1
            row["advanced"] += visit.next_status is not None and visit.next_status != LOST
            row["lost"] += visit.next_status == LOST
            row["still"] += visit.next_status is None
            if visit.days is not None:
                row["days"].append(visit.days)
    return out


def sales_pipeline(histories, benchmarks, snapshots) -> list[dict]:
    """One row per month × (stage | pipeline | total), as marts.sales_pipeline has them, zeros included."""
    opened, entries = open_pipeline(histories, benchmarks, snapshots), stage_entries(histories)
    rows = []
    for month in snapshots:
        for pipeline, stages in OPEN_STAGES.items():
            for stage in stages:
                entry = entries.get((month, stage)) or _no_entries()
                rows.append(
                    {
                        **_open_row(month, "stage", pipeline, stage, opened[month, pipeline, stage]),
                        "deals_entered": entry["entered"],
                        "deals_advanced": entry["advanced"],
                        "deals_lost_from_stage": entry["lost"],
                        "deals_still_in_stage": entry["still"],
                        "median_days_in_stage": quantile_cont(entry["days"], 0.5),
                        "p90_days_in_stage": quantile_cont(entry["days"], 0.9),
                        "win_probability": _float(benchmarks[stage].win_probability),
                    }
                )
            rows.append(_open_row(month, "pipeline", pipeline, None, opened[month, pipeline, None]))
        rows.append(_open_row(month, "total", None, None, opened[month, None, None]))
    return rows


def _open_row(month: int, row_type: str, pipeline: int | None, stage: int | None, opened: dict) -> dict:
    return {
        "month": month_label(month),
        "row_type": row_type,
        "pipeline": PIPELINE_NAMES.get(pipeline),
        "stage": STAGE_NAMES.get(stage),
        "open_deals": opened["open_deals"],
        "open_amount": money(100 * opened["open_amount"]),
        "weighted_amount": money(opened["weighted_kopecks"]),
    }


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def stuck_deals(histories, benchmarks, cutoff: datetime) -> list[dict]:
    """Open at the cutoff and in the current stage longer than that stage's p90 of finished stays; a stage
    nobody has left yet has no p90, so nothing in it is stuck."""
    rows = []
    for visits in histories.values():
        current = visits[-1]
        stage = benchmarks.get(current.status)
        if stage is None or stage.p90_days is None:  # closed (142/143 have no benchmark) or no yardstick
            continue
        days = (cutoff - current.entered).total_seconds() / 86400
        if days > stage.p90_days:
            lead = current.lead
            weighted = None if stage.win_probability is None else money(weighted_kopecks(lead, stage))
            rows.append(
                {
                    "lead_id": lead.lead_id,
                    "stage": STAGE_NAMES[current.status],
                    "amount": money(100 * lead.price),
                    "days_in_stage": days,
                    "stage_p90_days": stage.p90_days,
                    "stage_median_days": stage.median_days,
                    "weighted_amount": weighted,
                }
            )
    return sorted(rows, key=lambda r: r["lead_id"])


def loss_reasons(histories) -> list[dict]:
    """Month of closing (company time) × loss reason over leads lost by the cutoff, both pipelines."""
    groups: dict[tuple, list[Lead]] = defaultdict(list)
    for visits in histories.values():
        if visits[-1].status == LOST:
            groups[month_index(visits[-1].entered), visits[-1].lead.loss_reason].append(visits[-1].lead)
    month_deals, month_amount = defaultdict(int), defaultdict(int)
    for (month, _), leads in groups.items():
        month_deals[month] += len(leads)
        month_amount[month] += sum(x.price for x in leads)
    rows = []
    for (month, reason), leads in sorted(groups.items(), key=lambda x: (x[0][0], x[0][1] or 0)):
        amount = sum(x.price for x in leads)
        rows.append(
            {
                "month": month_label(month),
                "loss_reason_id": reason,
                "loss_reason_name": LOSS_REASONS.get(reason, NO_REASON),
                "lost_deals": len(leads),
                "lost_amount": money(100 * amount),
                "share_of_lost_deals": len(leads) / month_deals[month],
                "share_of_lost_amount": amount / month_amount[month] if month_amount[month] else None,
                "month_lost_deals": month_deals[month],
            }
        )
    return rows


def pipeline_extras_truth(model, sources, included=None) -> dict:
    """The pipeline marts' numbers `crm_truth` does not cover, as of the end of the model's as-of date.
    `included`: the systems the pipeline reads (amoCRM among them; None: every registered source); they
    decide who the customers are."""
    cutoff = cutoff_of(model.as_of_date)
    leads = live_leads(sources.leads, cutoff)
    histories = {lead.seq: visits_of(lead, cutoff) for lead in leads}
    benchmarks = stage_benchmarks(histories)
    snapshots = month_snapshots(histories, model.as_of_date, cutoff)
    return {
        "as_of_date": model.as_of_date.isoformat(),
        "sales_pipeline": sales_pipeline(histories, benchmarks, snapshots),
        "stuck_deals": stuck_deals(histories, benchmarks, cutoff),
        "loss_reasons": loss_reasons(histories),
        "calls": calls_by_month(sources, leads, cutoff),
        "customer_crm_fields": customer_crm_fields(model, sources, cutoff, included),
    }
