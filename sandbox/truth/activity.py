"""The truth of marts.calls and of the CRM fields of marts.customer_portfolio (first contact, acquisition
channel, maturation; docs/METRICS.md), from the clean model.

The model carries what these need: a call's `at` is the moment its note was logged (the export writes it as
the note's created_at), a task's `completed_at` is the completion amoCRM stamps into updated_at, and true
people stand behind every contact, lead and site order. Only the customer's id is the pipeline's invention;
`customer_keys` states its documented rule (docs/METRICS.md, one customer across systems) over the true
person.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from connectors.registry import source_ids
from sandbox.truth.crm import lead_channel
from sandbox.truth.customers import seen_people, unified_facts
from sandbox.truth.lead_history import amo_second, live_leads
from sandbox.truth.sales import month_index, month_label
from sandbox.world.channels import UNKNOWN, channel_of

DIRECTIONS = {"call_in": "in", "call_out": "out"}


def first_call_responses(sources, leads, cutoff: datetime) -> set[str]:
    """The uniq of every call that is its lead's first response (docs/METRICS.md): the lead's earliest
    call_out by its responsible manager at or after creation, unless a task was completed earlier (a call
    and a task in the same second: the call). Equal seconds between calls: the smaller uniq, as the mart."""
    created = {lead.seq: amo_second(lead.created) for lead in leads}
    first_call: dict[int, tuple[datetime, str]] = {}
    for call in sources.calls:
        lead = call.lead
        if lead is None or lead.seq not in created or call.kind != "call_out" or call.by != lead.responsible:
            continue
        at = amo_second(call.at)
        if created[lead.seq] <= at < cutoff:
            first_call[lead.seq] = min(first_call.get(lead.seq, (at, call.uniq)), (at, call.uniq))
    first_task: dict[int, datetime] = {}
    for task in sources.tasks:
        if task.completed_at is None or task.lead.seq not in created:
            continue
        done = amo_second(task.completed_at)
        if created[task.lead.seq] <= done < cutoff:
            first_task[task.lead.seq] = min(first_task.get(task.lead.seq, done), done)
    return {uniq for seq, (at, uniq) in first_call.items() if seq not in first_task or at <= first_task[seq]}


def calls_by_month(sources, leads, cutoff: datetime) -> list[dict]:
    """Company-local month × direction over calls (one per uniq) logged before the cutoff, a deleted lead's
    calls left out, calls about no deal kept."""
    firsts = first_call_responses(sources, leads, cutoff)
    rows: dict[tuple, dict] = defaultdict(
        lambda: dict.fromkeys(("calls", "talked", "duration_seconds", "on_leads", "first_responses"), 0)
    )
    for call in sources.calls:
        at = amo_second(call.at)
        if at >= cutoff or (call.lead is not None and call.lead.deleted_at is not None):
            continue
        row = rows[month_index(at), DIRECTIONS[call.kind]]
        row["calls"] += 1
        row["talked"] += call.call_status == 4
        row["duration_seconds"] += call.duration
        row["on_leads"] += call.lead is not None
        row["first_responses"] += call.uniq in firsts
    return [{"month": month_label(m), "direction": d, **row} for (m, d), row in sorted(rows.items())]


def customer_keys(model, sources, included=None) -> dict[str, str]:
    """Person → the mart's customer_id: the smallest Ref_Key of their live 1C cards, else
    website:<smallest id of their site orders>, else amocrm:<smallest id of their live contacts>
    (later loops overwrite earlier ones: the preferred source last, the smallest id last)."""
    included = source_ids() if included is None else included
    keys: dict[str, str] = {}
    for contact in sorted(sources.contacts, key=lambda c: -c.contact_id) if "amocrm" in included else []:
        if contact.person_id and not contact.deleted_at:
            keys[contact.person_id] = f"amocrm:{contact.contact_id}"
    for order in sorted(sources.site_orders, key=lambda o: -o.order_id) if "website" in included else []:
        if order.on_site:
            keys[order.person_id] = f"website:{order.order_id}"
    for card in sorted(model.cards, key=lambda c: c.ref_key, reverse=True) if "onec" in included else []:
        if card.person_id and not card.deletion_mark and not card.is_folder:
            keys[card.person_id] = card.ref_key
    return keys


def site_order_channel(order) -> str:
    """The order attribution's UTM through the seed; an admin order or one without attribution: unknown."""
    touch = order.touch
    if not touch.source_type or touch.source_type == "admin":
        return UNKNOWN
    return channel_of("utm", touch.utm_source, touch.utm_medium)


