"""The clean CRM model as amoCRM API v4 records (docs/sources/amocrm.md; the store keys: server.py).

Timestamps are unix seconds UTC; custom fields are `custom_fields_values` lists with field codes (PHONE
and EMAIL multitext with WORK/MOB enum codes, BIRTHDAY as unix seconds of midnight in the account's time
zone, CITY, GENDER on contacts; UTM_* on leads); event ids are ULID-like strings. Deleted leads and
contacts stay in the store with `is_deleted: true` (the simulator hides them, as the API does).
"""

from __future__ import annotations

import base64
import hashlib
from collections import defaultdict
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sandbox.systems.amocrm.reference import account, field, links, loss_reason, pipelines, users
from sandbox.world.documents import Model
from sandbox.world.sources_model import (
    ACCOUNT_ID,
    ADMIN_ID,
    LOSS_REASONS,
    LOST,
    Call,
    CrmContact,
    Lead,
    Sources,
    Task,
    bulk_allocation,
    unix,
)

ENUMS = {"WORK": 3_001_001, "MOB": 3_001_003, "М": 3_001_101, "Ж": 3_001_102}
TAGS = {
    "сайт": 50_101,
    "woocommerce": 50_102,
    "форма": 50_103,
    "звонок": 50_104,
    "рекомендация": 50_105,
    "опт": 50_106,
}
TAGS_BY_ORIGIN = {
    "site_order": ("сайт", "woocommerce"),
    "form": ("сайт", "форма"),
    "spam": ("сайт", "форма"),
    "call": ("звонок",),
    "referral": ("рекомендация",),
}
MOSCOW = ZoneInfo("Europe/Moscow")
_B32 = "0123456789abcdefghjkmnpqrstvwxyz"


_TO_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _B32.encode())


def event_id(at: int, salt: str) -> str:
    """ULID-like, as amoCRM's event ids look (`01drbfj5…`): milliseconds, then 80 stable random bits."""
    digest = hashlib.blake2b(salt.encode(), digest_size=10).digest()
    millis = at * 1000 + digest[0] % 250
    head = "".join(_B32[(millis >> shift) & 31] for shift in range(45, -1, -5))
    return head + base64.b32encode(digest).translate(_TO_CROCKFORD).decode()


def utm_fields(lead: Lead) -> list[dict] | None:
    touch = lead.touch
    pairs = [
        ("UTM_SOURCE", touch.utm_source),
        ("UTM_MEDIUM", touch.utm_medium),
        ("UTM_CAMPAIGN", touch.utm_campaign),
        ("UTM_CONTENT", touch.utm_content),
        ("UTM_TERM", touch.utm_term),
    ]
    fields = [field(code, [{"value": value}]) for code, value in pairs if value]
    return fields or None


def lead_record(lead: Lead, closest_task: int | None) -> dict:
    updated_at, updated_by = lead.updated
    names = TAGS_BY_ORIGIN.get(lead.origin, ())
    if lead.name.endswith("оптовый заказ"):
        names += ("опт",)
    contact = lead.contact.contact_id
    embedded = {
        "tags": [{"id": TAGS[name], "name": name, "color": None} for name in names],
        "companies": [],
        "contacts": [{"id": contact, "is_main": True, "_links": links(f"contacts/{contact}")}],
    }
    if lead.status == LOST:
        embedded["loss_reason"] = [loss_reason(lead.loss_reason)]
    return {
        "id": lead.lead_id,
        "name": lead.name,
        "price": lead.price,
        "responsible_user_id": lead.responsible,
        "group_id": 0,
        "status_id": lead.status,
        "pipeline_id": lead.pipeline,
        "loss_reason_id": lead.loss_reason if lead.status == LOST else None,
        "source_id": None,
        "created_by": lead.created_by,
        "updated_by": updated_by,
        "created_at": unix(lead.created),
        "updated_at": unix(updated_at),
        "closed_at": unix(lead.closed_at) if lead.closed_at else None,
        "closest_task_at": closest_task,
        "is_deleted": lead.deleted_at is not None,
        "custom_fields_values": utm_fields(lead),
        "score": None,
        "account_id": ACCOUNT_ID,
        "labor_cost": None,
        "_links": links(f"leads/{lead.lead_id}"),
        "_embedded": embedded,
    }


def contact_record(contact: CrmContact) -> dict:
    fields = []
    if contact.phones:
        fields.append(
            field("PHONE", [{"value": v, "enum_id": ENUMS[c], "enum_code": c} for v, c in contact.phones])
        )
    if contact.emails:
        fields.append(
            field("EMAIL", [{"value": v, "enum_id": ENUMS[c], "enum_code": c} for v, c in contact.emails])
        )
    if contact.birthday:
        # Midnight of the day in the account's zone; Moscow still moved its clocks when most were born.
        midnight = datetime.combine(contact.birthday, time(), tzinfo=MOSCOW)
        fields.append(field("BIRTHDAY", [{"value": int(midnight.timestamp())}]))
    if contact.city:
        fields.append(field("CITY", [{"value": contact.city}]))
    if contact.gender:
        fields.append(field("GENDER", [{"value": contact.gender, "enum_id": ENUMS[contact.gender]}]))
    changed = contact.deleted_at or contact.created
    return {
        "id": contact.contact_id,
        "name": contact.name,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "responsible_user_id": contact.responsible,
        "group_id": 0,
        "created_by": contact.created_by,
        "updated_by": ADMIN_ID if contact.deleted_at else contact.created_by,
        "created_at": unix(contact.created),
        "updated_at": unix(changed),
        "closest_task_at": None,
        "is_deleted": contact.deleted_at is not None,
        "is_unsorted": False,
        "custom_fields_values": fields or None,
        "account_id": ACCOUNT_ID,
        "_links": links(f"contacts/{contact.contact_id}"),
        "_embedded": {"tags": [], "companies": []},
    }


