"""The truth over four systems (docs/SANDBOX.md — The truth) against what the stores say: one customer across
systems (a sensible matching rule finds exactly the true people; the switchboard trap; one phone typed three
ways), unified sales, the channel funnel, stages, win rate, cycle, first response, and the nights.

Facts are read from the stores as a pipeline would (tests/sources_reading.py); the clean model only says
who is who. One read-only demo-size company (scale 0.05, seed 7); tests that edit a company make their own.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict

import pytest

from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.world.company import generate_company
from tests.sources_fixtures import ALL_SOURCES, amo, demo, metrica, onec, person_of, site, truth_all  # noqa: F401 (fixtures)
from tests.sources_reading import (
    CARDS,
    LOST,
    ORDERS,
    SEED,
    WON,
    channel,
    field_values,
    first_responses,
    latest_stamp,
    live_leads,
    month,
    phone_key,
    record_keys,
    seed_rules,
    status_paths,
)

# ---------------------------------------------------------------- fixtures


# ---------------------------------------------------------------- one customer across systems


def test_a_sensible_matching_rule_finds_exactly_the_true_people(onec, site, amo, person_of, truth_all):
    """Shared normalized phone or e-mail, or a source reference (site number in 1C, the shop lead's name);
    a key on more than 3 live 1C cards or more than 3 live CRM contacts is a switchboard, not a person."""
    keys, links = record_keys(onec, site, amo)
    crowd = Counter()
    for (kind, _), values in keys.items():
        crowd.update((kind, v) for v in values if v)
    shared = {v for (kind, v), n in crowd.items() if kind in ("card", "contact") and n > 3}
    parent = {record: record for record in keys}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owners = defaultdict(list)
    for record, values in keys.items():
        for value in values - shared - {None}:
            owners[value].append(record)
    for records in owners.values():
        links += [(records[0], other) for other in records[1:]]
    for a, b in links:
        parent[find(a)] = find(b)
    people = defaultdict(set)
    for kind, record_id in keys:
        people[find((kind, record_id))].add(person_of[kind][record_id])
    assert all(len(p) == 1 for p in people.values()), "a component mixes true people"
    assert len(people) == truth_all["customers"]


def test_switchboard_trap_keeps_unrelated_firms_apart(amo, person_of, truth_all):
    by_phone = defaultdict(list)
    for contact in amo["contacts"]:
        if not contact["is_deleted"]:
            for value in field_values(contact, "PHONE"):
                by_phone[phone_key(value["value"])].append(contact)
    crowded = {phone: cs for phone, cs in by_phone.items() if len(cs) >= 4}
    assert crowded
    trapped = []
    for contacts in crowded.values():
        assert all(len(field_values(c, "PHONE")) == 1 and not field_values(c, "EMAIL") for c in contacts)
        assert len({c["name"] for c in contacts}) == len(contacts)
        assert len({c["first_name"] for c in contacts} | {c["last_name"] for c in contacts}) > 1
        spellings = {field_values(c, "PHONE")[0]["value"] for c in contacts}
        assert len(spellings) > 1 or len(contacts) < 3
        trapped += [person_of["contact"][c["id"]] for c in contacts]
    assert len(set(trapped)) == len(trapped) == len(truth_all["switchboard_people"])
    assert sorted(trapped) == truth_all["switchboard_people"]


def test_the_same_phone_is_written_three_ways_and_some_people_have_two_crm_contacts(
    onec, site, amo, person_of
):
    typed = defaultdict(lambda: defaultdict(set))  # person -> system -> phone as typed
    for card in onec[CARDS]:
        for row in card["КонтактнаяИнформация"]:
            if row["Тип"] == "Телефон" and person_of["card"].get(card["Ref_Key"]):
                typed[person_of["card"][card["Ref_Key"]]]["onec"].add(row["НомерТелефона"])
    for order in site["orders"]:
        typed[person_of["order"][order["id"]]]["site"].add(order["billing"]["phone"])
    contacts_of = defaultdict(list)
    for contact in amo["contacts"]:
        if person := person_of["contact"][contact["id"]]:
            contacts_of[person].append(contact)
            typed[person]["crm"] |= {v["value"] for v in field_values(contact, "PHONE")}
    three_ways = [
        person
        for person, systems in typed.items()
        if any(
            len({a, b, c}) == 3 and phone_key(a) == phone_key(b) == phone_key(c)
            for a in systems["onec"]
            for b in systems["site"]
            for c in systems["crm"]
        )
    ]
    two_contacts = [p for p, cs in contacts_of.items() if len([c for c in cs if not c["is_deleted"]]) == 2]
    print(
        f"{len(three_ways)} people with one phone typed three ways; {len(two_contacts)} with two CRM contacts"
    )
    assert len(three_ways) >= 20 and len(two_contacts) >= 5
    assert all(len(cs) <= 2 for cs in contacts_of.values())


# ---------------------------------------------------------------- the truth over four systems


def test_truth_over_all_sources_counts_people_seen_anywhere_and_site_only_sales(
    demo, onec, site, amo, person_of, truth_all
):
    seen = {
        "onec": {
            person_of["card"][c["Ref_Key"]]
            for c in onec[CARDS]
            if not c["IsFolder"] and not c["DeletionMark"]
        },
        "website": {person_of["order"][o["id"]] for o in site["orders"]},
        "amocrm": {person_of["contact"][c["id"]] for c in amo["contacts"] if not c["is_deleted"]},
    }
    assert truth_all["customers_seen_in"] == {k: len(v) for k, v in seen.items()}
    assert truth_all["customers"] == len(set().union(*seen.values())) > len(seen["onec"])
    assert sum(truth_all["portfolio"].values()) == truth_all["customers"]
    assert truth_all["sources"] == list(ALL_SOURCES)
    onec_truth = truth_for(demo, ("onec",))
    numbers = {d["НомерПоДаннымКлиента"] for d in onec[ORDERS]}
    own = [o for o in site["orders"] if o["status"] == "completed" and o["number"] not in numbers]
    assert truth_all["sales_total"] == onec_truth["sales_total"] + len(own)
    assert truth_all["revenue_total"] == pytest.approx(
        onec_truth["revenue_total"] + sum(float(o["total"]) for o in own), abs=0.01
    )
    assert sum(r["sales_count"] for r in truth_all["monthly"]) == truth_all["sales_total"]
    assert (
        sum(c["cohort_size"] for c in truth_all["cohorts"] if c["month_number"] == 0) == truth_all["buyers"]
    )
    site_only = truth_for(demo, ("website",))  # without 1C every completed site order is a sale
    completed = [o for o in site["orders"] if o["status"] == "completed"]
    assert site_only["sales_total"] == len(completed) and site_only["customers"] == len(seen["website"])
    assert "channel_monthly" not in site_only and "channel_monthly" in truth_all
    with pytest.raises(ValueError):
        truth_for(demo, ("onec", "bitrix"))


def test_channel_funnel_is_what_the_stores_say(demo, amo, metrica, person_of, truth_all):
    rules = seed_rules()
    expected = defaultdict(lambda: {"visits": 0, "leads": 0, "won_deals": 0, "payers": set(), "revenue": 0})
    for lead in live_leads(amo):
        source = [v["value"] for v in field_values(lead, "UTM_SOURCE")] or [None]
        medium = [v["value"] for v in field_values(lead, "UTM_MEDIUM")] or [None]
        row = expected[month(lead["created_at"]), channel(rules, "utm", source[0], medium[0])]
        row["leads"] += 1
        if lead["status_id"] == WON:
            row["won_deals"] += 1
            row["payers"].add(person_of["lead"][lead["id"]])
            row["revenue"] += lead["price"]
    for visit in metrica["visits"]:
        name = channel(rules, "metrica", visit["utm_source"], visit["utm_medium"], visit["traffic_source_id"])
        expected[visit["date"][:7], name]["visits"] += visit["visits"]
    got = {(r["month"], r["channel"]): r for r in truth_all["channel_monthly"]}
    assert set(got) == set(expected)
    for key, row in expected.items():
        assert got[key] == {
            "month": key[0],
            "channel": key[1],
            "visits": row["visits"],
            "leads": row["leads"],
            "won_deals": row["won_deals"],
            "paying_customers": len(row["payers"]),
            "revenue": float(row["revenue"]),
        }, key
    # the price of a won lead is the sale it led to: a 1C sale, or a site order that never reached 1C
    sales = {s.ref_key: s.amount for s in demo.model.shipments}
    sales |= {f"site:{o.seq}": o.total for o in demo.sources.site_orders}
    won = [x for x in demo.sources.leads if x.status == WON and not x.deleted_at]
    assert sum(r["revenue"] for r in truth_all["channel_monthly"]) == sum(
        (sales[x.sale_key] + 50) // 100 for x in won
    )
    assert all(
        x.closed_at == next(s.date for s in demo.model.shipments if s.ref_key == x.sale_key)
        for x in won[:300]
        if not x.sale_key.startswith("site:")
    )
    assert (
        sum(r["leads"] for r in truth_all["channel_monthly"])
        == truth_all["leads_total"]
        == len(live_leads(amo))
    )


def test_stages_win_rate_cycle_and_first_response_are_what_the_stores_say(demo, amo, truth_all):
    leads = {x["id"]: x for x in live_leads(amo)}
    paths = {k: v for k, v in status_paths(amo).items() if k in leads}
    names = {s["id"]: (p["name"], s["name"]) for p in amo["pipelines"] for s in p["_embedded"]["statuses"]}
    entered, advanced = Counter(), Counter()
    for path in paths.values():
        for i, status in enumerate(path):
            entered[names[status]] += 1
            advanced[names[status]] += i + 1 < len(path) and path[i + 1] != LOST
    for row in truth_all["stages"]:
        key = (row["pipeline"], row["stage"])
        assert (row["entered"], row["advanced"]) == (entered[key], advanced[key]), key
    assert [r["stage"] for r in truth_all["stages"]][:2] == ["Неразобранное", "Новая заявка"]

    closed = defaultdict(lambda: [0, 0, 0, 0])
    for lead in leads.values():
        if lead["closed_at"]:
            row = closed[month(lead["closed_at"])]
            row[lead["status_id"] == LOST] += 1
            row[2 + (lead["status_id"] == LOST)] += lead["price"]
    assert {
        r["month"]: [r["won"], r["lost"], r["won_amount"], r["lost_amount"]] for r in truth_all["win_rate"]
    } == {m: [a, b, float(c), float(d)] for m, (a, b, c, d) in closed.items()}
    cycles = [(x["closed_at"] - x["created_at"]) / 86400 for x in leads.values() if x["status_id"] == WON]
    assert truth_all["median_cycle_days"] == round(statistics.median(cycles), 2)

    users = {u["id"]: u["name"] for u in amo["users"]}
    first = first_responses(amo)
    groups = defaultdict(list)
    for lead in leads.values():
        at = first.get(lead["id"])
        groups[users[lead["responsible_user_id"]], month(lead["created_at"])].append(
            None if at is None else (at - lead["created_at"]) / 60
        )
    got = {(r["manager"], r["month"]): r for r in truth_all["lead_response"]}
    assert set(got) == set(groups)
    for key, minutes in groups.items():
        answered = [m for m in minutes if m is not None]
        assert got[key]["leads"] == len(minutes)
        assert got[key]["median_minutes"] == (round(statistics.median(answered), 2) if answered else None)
        assert got[key]["within_sla_share"] == pytest.approx(
            sum(m <= 15 for m in answered) / len(minutes), abs=1e-6
        )
    planned = {x.lead_id: x.response_at for x in demo.sources.leads if not x.deleted_at}
    assert all((first.get(k) is not None) == (v is not None) for k, v in planned.items())
    answered = [m for ms in groups.values() for m in ms if m is not None]
    share = len(answered) / sum(len(ms) for ms in groups.values())
    print(
        f"responded {share:.1%}, median {statistics.median(answered):.1f} min, "
        f"within 15 min {sum(m <= 15 for m in answered) / len(answered):.1%}"
    )
    assert 0.75 < share < 0.97 and 5 < statistics.median(answered) < 120


# ---------------------------------------------------------------- nights


def test_nightly_changes_reach_the_crm_and_the_site_as_the_report_says():
    company = generate_company(scale=0.02, seed=SEED)
    for night in (1, 2, 3):
        before, amo0, site0, visits0 = (
            truth_for(company, ALL_SOURCES),
            store_of(company, "amocrm"),
            store_of(company, "website"),
            visit_groups(store_of(company, "metrica")),
        )
        crm_latest, site_latest = latest_stamp(amo0, site0)
        report = company.apply_nightly_changes()
        after, amo1, site1, visits1 = (
            truth_for(company, ALL_SOURCES),
            store_of(company, "amocrm"),
            store_of(company, "website"),
            visit_groups(store_of(company, "metrica")),
        )
        for action, (day, key) in report.metrica_actions:  # robots filtered: the whole row is gone
            assert (
                action == "visits_revised_away" and (day.isoformat(), *key) in visits0.keys() - visits1.keys()
            )
        leads0, leads1 = ({x["id"]: x for x in s["leads"]} for s in (amo0, amo1))
        orders0, orders1 = ({o["id"]: o for o in s["orders"]} for s in (site0, site1))
        paths = status_paths(amo1)
        for action, lead_id in report.crm_actions:
            lead = leads1[lead_id]
            assert lead["updated_at"] > crm_latest, action
            if action == "new_lead":
                assert lead_id not in leads0 and lead["created_at"] > crm_latest
            elif action == "won":
                assert lead["status_id"] == WON and leads0.get(lead_id, {}).get("status_id") != WON
            elif action == "lost":
                assert (
                    lead["status_id"] == LOST
                    and leads0[lead_id]["closed_at"] is None
                    and lead["loss_reason_id"]
                )
            elif action == "stage_moved":
                assert paths[lead_id][-2:] == [leads0[lead_id]["status_id"], lead["status_id"]]
            elif action == "deleted":
                assert (
                    lead["is_deleted"]
                    and not leads0[lead_id]["is_deleted"]
                    and leads0[lead_id]["status_id"] != WON
                )
            elif action == "price_synced":
                assert lead["status_id"] == WON
            else:
                pytest.fail(f"unexpected CRM action {action}")
        onec_numbers = {d["НомерПоДаннымКлиента"] for d in store_of(company, "onec")[ORDERS]}
        for action, order_id in report.site_actions:
            if action == "order_deleted":  # a junk order that never reached 1C, gone from the shop
                before_deletion = orders0[order_id]
                assert order_id not in orders1 and before_deletion["number"] not in onec_numbers
                assert before_deletion["status"] in ("failed", "pending", "cancelled")
                continue
            order = orders1[order_id]
            assert order["date_modified_gmt"] > site_latest, action
            if action == "completed":
                assert orders0[order_id]["status"] == "processing" and order["status"] == "completed"
            elif action == "order_trashed":  # a sale of its own until tonight
                assert orders0[order_id]["status"] == "completed" and order["status"] == "trash"
                assert order["number"] not in onec_numbers
            else:
                assert order_id not in orders0 and action in (
                    "new_order_in_onec",
                    "site_only_sale",
                    "new_order:pending",
                    "new_order:failed",
                )
        assert "site" not in onec_numbers
        assert all(
            orders1[i]["number"] in onec_numbers for a, i in report.site_actions if a == "new_order_in_onec"
        )
        night_events = [e for e in amo1["events"] if e["created_at"] > crm_latest]
        assert {e["type"] for e in night_events} == {"lead_status_changed", "lead_deleted"}
        count = report.sources_count
        assert count("new_lead") >= 2 and count("won") >= 1 and count("stage_moved") >= 2
        assert count("lost") >= 1 and count("deleted") == 1
        assert after["leads_total"] - before["leads_total"] == count("new_lead") - count("deleted")
        assert count("order_trashed") == count("order_deleted") == count("visits_revised_away") == 1
        assert after["sales_total"] - before["sales_total"] == report.sales_count_delta + count(
            "site_only_sale"
        ) - count("order_trashed")
        assert after["revenue_total"] - before["revenue_total"] == pytest.approx(
            report.sales_amount_delta
            + _site_totals(report, orders1, "site_only_sale")
            - _site_totals(report, orders0, "order_trashed"),
            abs=0.01,
        )
        assert after["customers"] >= before["customers"] + 1
        print(
            f"night {night}: CRM {dict(Counter(a for a, _ in report.crm_actions))}, "
            f"site {dict(Counter(a for a, _ in report.site_actions))}"
        )


def visit_groups(store: dict) -> dict[tuple, int]:
    """(date, traffic source, utm source, medium, campaign) -> visits, as the Metrica store lists them."""
    fields = ("date", "traffic_source_id", "utm_source", "utm_medium", "utm_campaign")
    return {tuple(row[f] for f in fields): row["visits"] for row in store["visits"]}


def _site_totals(report, orders: dict, action: str) -> float:
    """Σ total of the night's site orders of one action, as the given store shows them."""
    return sum(float(orders[order_id]["total"]) for name, order_id in report.site_actions if name == action)
