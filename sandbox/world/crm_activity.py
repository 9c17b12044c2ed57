"""Calls and tasks around the leads, made to fit each lead's planned first response.

First response (docs/METRICS.md) = the earlier of the lead's first `call_out` by its responsible manager
and its first completed task. So the planned response is exactly one of those, and everything that could
compete comes after it: other call_outs and task completions. Before it there may be the client's own
calls (call_in) and, rarely, a colleague's call_out, which do not count. The telephony writes most calls
on the contact too, with the same `uniq`. A few calls concern no deal at all (contact only).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sandbox.world.crm_model import CrmBuilder, between
from sandbox.world.sources_model import FIRST_USER_ID, ROBOT, SALES, SHOP, Call, CrmContact, Lead, Task

TASK_TEXTS = {
    1: ("Перезвонить клиенту", "Уточнить детали заказа", "Напомнить о КП"),
    2: ("Встреча в шоуруме",),
}
RESULTS = ("Созвонились, ждёт КП", "Договорились о встрече", "Клиент думает", "Выставлен счёт", "Готово")
ON_CONTACT_SHARE = 0.85
EXTRA_CALLS = {SALES: ([0, 1, 2, 3, 4], [25, 30, 25, 12, 8]), SHOP: ([0, 1], [75, 25])}


def call_phone(builder: CrmBuilder, contact: CrmContact) -> str:
    """The number as the telephony sends it: +7 and ten digits."""
    person_id = contact.person_id
    number = builder.sources.switchboards.get(person_id) or builder.person(person_id).phone
    return f"+7{number}"


def new_call(b: CrmBuilder, lead: Lead | None, contact: CrmContact, kind: str, at: datetime, by: int) -> Call:
    rng = b.rng
    talked = rng.random() < (0.75 if kind == "call_out" else 0.85)
    duration = rng.randint(25, 900) if talked else 0
    call = Call(
        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        kind,
        at,
        by,
        duration,
        4 if talked else rng.choice([3, 6, 7]),
        call_phone(b, contact),
        lead,
        contact if lead is None or rng.random() < ON_CONTACT_SHARE else None,
    )
    b.sources.calls.append(call)
    return call


def new_task(
    b: CrmBuilder, lead: Lead, created: datetime, by: int, done: datetime | None, kind: int = 1
) -> Task:
    rng = b.rng
    due = created + timedelta(days=rng.choice([0, 1, 1, 2, 3]), hours=rng.randint(1, 8))
    task = Task(
        lead, kind, rng.choice(TASK_TEXTS[kind]), created, by, due, done, rng.choice(RESULTS) if done else ""
    )
    b.sources.tasks.append(task)
    return task


def lead_activity(b: CrmBuilder, lead: Lead) -> None:
    rng, horizon = b.rng, b.sources.horizon
    end = max(lead.closed_at or horizon, lead.response_at or lead.created)
    response = lead.response_at
    if response:
        _respond(b, lead, response)
    start = response or lead.created
    values, weights = EXTRA_CALLS[lead.pipeline]
    for _ in range(rng.choices(values, weights=weights)[0]):
        at = between(rng, start, end)
        kind = "call_out" if response and rng.random() < 0.6 else "call_in"
        new_call(b, lead, lead.contact, kind, at, lead.responsible)
    if response and lead.pipeline == SALES:
        for _ in range(rng.choice([0, 1, 1, 2])):
            created = between(rng, response, end)
            done = created + timedelta(minutes=rng.randint(5, 3 * 24 * 60))
            kind = 2 if rng.random() < 0.15 else 1
            new_task(
                b,
                lead,
                created,
                lead.responsible,
                done if done <= end and rng.random() < 0.85 else None,
                kind,
            )
    elif not response and rng.random() < 0.4:  # the robot set a task nobody did
        new_task(b, lead, lead.created + timedelta(minutes=rng.randint(1, 10)), ROBOT, None)


def _respond(b: CrmBuilder, lead: Lead, response: datetime) -> None:
    rng = b.rng
    if response - lead.created > timedelta(minutes=3) and rng.random() < 0.04:
        colleague = FIRST_USER_ID + (lead.responsible - FIRST_USER_ID + 1) % (len(b.model.managers) - 1)
        new_call(b, lead, lead.contact, "call_out", between(rng, lead.created, response), colleague)
    if lead.response_by_task:
        made = min(lead.created + timedelta(seconds=rng.randint(10, 120)), response - timedelta(seconds=1))
        new_task(b, lead, max(made, lead.created), ROBOT, response)
    else:
        new_call(b, lead, lead.contact, "call_out", response, lead.responsible)


def contact_only_calls(b: CrmBuilder, share: float = 0.03) -> None:
    """Clients who call about something else (a delivery, a warranty): a call with no lead."""
    rng, horizon = b.rng, b.sources.horizon
    for contact in b.sources.contacts:
        if contact.person_id and not contact.deleted_at and rng.random() < share:
            new_call(b, None, contact, "call_in", between(rng, contact.created, horizon), contact.responsible)


def build_activity(b: CrmBuilder) -> None:
    for lead in b.sources.leads:
        if not lead.deleted_at:
            lead_activity(b, lead)
    contact_only_calls(b)
