"""The CRM's own numbers from the clean model (docs/METRICS.md): the channel funnel, stage conversion, win
rate, sales cycle, first response and the switchboard people. True leads and their true events, never
the exported JSON.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

from sandbox.truth.sales import month_index, month_label, ratio
from sandbox.world.channels import CHANNELS, channel_of
from sandbox.world.documents import Model
from sandbox.world.sources_model import (
    FIRST_USER_ID,
    LOST,
    OPEN_STAGES,
    PIPELINE_NAMES,
    STAGE_NAMES,
    WON,
    Lead,
    Sources,
)

SLA_MINUTES = 15


def crm_truth(model: Model, sources: Sources, with_visits: bool) -> dict:
    leads = [lead for lead in sources.leads if lead.deleted_at is None]
    won = [lead for lead in leads if lead.status == WON]
    cycles = [(lead.closed_at - lead.created).total_seconds() / 86400 for lead in won]
    return {
        "leads_total": len(leads),
        "leads_by_status": {
            "won": len(won),
            "lost": sum(lead.status == LOST for lead in leads),
            "open": sum(lead.closed_at is None for lead in leads),
        },
        "channel_monthly": channel_monthly(leads, sources, with_visits),
        "stages": stages(leads),
        "win_rate": win_rate(leads),
        "median_cycle_days": round(statistics.median(cycles), 2) if cycles else None,
        "lead_response": lead_response(model, sources, leads),
        "sla_minutes": SLA_MINUTES,
        "switchboard_people": sorted(sources.switchboards),
    }


def lead_channel(lead: Lead) -> str:
    return channel_of("utm", lead.touch.utm_source, lead.touch.utm_medium)


def channel_monthly(leads: list[Lead], sources: Sources, with_visits: bool) -> list[dict]:
    rows = defaultdict(lambda: {"visits": 0, "leads": 0, "won_deals": 0, "payers": set(), "revenue": 0})
    for lead in leads:
        row = rows[month_index(lead.created), lead_channel(lead)]
        row["leads"] += 1
        if lead.status == WON:
            row["won_deals"] += 1
            row["payers"].add(lead.person_id)
            row["revenue"] += lead.price
    if with_visits:
        for (day, key), (visits, _) in sources.visits.items():
            rows[month_index(day), channel_of("metrica", key[1], key[2], key[0])]["visits"] += visits
    return [
        {
            "month": month_label(month),
            "channel": channel,
            "visits": row["visits"],
            "leads": row["leads"],
            "won_deals": row["won_deals"],
            "paying_customers": len(row["payers"]),
            "revenue": float(row["revenue"]),
        }
        for (month, channel), row in sorted(rows.items(), key=lambda x: (x[0][0], CHANNELS.index(x[0][1])))
    ]


def stages(leads: list[Lead]) -> list[dict]:
    """Per open stage: leads that were ever in it, and of them those whose next move went forward."""
    entered, advanced = defaultdict(int), defaultdict(int)
    for lead in leads:
        statuses = [move.status for move in lead.moves]
        for i, status in enumerate(statuses):
            entered[status] += 1
            if i + 1 < len(statuses) and statuses[i + 1] != LOST:
                advanced[status] += 1
    return [
        {
            "pipeline": PIPELINE_NAMES[pipeline],
            "stage": STAGE_NAMES[stage],
            "entered": entered[stage],
            "advanced": advanced[stage],
            "conversion": ratio(advanced[stage], entered[stage]),
        }
        for pipeline, open_stages in OPEN_STAGES.items()
        for stage in open_stages
    ]


def win_rate(leads: list[Lead]) -> list[dict]:
    months = defaultdict(lambda: {"won": 0, "lost": 0, "won_amount": 0, "lost_amount": 0})
    for lead in leads:
        if lead.closed_at is not None:
            row, kind = months[month_index(lead.closed_at)], "won" if lead.status == WON else "lost"
            row[kind] += 1
            row[f"{kind}_amount"] += lead.price
    return [
        {
            "month": month_label(month),
            **{key: row[key] for key in ("won", "lost")},
            "won_amount": float(row["won_amount"]),
            "lost_amount": float(row["lost_amount"]),
            "rate_count": ratio(row["won"], row["won"] + row["lost"]),
            "rate_amount": ratio(row["won_amount"], row["won_amount"] + row["lost_amount"]),
        }
        for month, row in sorted(months.items())
    ]


def first_responses(sources: Sources) -> dict[int, datetime]:
    """Lead seq -> the earlier of its first call_out by the responsible manager and its first completed task,
    at or after the lead's creation."""
    first: dict[int, datetime] = {}
    moments = [
        (c.lead, c.at)
        for c in sources.calls
        if c.lead and c.kind == "call_out" and c.by == c.lead.responsible
    ]
    moments += [(t.lead, t.completed_at) for t in sources.tasks if t.completed_at is not None]
    for lead, at in moments:
        if at >= lead.created and (lead.seq not in first or at < first[lead.seq]):
            first[lead.seq] = at
    return first


def lead_response(model: Model, sources: Sources, leads: list[Lead]) -> list[dict]:
    names = {FIRST_USER_ID + i: m.name for i, m in enumerate(model.managers)}
    first = first_responses(sources)
    groups: dict[tuple, list] = defaultdict(list)
    for lead in leads:
        at = first.get(lead.seq)
        minutes = None if at is None else (at - lead.created).total_seconds() / 60
        groups[names[lead.responsible], month_index(lead.created)].append(minutes)
    rows = []
    for (manager, month), minutes in sorted(groups.items(), key=lambda x: (x[0][1], x[0][0])):
        answered = [m for m in minutes if m is not None]
        rows.append(
            {
                "manager": manager,
                "month": month_label(month),
                "leads": len(minutes),
                "median_minutes": round(statistics.median(answered), 2) if answered else None,
                "within_sla_share": ratio(sum(m <= SLA_MINUTES for m in answered), len(minutes)),
            }
        )
    return rows
