"""Reading the sandbox's amoCRM, WooCommerce and Metrica stores as a pipeline would: its own phone
normalization, Moscow local time from unix seconds, the channel seed applied by its own rules, status paths
from events, first responses from notes and tasks. Shared by tests/test_sandbox_sources*.py.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sandbox.world.channels import SEED_PATH

SEED, SCALE = 7, 0.05
MSK = ZoneInfo("Europe/Moscow")
WON, LOST = 142, 143
ORDERS = "Document_ЗаказКлиента"
CARDS = "Catalog_Контрагенты"


def dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def digest(obj) -> str:
    return hashlib.sha256(dump(obj).encode()).hexdigest()


def phone_key(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    return "+7" + digits if len(digits) == 10 else None


def local(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC).astimezone(MSK).replace(tzinfo=None)


def month(unix: int) -> str:
    return local(unix).strftime("%Y-%m")


def field_values(record: dict, code: str) -> list[dict]:
    for field in record["custom_fields_values"] or []:
        if field["field_code"] == code:
            return field["values"]
    return []


def seed_rules() -> list[dict]:
    with SEED_PATH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(
        rows, key=lambda r: sum(r[c] == "*" for c in ("utm_source", "utm_medium", "traffic_source_id"))
    )


def channel(rules, kind: str, source, medium, traffic=None) -> str:
    values = {"utm_source": source, "utm_medium": medium, "traffic_source_id": traffic}
    for rule in rules:
        if rule["source_kind"] == kind and all(
            rule[c] == "*" or rule[c] == (values[c] or "").strip().lower() for c in values
        ):
            return rule["channel"]
    return "unknown"


def live_leads(amo: dict) -> list[dict]:
    return [lead for lead in amo["leads"] if not lead["is_deleted"]]


def status_paths(amo: dict) -> dict[int, list[int]]:
    """Lead id -> the statuses it went through, from its lead_status_changed events."""
    events = defaultdict(list)
    for event in amo["events"]:
        if event["type"] == "lead_status_changed":
            events[event["entity_id"]].append(event)
    paths = {}
    for lead in amo["leads"]:
        own = sorted(events[lead["id"]], key=lambda e: e["created_at"])
        first = own[0]["value_before"][0]["lead_status"]["id"] if own else lead["status_id"]
        paths[lead["id"]] = [first] + [e["value_after"][0]["lead_status"]["id"] for e in own]
    return paths


def first_responses(amo: dict) -> dict[int, int]:
    """Lead id -> unix moment of its first call_out by the responsible manager or first completed task."""
    leads = {lead["id"]: lead for lead in amo["leads"]}
    first: dict[int, int] = {}

    def offer(lead_id: int, at: int) -> None:
        if at >= leads[lead_id]["created_at"] and at < first.get(lead_id, 1 << 62):
            first[lead_id] = at

    for note in amo["lead_notes"]:
        lead = leads[note["entity_id"]]
        if note["note_type"] == "call_out" and note["created_by"] == lead["responsible_user_id"]:
            offer(note["entity_id"], note["created_at"])
    for task in amo["tasks"]:
        if task["is_completed"]:
            offer(task["entity_id"], task["updated_at"])
    return first


def record_keys(onec: dict, site: dict, amo: dict) -> tuple[dict, list[tuple]]:
    """Each record's normalized phones and e-mails, and the source references between records."""
    keys: dict[tuple, set] = {}
    for card in onec[CARDS]:
        if not card["IsFolder"] and not card["DeletionMark"]:
            rows = card["КонтактнаяИнформация"]
            keys["card", card["Ref_Key"]] = {
                phone_key(r["НомерТелефона"]) for r in rows if r["Тип"] == "Телефон"
            }
            keys["card", card["Ref_Key"]] |= {
                r["АдресЭП"].strip().lower() for r in rows if r["АдресЭП"].strip()
            }
    for order in site["orders"]:
        keys["order", order["id"]] = {
            phone_key(order["billing"]["phone"]),
            order["billing"]["email"].strip().lower(),
        }
    for contact in amo["contacts"]:
        if not contact["is_deleted"]:
            phones = {phone_key(v["value"]) for v in field_values(contact, "PHONE")}
            emails = {v["value"].strip().lower() for v in field_values(contact, "EMAIL")}
            keys["contact", contact["id"]] = phones | emails
    card_of_number = {
        d["НомерПоДаннымКлиента"]: d["Контрагент_Key"] for d in onec[ORDERS] if d["НомерПоДаннымКлиента"]
    }
    order_of_number = {o["number"]: o["id"] for o in site["orders"]}
    links = [(("order", order_of_number[n]), ("card", card)) for n, card in card_of_number.items()]
    for lead in live_leads(amo):
        if match := re.fullmatch(r"Заказ с сайта №(\d+)", lead["name"]):
            links.append(
                (("order", order_of_number[match[1]]), ("contact", lead["_embedded"]["contacts"][0]["id"]))
            )
    return keys, links


def latest_stamp(amo: dict, site: dict) -> tuple[int, str]:
    stamps = [x["updated_at"] for key in ("leads", "contacts", "tasks") for x in amo[key]]
    stamps += [e["created_at"] for e in amo["events"]]
    return max(stamps), max(o["date_modified_gmt"] for o in site["orders"])
