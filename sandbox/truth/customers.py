"""The truth over several sources (CONTRACTS_CRM §6), from the clean model: true people and their true
events, never phones. `truth_for_sources` = the issue-2 numbers over the unified customers and sales, plus
the CRM's own numbers (channel funnel, stages, win rate, cycle, first response, the switchboard people).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

from sandbox.channels import CHANNELS, channel_of
from sandbox.documents import Model
from sandbox.sources_model import (
    FIRST_USER_ID,
    LOST,
    OPEN_STAGES,
    PIPELINE_NAMES,
    STAGE_NAMES,
    WON,
    Lead,
    Sources,
)
from sandbox.truth import Fact, compute_truth, facts_from_model, month_index, month_label, ratio

ALL_SOURCES = ("onec", "website", "amocrm", "metrica")
SLA_MINUTES = 15


def truth_for_sources(model: Model, sources: Sources, included) -> dict:
    included = set(included)
    if not included or included - set(ALL_SOURCES):
        raise ValueError(f"sources must be a non-empty subset of {ALL_SOURCES}, got {sorted(included)}")
    seen = seen_people(model, sources, included)
    people = set().union(*seen.values())
    truth = compute_truth(unified_facts(model, sources, included), len(people), model.as_of_date)
    truth["sources"] = [s for s in ALL_SOURCES if s in included]
    truth["customers_seen_in"] = {source: len(ids) for source, ids in seen.items()}
    if "amocrm" in included:
        truth.update(crm_truth(model, sources, with_visits="metrica" in included))
    return truth


def seen_people(model: Model, sources: Sources, included: set[str]) -> dict[str, set[str]]:
    """True people by the source that shows them: a live 1C card, any site order the shop still lists
    (not trashed, not deleted), a live CRM contact."""
    seen = {}
    if "onec" in included:
        seen["onec"] = {
            c.person_id for c in model.cards if c.person_id and not c.deletion_mark and not c.is_folder
        }
    if "website" in included:
        seen["website"] = {o.person_id for o in sources.site_orders if o.on_site}
    if "amocrm" in included:
        seen["amocrm"] = {c.person_id for c in sources.contacts if c.person_id and not c.deleted_at}
    return seen


def unified_facts(model: Model, sources: Sources, included: set[str]) -> list[Fact]:
    """1C sales and returns, plus completed site orders that are sales of their own: with 1C, those that
    never reached it; without 1C, every completed order (DESIGN §4). Dated by date_completed. A trashed or
    deleted order is no sale; one that reached 1C leaves 1C's shipment a sale (dbt_project/DECISIONLOG.md)."""
    facts = facts_from_model(model) if "onec" in included else []
    if "website" in included:
        for order in sources.site_orders:
            if not (order.on_site and order.status == "completed"):
                continue
            if "onec" not in included or order.onec_order_key is None:
                facts.append(
                    Fact(order.person_id, order.completed, f"site:{order.number}", order.total, "sale")
                )
    return facts


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