def event(kind: str, entity: str, entity_id: int, at: datetime, by: int, salt: str, before=None, after=None):
    stamp = unix(at)
    return {
        "id": event_id(stamp, salt),
        "type": kind,
        "entity_id": entity_id,
        "entity_type": entity,
        "created_by": by,
        "created_at": stamp,
        "value_after": after or [],
        "value_before": before or [],
        "account_id": ACCOUNT_ID,
        "_embedded": {"entity": {"id": entity_id, "_links": links(f"{entity}s/{entity_id}")}},
        "_links": links("events"),
    }


def lead_events(lead: Lead) -> list[dict]:
    out = []
    for i, (before, after) in enumerate(zip(lead.moves, lead.moves[1:], strict=False)):
        values = ([{"lead_status": {"id": m.status, "pipeline_id": lead.pipeline}}] for m in (before, after))
        out.append(
            event(
                "lead_status_changed",
                "lead",
                lead.lead_id,
                after.at,
                after.by,
                f"s{lead.lead_id}:{i}",
                *values,
            )
        )
    if lead.deleted_at:
        out.append(
            event("lead_deleted", "lead", lead.lead_id, lead.deleted_at, lead.deleted_by, f"d{lead.lead_id}")
        )
    return out


def note(call: Call, note_id: int, entity: str, entity_id: int) -> dict:
    stamp = unix(call.at)
    talked = call.call_status == 4
    params = {
        "uniq": call.uniq,
        "duration": call.duration,
        "source": "Mango Office",
        "link": f"https://lk.mango-office.ru/rec/{call.uniq}.mp3" if talked else "",
        "phone": call.phone,
        "call_status": call.call_status,
        "call_result": "Разговор состоялся" if talked else "",
    }
    return {
        "id": note_id,
        "entity_id": entity_id,
        "created_by": call.by,
        "updated_by": call.by,
        "created_at": stamp,
        "updated_at": stamp,
        "responsible_user_id": call.by,
        "group_id": 0,
        "note_type": call.kind,
        "params": params,
        "account_id": ACCOUNT_ID,
        "_links": links(f"{entity}/{entity_id}/notes/{note_id}"),
    }


def task_record(task: Task) -> dict:
    done = task.completed_at is not None
    return {
        "id": task.task_id,
        "created_by": task.by,
        "updated_by": task.lead.responsible if done else task.by,
        "created_at": unix(task.created),
        "updated_at": unix(task.completed_at if done else task.created),
        "responsible_user_id": task.lead.responsible,
        "group_id": 0,
        "entity_id": task.lead.lead_id,
        "entity_type": "leads",
        "duration": 0,
        "is_completed": done,
        "task_type_id": task.task_type,
        "text": task.text,
        "result": {"text": task.result} if done else {},
        "complete_till": unix(task.due),
        "account_id": ACCOUNT_ID,
        "_links": links(f"tasks/{task.task_id}"),
    }


def amocrm_store(model: Model, sources: Sources) -> dict:
    """A fresh structure each call (the store keys: server.py)."""
    open_tasks: dict[int, int] = defaultdict(lambda: 1 << 62)
    for task in sources.tasks:
        if task.completed_at is None:
            open_tasks[task.lead.seq] = min(open_tasks[task.lead.seq], unix(task.due))
    events = [e for lead in sources.leads for e in lead_events(lead)]
    events += [
        event("contact_deleted", "contact", c.contact_id, c.deleted_at, ADMIN_ID, f"c{c.contact_id}")
        for c in sources.contacts
        if c.deleted_at
    ]
    events.sort(key=lambda e: (e["created_at"], e["id"]))
    calls = [c for c in sources.calls]
    return {
        "account": account(),
        "users": users(model),
        "pipelines": pipelines(),
        "loss_reasons": [loss_reason(r) for r in LOSS_REASONS],
        "leads": sorted(
            (lead_record(x, open_tasks.get(x.seq)) for x in sources.leads), key=lambda r: r["id"]
        ),
        "contacts": sorted((contact_record(c) for c in sources.contacts), key=lambda r: r["id"]),
        "events": events,
        "lead_notes": sorted(
            (note(c, c.lead_note_id, "leads", c.lead.lead_id) for c in calls if c.lead), key=lambda r: r["id"]
        ),
        "contact_notes": sorted(
            (note(c, c.contact_note_id, "contacts", c.contact.contact_id) for c in calls if c.contact),
            key=lambda r: r["id"],
        ),
        "tasks": sorted((task_record(t) for t in sources.tasks), key=lambda r: r["id"]),
    }


def store(company) -> dict:
    """The company's CRM as the simulator's store (its keys: sandbox/systems/amocrm/server.py)."""
    with bulk_allocation():
        return amocrm_store(company.model, company.sources)
