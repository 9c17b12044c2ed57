"""The company in four systems (docs/SANDBOX.md): the amoCRM, WooCommerce and Metrica stores
layered onto the 1C history - deterministic, fast, shaped like the real APIs, and leaving the 1C truth alone.

Facts are read from the stores as a pipeline would (tests/sources_reading.py). One read-only demo-size
company (scale 0.05, seed 7) serves most tests; tests that edit a company make their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta

import pytest

from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.world.channels import MAPPING, SEED_PATH, seed_csv
from sandbox.world.company import generate_company
from tests.sources_fixtures import ALL_SOURCES, amo, demo, metrica, onec, person_of, site, truth_all  # noqa: F401 (fixtures)
from tests.sources_reading import (
    LOST,
    ORDERS,
    SCALE,
    SEED,
    WON,
    channel,
    digest,
    dump,
    field_values,
    live_leads,
    local,
    phone_key,
    seed_rules,
    status_paths,
)

# sha256 of json.dumps(truth(), sort_keys=True, ensure_ascii=False) for scale 0.02, seed 7, recorded before
# the CRM, site and Metrica existed: at generation and after one night. Issue 8 changed two things on
# purpose (goods without a purchase price have an unknown cost, not 0; invoices and payments joined), so the
# digest leaves those out: everything else is still what it was (checked against the issue-7 code).
ISSUE_8_CHANGED = frozenset(
    {"cost", "gross_profit", "unknown_cost_revenue", "cost_total", "gross_profit_total",
     "unknown_cost_revenue_total", "receivables", "receivables_daily"}
)  # fmt: skip
ISSUE_2_TRUTH = "14066fcc2ce8f2a35a2e1c8caa1825e7704edccbee1646f989f698fd2fd32f25"
ISSUE_2_TRUTH_NIGHT_1 = "5d10a414a6e80e788134dc483a1021028f36126ca3d52376e8122f3e3e1ef4dc"


# ---------------------------------------------------------------- fixtures


# ---------------------------------------------------------------- determinism and the issue-2 truth


def test_same_seed_gives_the_same_stores_and_truth_each_a_fresh_structure(
    demo, amo, site, metrica, truth_all
):
    again = generate_company(scale=SCALE, seed=SEED)
    assert dump(store_of(again, "amocrm")) == dump(amo)
    assert dump(store_of(again, "website")) == dump(site)
    assert dump(store_of(again, "metrica")) == dump(metrica)
    assert truth_for(again, ALL_SOURCES) == truth_all  # the pipeline extras hold Decimals and dates
    first = store_of(again, "amocrm")
    first["leads"][0]["price"] = -1
    first["contacts"].clear()
    store_of(again, "website")["orders"][0]["total"] = "0.00"
    assert store_of(again, "amocrm") == amo and store_of(again, "website") == site
    other = generate_company(scale=SCALE, seed=SEED + 1)
    assert truth_for(other, ALL_SOURCES)["leads_total"] != truth_all["leads_total"]


DIGEST_SCRIPT = """
import hashlib, json
from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.world.company import generate_company
from tests.sources_fixtures import ALL_SOURCES
c = generate_company(scale=0.02, seed=7)
c.apply_nightly_changes()
stores = [store_of(c, "amocrm"), store_of(c, "website"), store_of(c, "metrica")]
blob = json.dumps([*stores, truth_for(c, ALL_SOURCES)], ensure_ascii=False, sort_keys=True, default=str)
print(hashlib.sha256(blob.encode()).hexdigest())
"""


def test_same_seed_is_identical_in_another_process_with_another_hash_seed():
    company = generate_company(scale=0.02, seed=SEED)
    company.apply_nightly_changes()
    stores = [store_of(company, "amocrm"), store_of(company, "website"), store_of(company, "metrica")]
    truth = truth_for(company, ALL_SOURCES)
    blob = json.dumps([*stores, truth], ensure_ascii=False, sort_keys=True, default=str)
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    out = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT],
        cwd=SEED_PATH.parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == hashlib.sha256(blob.encode()).hexdigest()


def test_issue_two_truth_is_what_it_was_before_the_crm_and_the_site():
    company = generate_company(scale=0.02, seed=SEED)
    assert digest(_without(truth_for(company, ("onec",)), ISSUE_8_CHANGED)) == ISSUE_2_TRUTH
    company.apply_nightly_changes()
    assert digest(_without(truth_for(company, ("onec",)), ISSUE_8_CHANGED)) == ISSUE_2_TRUTH_NIGHT_1


def _without(value, names: frozenset[str]):
    """`value` with every dict key in `names` left out, at any depth."""
    if isinstance(value, dict):
        return {key: _without(item, names) for key, item in value.items() if key not in names}
    if isinstance(value, list):
        return [_without(item, names) for item in value]
    return value


# ---------------------------------------------------------------- amoCRM records


def test_account_users_pipelines_and_loss_reasons(demo, amo):
    assert amo["account"]["timezone"] == "Europe/Moscow" and {"id", "name", "subdomain"} <= set(
        amo["account"]
    )
    managers = {m.name for m in demo.model.managers}
    assert managers <= {u["name"] for u in amo["users"]}
    left = [u for u in amo["users"] if not u["rights"]["is_active"]]
    assert [u["name"] for u in left] == [m.name for m in demo.model.managers if m.deletion_mark]
    names = {p["name"]: [s["name"] for s in p["_embedded"]["statuses"]] for p in amo["pipelines"]}
    assert names["Продажи"][:5] == [
        "Неразобранное",
        "Новая заявка",
        "Квалификация",
        "Коммерческое предложение",
        "Согласование договора",
    ]
    assert names["Интернет-магазин"][:2] == ["Новый заказ", "Подтверждён"]
    for pipeline in amo["pipelines"]:
        statuses = pipeline["_embedded"]["statuses"]
        assert {WON, LOST} <= {s["id"] for s in statuses}
        assert all(s["pipeline_id"] == pipeline["id"] for s in statuses)
    assert [s["type"] for s in amo["pipelines"][0]["_embedded"]["statuses"]][0] == 1
    assert len(amo["loss_reasons"]) >= 5


def test_every_lead_sits_in_a_real_stage_and_closes_the_way_amocrm_does(amo):
    statuses = {p["id"]: {s["id"] for s in p["_embedded"]["statuses"]} for p in amo["pipelines"]}
    contacts = {c["id"] for c in amo["contacts"]}
    reasons = {r["id"] for r in amo["loss_reasons"]}
    for lead in amo["leads"]:
        assert lead["status_id"] in statuses[lead["pipeline_id"]]
        assert isinstance(lead["price"], int) and lead["created_at"] <= lead["updated_at"]
        main = [c["id"] for c in lead["_embedded"]["contacts"] if c["is_main"]]
        assert len(main) == 1 and main[0] in contacts
        if lead["status_id"] == LOST:
            assert lead["closed_at"] and lead["loss_reason_id"] in reasons
            assert lead["_embedded"]["loss_reason"][0]["id"] == lead["loss_reason_id"]
        elif lead["status_id"] == WON:
            assert (
                lead["closed_at"]
                and lead["loss_reason_id"] is None
                and "loss_reason" not in lead["_embedded"]
            )
        else:
            assert lead["closed_at"] is None
    counts = Counter(
        "deleted" if x["is_deleted"] else {WON: "won", LOST: "lost"}.get(x["status_id"], "open")
        for x in amo["leads"]
    )
    print(f"leads {len(amo['leads'])}: {dict(counts)}")
    assert counts["won"] > counts["lost"] > counts["open"] > counts["deleted"] > 0


def test_stage_histories_go_one_step_at_a_time(amo):
    order = {
        p["id"]: [s["id"] for s in p["_embedded"]["statuses"] if s["id"] not in (WON, LOST)]
        for p in amo["pipelines"]
    }
    leads = {lead["id"]: lead for lead in amo["leads"]}
    paths = status_paths(amo)
    for lead_id, path in paths.items():
        lead, stages = leads[lead_id], order[leads[lead_id]["pipeline_id"]]
        assert path[-1] == lead["status_id"] and path[0] in stages
        for before, after in zip(path, path[1:], strict=False):
            assert before in stages, f"lead {lead_id} moved on after closing"
            if after == WON:
                assert before == stages[-1], f"lead {lead_id} won from {before}"
            elif after != LOST:
                assert stages.index(after) == stages.index(before) + 1, (
                    f"lead {lead_id} jumped {before}->{after}"
                )
    events = [e for e in amo["events"] if e["type"] == "lead_status_changed"]
    assert all(isinstance(e["id"], str) and len(e["id"]) == 26 for e in events)
    assert len({e["id"] for e in amo["events"]}) == len(amo["events"])
    closing = {
        e["entity_id"]: e["created_at"]
        for e in events
        if e["value_after"][0]["lead_status"]["id"] in (WON, LOST)
    }
    assert all(closing[x["id"]] == x["closed_at"] for x in amo["leads"] if x["closed_at"])
    robot = [e for e in events if e["created_by"] == 0]
    assert robot and len(robot) < len(events)
    long_paths = Counter(len(p) for p in paths.values())
    assert long_paths[6] > 0 and long_paths[3] > 0  # «Продажи» walked through, shop orders confirmed and won


def test_deleted_leads_and_contacts_leave_events(amo):
    deleted_events = {e["entity_id"] for e in amo["events"] if e["type"] == "lead_deleted"}
    assert deleted_events == {x["id"] for x in amo["leads"] if x["is_deleted"]}
    gone = {e["entity_id"] for e in amo["events"] if e["type"] == "contact_deleted"}
    assert gone == {c["id"] for c in amo["contacts"] if c["is_deleted"]} and gone
    for lead in amo["leads"]:
        if lead["is_deleted"]:
            assert lead["updated_at"] == max(
                e["created_at"] for e in amo["events"] if e["entity_id"] == lead["id"]
            )


def test_contacts_carry_typed_phones_emails_and_personal_fields(amo):
    codes = Counter()
    for contact in amo["contacts"]:
        for code in ("PHONE", "EMAIL"):
            for value in field_values(contact, code):
                assert value["enum_code"] in ("WORK", "MOB") and isinstance(value["value"], str)
                codes[code] += 1
        codes.update(
            f["field_code"]
            for f in contact["custom_fields_values"] or []
            if f["field_code"] not in ("PHONE", "EMAIL")
        )
        for value in field_values(contact, "BIRTHDAY"):
            born = local(value["value"])  # midnight in the account's time zone
            assert born.time().isoformat() == "00:00:00" and 1950 < born.year < 2008
        assert {v["value"] for v in field_values(contact, "GENDER")} <= {"М", "Ж"}
    assert all(codes[c] > 50 for c in ("PHONE", "EMAIL", "BIRTHDAY", "CITY", "GENDER")), codes
    phones = [v["value"] for c in amo["contacts"] for v in field_values(c, "PHONE")]
    assert any(p.startswith("8 (") for p in phones) and any(p.startswith("+7 ") for p in phones)
    assert any(re.fullmatch(r"7\d{10}", p) for p in phones)
    emails = [v["value"] for c in amo["contacts"] for v in field_values(c, "EMAIL")]
    assert any(e != e.lower() for e in emails)


def test_calls_share_one_uniq_on_the_lead_and_its_contact(amo):
    leads = {lead["id"]: lead for lead in amo["leads"]}
    on_lead = Counter(n["params"]["uniq"] for n in amo["lead_notes"])
    on_contact = Counter(n["params"]["uniq"] for n in amo["contact_notes"])
    assert max(on_lead.values()) == 1 and max(on_contact.values()) == 1
    lead_note = {n["params"]["uniq"]: n for n in amo["lead_notes"]}
    both = 0
    for note in amo["contact_notes"]:
        twin = lead_note.get(note["params"]["uniq"])
        if twin:
            both += 1
            main = leads[twin["entity_id"]]["_embedded"]["contacts"][0]["id"]
            assert note["entity_id"] == main and note["params"] == twin["params"] and note["id"] != twin["id"]
    only_contact = len(amo["contact_notes"]) - both
    print(f"calls: {len(on_lead)} on leads, {both} also on the contact, {only_contact} on a contact only")
    assert 0.75 < both / len(on_lead) < 0.95 and only_contact > 0
    notes = amo["lead_notes"] + amo["contact_notes"]
    assert {n["note_type"] for n in notes} == {"call_in", "call_out"}
    assert {n["params"]["call_status"] for n in notes} >= {4, 6}
    assert all((n["params"]["duration"] > 0) == (n["params"]["call_status"] == 4) for n in notes)


def test_tasks_are_on_leads_and_completed_ones_have_a_result(amo):
    leads = {lead["id"]: lead for lead in amo["leads"]}
    for task in amo["tasks"]:
        assert task["entity_type"] == "leads" and not leads[task["entity_id"]]["is_deleted"]
        assert task["task_type_id"] in (1, 2) and task["updated_at"] >= task["created_at"]
        assert bool(task["result"].get("text")) == task["is_completed"]
    done = sum(t["is_completed"] for t in amo["tasks"])
    assert 0.5 < done / len(amo["tasks"]) < 0.95


# ---------------------------------------------------------------- channels and UTM


def test_channel_seed_file_is_the_table_and_maps_what_the_sources_write(amo, site, metrica):
    assert SEED_PATH.read_text(encoding="utf-8") == seed_csv()
    assert SEED_PATH.read_text(encoding="utf-8").splitlines()[0] == (
        "source_kind,utm_source,utm_medium,traffic_source_id,channel"
    )
    assert len(seed_rules()) == len(MAPPING)
    rules = seed_rules()
    lead_channels = Counter()
    for lead in live_leads(amo):
        source = [v["value"] for v in field_values(lead, "UTM_SOURCE")]
        medium = [v["value"] for v in field_values(lead, "UTM_MEDIUM")]
        lead_channels[channel(rules, "utm", *(source or [None]), *(medium or [None]))] += 1
    assert set(lead_channels) == {
        "Яндекс Директ",
        "Google Ads",
        "SEO",
        "Direct",
        "Referral",
        "Email",
        "Social",
        "unknown",
    }
    meta = [{m["key"]: m["value"] for m in o["meta_data"]} for o in site["orders"]]
    kinds = Counter(m.get("_wc_order_attribution_source_type", "") for m in meta)
    assert {"utm", "organic", "referral", "typein", "admin", ""} == set(kinds)
    organic = [m for m in meta if m.get("_wc_order_attribution_source_type") == "organic"]
    assert {m["_wc_order_attribution_utm_medium"] for m in organic} == {"organic"}
    typein = [m for m in meta if m.get("_wc_order_attribution_source_type") == "typein"]
    assert {
        (m["_wc_order_attribution_utm_source"], m["_wc_order_attribution_utm_medium"]) for m in typein
    } == {("(direct)", "(none)")}
    visit_channels = {
        channel(rules, "metrica", r["utm_source"], r["utm_medium"], r["traffic_source_id"])
        for r in metrica["visits"]
    }
    assert visit_channels == set(lead_channels)


# ---------------------------------------------------------------- the web shop


def test_site_orders_look_like_woocommerce(site, onec):
    skus = {p["Артикул"] for p in onec["Catalog_Номенклатура"]}
    statuses = Counter(o["status"] for o in site["orders"])
    print(f"site orders {len(site['orders'])}: {dict(statuses)}")
    assert set(statuses) == {"completed", "processing", "pending", "cancelled", "failed"}
    ids = [o["id"] for o in site["orders"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    for order in site["orders"]:
        assert order["number"] == str(order["id"]) and order["currency"] == "RUB"
        lines = sum(int(x["total"].replace(".", "")) for x in order["line_items"])
        shipping = sum(int(x["total"].replace(".", "")) for x in order["shipping_lines"])
        assert (
            re.fullmatch(r"\d+\.\d\d", order["total"])
            and int(order["total"].replace(".", "")) == lines + shipping
        )
        for name in ("date_created", "date_modified", "date_paid", "date_completed"):
            if order[name] is not None:
                assert datetime.fromisoformat(order[name]) - datetime.fromisoformat(
                    order[f"{name}_gmt"]
                ) == timedelta(hours=3)
        assert order["date_created"] <= order["date_modified"]
        assert all(x["sku"] in skus or x["sku"].startswith("GIFT-") for x in order["line_items"])
        assert phone_key(order["billing"]["phone"]) and "@" in order["billing"]["email"]
        assert (order["date_completed"] is not None) == (order["status"] == "completed")
    guests = sum(o["customer_id"] == 0 for o in site["orders"])
    assert 0.3 < guests / len(site["orders"]) < 0.8
    assert any(o["billing"]["email"] != o["billing"]["email"].lower() for o in site["orders"])
    assert any(o["billing"]["last_name"] == "" for o in site["orders"])


def test_site_orders_reach_onec_by_their_number_and_some_never_do(site, onec):
    onec_orders = {d["НомерПоДаннымКлиента"]: d for d in onec[ORDERS] if d["НомерПоДаннымКлиента"]}
    numbers = {o["number"]: o for o in site["orders"]}
    assert set(onec_orders) <= set(numbers)  # every 1C site number is a real site order
    for number, order in onec_orders.items():
        site_order = numbers[number]
        assert site_order["status"] in ("completed", "processing", "cancelled")
        assert float(site_order["total"]) == pytest.approx(order["СуммаДокумента"], abs=0.005)
        assert site_order["date_created"] <= order["Date"]
    completed = [o for o in site["orders"] if o["status"] == "completed"]
    never = [o for o in completed if o["number"] not in onec_orders]
    print(f"completed site orders {len(completed)}, never in 1C {len(never)}")
    assert 0.02 < len(never) / len(completed) < 0.045
    assert all(x["sku"].startswith("GIFT-") for o in never for x in o["line_items"])
    assert not any(o["number"] in onec_orders for o in site["orders"] if o["status"] in ("pending", "failed"))


# ---------------------------------------------------------------- Metrica


def test_visits_far_outnumber_the_leads_they_bring(demo, metrica):
    assert metrica["counter"] == {**metrica["counter"], "id": 44147844, "timezone": "Europe/Moscow"}
    rows = metrica["visits"]
    assert all(r["visits"] >= r["users"] >= 1 for r in rows)
    assert len(
        {
            (r["date"], r["traffic_source_id"], r["utm_source"], r["utm_medium"], r["utm_campaign"])
            for r in rows
        }
    ) == len(rows)
    visits = {
        (r["date"], r["traffic_source_id"], r["utm_source"], r["utm_medium"], r["utm_campaign"]): r["visits"]
        for r in rows
    }
    leads = Counter(
        (x.created.date().isoformat(), *x.touch.visit_key) for x in demo.sources.leads if x.touch.visit_key
    )
    assert all(visits[cell] >= 20 * count for cell, count in leads.items())
    ratio = sum(visits.values()) / sum(leads.values())
    print(f"visit rows {len(rows)}, visits per lead {ratio:.1f}")
    assert ratio > 25
    weekday = Counter()
    for row in rows:
        weekday[datetime.fromisoformat(row["date"]).weekday() >= 5] += row["visits"]
    assert weekday[False] / 5 > weekday[True] / 2  # busier on weekdays
    by_month = Counter()
    for row in rows:
        by_month[row["date"][5:7]] += row["visits"]
    assert by_month["12"] > by_month["07"]  # and in December