def touches(sources, leads, cutoff: datetime, with_site: bool = True) -> dict[str, list[tuple]]:
    """Person → (moment, tie rank, id, channel) of every contact outside 1C: site orders (1, the shop's lead
    copies their attribution), leads (2), live CRM contacts (3, no channel) and calls (4, no channel)."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for order in sources.site_orders if with_site else []:
        if order.on_site:
            out[order.person_id].append(
                (amo_second(order.created), 1, str(order.order_id), site_order_channel(order))
            )
    for lead in leads:  # a lead belongs to the person of its (live) main contact
        if lead.contact is not None and lead.contact.person_id and not lead.contact.deleted_at:
            out[lead.contact.person_id].append(
                (amo_second(lead.created), 2, str(lead.lead_id), lead_channel(lead))
            )
    for contact in sources.contacts:
        if contact.person_id and not contact.deleted_at:
            out[contact.person_id].append((amo_second(contact.created), 3, str(contact.contact_id), None))
    live = {lead.seq for lead in leads}
    for call in sources.calls:
        owner = call.lead.contact if call.lead is not None and call.lead.seq in live else call.contact
        if owner is not None and owner.person_id and not owner.deleted_at and amo_second(call.at) < cutoff:
            out[owner.person_id].append((amo_second(call.at), 4, call.uniq, None))
    return out


def first_sale_dates(model, sources, included=None) -> dict[str, date]:
    """Person → the date of their first sale by the as-of date, over the unified sales (1C + site-only)."""
    included = source_ids() if included is None else included
    first = {}
    for fact in unified_facts(model, sources, set(included)):
        day = fact.date.date()
        if fact.kind == "sale" and day <= model.as_of_date:
            first[fact.customer_id] = min(first.get(fact.customer_id, day), day)
    return first


def crm_fields(own_touches: list[tuple], first_sale: date | None) -> dict:
    """First contact date, acquisition channel and maturation days of one customer from their touches
    (none: a customer only 1C knows, all None). The acquisition channel is the earliest touch that carries
    one (a lead or a site order; same second: the site order, then the smaller id as text, as the mart
    orders); 'unknown' when the customer only called or only has a contact. Maturation is None when the
    first sale came before the first contact."""
    if not own_touches:
        return {"first_contact_date": None, "acquisition_channel": None, "maturation_days": None}
    ordered = sorted(own_touches, key=lambda t: t[:3])
    first_contact = ordered[0][0].date()
    channels = [t[3] for t in ordered if t[3] is not None]
    return {
        "first_contact_date": first_contact,
        "acquisition_channel": channels[0] if channels else UNKNOWN,
        "maturation_days": (
            (first_sale - first_contact).days if first_sale and first_contact <= first_sale else None
        ),
    }


def customer_crm_fields(model, sources, cutoff: datetime, included=None) -> list[dict]:
    """Per customer seen in any included source (a live 1C card, a site order, a live CRM contact)."""
    included = source_ids() if included is None else included
    people = set().union(*seen_people(model, sources, set(included)).values())
    by_person = touches(sources, live_leads(sources.leads, cutoff), cutoff, "website" in included)
    first_sale, keys = first_sale_dates(model, sources, included), customer_keys(model, sources, included)
    return [
        {
            "customer_id": keys[person_id],
            "person_id": person_id,
            **crm_fields(by_person.get(person_id, []), first_sale.get(person_id)),
        }
        for person_id in sorted(people)
    ]
