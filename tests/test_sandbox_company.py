"""The sandbox company (sandbox/world/company.py) delivers what issue 2 asks of it (docs/SANDBOX.md).

Everything "messy" is counted from the 1C store, as the pipeline would see it; the truth is checked
against the clean model it comes from. One read-only demo-size company (scale 0.05, seed 7) serves most
tests; tests that edit a company make their own.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.world.company import generate_company

SEED = 7
DEMO_SCALE = 0.05
ZERO = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
CARDS = "Catalog_Контрагенты"
PRODUCTS = "Catalog_Номенклатура"
PRICE_TYPES = "Catalog_ВидыЦен"
PRICES = "InformationRegister_ЦеныНоменклатуры"
ORDERS = "Document_ЗаказКлиента"
SHIPMENTS = "Document_РеализацияТоваровУслуг"
RETURNS = "Document_ВозвратТоваровОтКлиента"
MAX_SHARED_CONTACT = 3
LOST_AFTER_DAYS = 180
REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- helpers (docs/METRICS.md, from the store)


def _but_receivables(truth: dict) -> dict:
    return {name: value for name, value in truth.items() if not name.startswith("receivables")}


def dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)


def normalize_phone(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10:
        return "+7" + digits
    return None


def normalize_email(text: str) -> str | None:
    return text.strip().lower() or None


def live_cards(store: dict) -> list[dict]:
    return [r for r in store[CARDS] if not r["IsFolder"] and not r["DeletionMark"]]


def contact_keys(card: dict) -> list[tuple[str, str, str]]:
    """(normalized key, kind, as typed) of a card's phones and e-mails."""
    out = []
    for row in card["КонтактнаяИнформация"]:
        if row["Тип"] == "Телефон" and (key := normalize_phone(row["НомерТелефона"])):
            out.append((key, "phone", row["НомерТелефона"]))
        elif row["Тип"] == "АдресЭлектроннойПочты" and (key := normalize_email(row["АдресЭП"])):
            out.append((key, "email", row["АдресЭП"]))
    return out


def customers_by_rule(store: dict) -> dict[str, str]:
    """Counterparty Ref_Key -> customer_id by the matching rule of docs/METRICS.md — Customer (union-find)."""
    cards = live_cards(store)
    owners: dict[str, set[str]] = defaultdict(set)
    for card in cards:
        for key, _, _ in contact_keys(card):
            owners[key].add(card["Ref_Key"])
    parent = {c["Ref_Key"]: c["Ref_Key"] for c in cards}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for members in owners.values():
        if len(members) <= MAX_SHARED_CONTACT:
            first, *rest = sorted(members)
            for other in rest:
                parent[find(other)] = find(first)
    groups: dict[str, list[str]] = defaultdict(list)
    for key in parent:
        groups[find(key)].append(key)
    return {key: min(members) for members in groups.values() for key in members}


def is_live(doc: dict) -> bool:
    return doc["Posted"] and not doc["DeletionMark"]


def sale_dates_by_customer(store: dict) -> dict[str, list[date]]:
    customer_of = customers_by_rule(store)
    dates: dict[str, list[date]] = defaultdict(list)
    for doc in store[SHIPMENTS]:
        if is_live(doc):
            dates[customer_of[doc["Контрагент_Key"]]].append(datetime.fromisoformat(doc["Date"]).date())
    return {customer: sorted(days) for customer, days in dates.items()}


def number_of(doc: dict) -> int:
    return int(re.sub(r"\D", "", doc["Number"]))


def section_lines(doc: dict) -> list[dict]:
    return doc["Товары"] + doc.get("Услуги", [])


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo():
    return generate_company(scale=DEMO_SCALE, seed=SEED)


@pytest.fixture(scope="module")
def store(demo):
    return store_of(demo, "onec")


@pytest.fixture(scope="module")
def truth(demo):
    return truth_for(demo, ("onec",))


@pytest.fixture(scope="module")
def bp30():
    return generate_company(scale=DEMO_SCALE, seed=SEED, configuration="bp30")


@pytest.fixture(scope="module")
def unf():
    return generate_company(scale=DEMO_SCALE, seed=SEED, configuration="unf")


@pytest.fixture(scope="module")
def product_kind(store):
    return {p["Ref_Key"]: p["ТипНоменклатуры"] for p in store[PRODUCTS]}


# ---------------------------------------------------------------- determinism and size


def test_same_seed_gives_identical_store_and_truth_and_another_seed_does_not(store, truth):
    again = generate_company(scale=DEMO_SCALE, seed=SEED)
    store_json = dump(store)
    assert dump(store_of(again, "onec")) == store_json
    assert dump(truth_for(again, ("onec",))) == dump(truth)

    # store_of() hands out a fresh structure: a caller's edit does not leak into the next call
    first = store_of(again, "onec")
    first[SHIPMENTS][0]["СуммаДокумента"] = -1
    first[CARDS].clear()
    assert store_of(again, "onec") == store

    other = generate_company(scale=DEMO_SCALE, seed=SEED + 1)
    other_store, other_truth = store_of(other, "onec"), truth_for(other, ("onec",))
    assert dump(other_store) != store_json
    assert other_truth["sales_total"] != truth["sales_total"]
    assert other_truth["revenue_total"] != truth["revenue_total"]
    # not a shuffled copy: the other seed's keys are all new
    assert not {r["Ref_Key"] for r in other_store[CARDS]} & {r["Ref_Key"] for r in store[CARDS]}
    assert not {r["Ref_Key"] for r in other_store[SHIPMENTS]} & {r["Ref_Key"] for r in store[SHIPMENTS]}


DIGEST_SCRIPT = """
import hashlib, json
from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.world.company import generate_company
c = generate_company(scale=0.02, seed={seed}, configuration="bp30")
c.apply_nightly_changes()
blob = json.dumps([store_of(c, "onec"), truth_for(c, ("onec",))], ensure_ascii=False, sort_keys=True)
print(hashlib.sha256(blob.encode()).hexdigest())
"""


def test_same_seed_is_identical_in_another_process_with_another_hash_seed():
    """Nothing depends on set order or str hashing (PYTHONHASHSEED), which differ between runs."""
    company = generate_company(scale=0.02, seed=SEED, configuration="bp30")
    company.apply_nightly_changes()
    blob = json.dumps(
        [store_of(company, "onec"), truth_for(company, ("onec",))], ensure_ascii=False, sort_keys=True
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", DIGEST_SCRIPT.format(seed=SEED)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == hashlib.sha256(blob.encode()).hexdigest()


def test_scale_one_is_twenty_thousand_customers_and_two_hundred_thousand_sales_over_three_years():
    company = generate_company(scale=1.0, seed=SEED)  # its speed is measured in bench/sandbox_generation.py
    truth = truth_for(company, ("onec",))
    assert 17_000 <= truth["customers"] <= 23_000
    assert 170_000 <= truth["sales_total"] <= 230_000
    months = [row["month"] for row in truth["monthly"]]
    assert months[0] == "2023-10" and months[-1] == "2026-09" and len(months) == 36
    assert company.as_of_date == date(2026, 9, 30)
    # every month of the three years has trade, not just the total
    assert min(row["sales_count"] for row in truth["monthly"]) >= 500


def test_demo_default_scale_is_five_hundredths_and_a_twentieth_of_scale_one():
    from flows.cli import build_parser

    assert build_parser().parse_args(["demo"]).scale == DEMO_SCALE
    company = generate_company(scale=DEMO_SCALE, seed=SEED + 2)
    truth = truth_for(company, ("onec",))
    assert 850 <= truth["customers"] <= 1150
    assert 8_500 <= truth["sales_total"] <= 11_500


# ---------------------------------------------------------------- customers and catalog look real

PATRONYMIC = re.compile(r"^[А-ЯЁ][а-яё-]+ [А-ЯЁ][а-яё]+ [А-ЯЁ][а-яё]+(ич|на)$")
EMAIL = re.compile(r"^[a-z0-9][a-z0-9._-]*@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$")


def test_customers_are_russian_people_and_firms_with_cities_phones_and_emails(store):
    cards = live_cards(store)
    people = [c for c in cards if c["ЮрФизЛицо"] == "ФизЛицо"]
    firms = [c for c in cards if c["ЮрФизЛицо"] == "ЮрЛицо"]
    assert len(people) > 10 * len(firms) > 0

    full_names = [c["НаименованиеПолное"] for c in people]
    assert all(PATRONYMIC.match(name) for name in full_names), [
        n for n in full_names if not PATRONYMIC.match(n)
    ]
    men = sum(name.endswith("ич") for name in full_names)
    women = sum(name.endswith(("вна", "чна")) for name in full_names)
    assert men + women == len(full_names) and men > 0.3 * len(full_names) and women > 0.3 * len(full_names)
    assert all(re.search(r"\b(ООО|АО)\b", c["Description"]) for c in firms)
    legal_form = re.compile(r"(Общество с ограниченной ответственностью|Акционерное общество) «.+»")
    assert all(legal_form.fullmatch(c["НаименованиеПолное"]) for c in firms)
    assert all(re.fullmatch(r"\d{10}", c["ИНН"]) for c in firms if c["ИНН"])

    rows = [row for c in cards for row in c["КонтактнаяИнформация"]]
    # tabular rows carry the owner's Ref_Key and an Int64 LineNumber as a string
    for card in cards:
        section = card["КонтактнаяИнформация"]
        assert [r["LineNumber"] for r in section] == [str(i) for i in range(1, len(section) + 1)]
        assert all(r["Ref_Key"] == card["Ref_Key"] for r in section)
    kinds = Counter(row["Тип"] for row in rows)
    assert set(kinds) == {"Телефон", "АдресЭлектроннойПочты", "Адрес"}

    cities = Counter(row["Город"] for row in rows if row["Тип"] == "Адрес")
    assert cities.most_common(2)[0][0] == "Москва" and cities.most_common(2)[1][0] == "Санкт-Петербург"
    assert len(cities) >= 15 and "" not in cities
    assert all(row["Представление"].startswith(row["Город"] + ", ") for row in rows if row["Тип"] == "Адрес")

    phones = [row["НомерТелефона"] for row in rows if row["Тип"] == "Телефон"]
    normalized = [normalize_phone(p) for p in phones]
    assert all(n and re.fullmatch(r"\+7\d{10}", n) for n in normalized)
    assert sum(n.startswith("+79") for n in normalized) > 0.8 * len(normalized)  # mostly mobiles
    assert len(set(phones)) > len(set(normalized))  # one number, several spellings
    assert len(Counter(p[0] + re.sub(r"\d", "9", p[1:]) for p in phones)) >= 8  # typed in 8 styles

    emails = [row["АдресЭП"] for row in rows if row["Тип"] == "АдресЭлектроннойПочты"]
    assert all(EMAIL.match(e.strip().lower()) for e in emails)
    assert sum(e != e.strip().lower() for e in emails) > 0.05 * len(emails)  # caps and stray spaces
    with_email = {
        c["Ref_Key"]
        for c in people
        if any(r["Тип"] == "АдресЭлектроннойПочты" for r in c["КонтактнаяИнформация"])
    }
    assert 0.6 * len(people) < len(with_email) < 0.95 * len(people)


def test_catalog_is_grouped_and_goods_have_purchase_prices(store):
    products = store[PRODUCTS]
    groups = {p["Ref_Key"]: p["Description"].strip() for p in products if p["IsFolder"]}
    assert all(p["Parent_Key"] == ZERO for p in products if p["IsFolder"])
    assert {"Посуда", "Текстиль", "Мебель", "Освещение", "Услуги"} <= set(groups.values())
    assert len(groups) == 11

    goods = [p for p in products if not p["IsFolder"] and p["ТипНоменклатуры"] == "Товар"]
    services = [p for p in products if not p["IsFolder"] and p["ТипНоменклатуры"] == "Услуга"]
    in_group = [p for p in goods if p["Parent_Key"] in groups]
    assert len(goods) >= 80 and len(in_group) >= 0.95 * len(goods)
    assert len(goods) - len(in_group) == 3  # loose goods outside any group (Parent_Key is the zero GUID)
    assert all(p["Parent_Key"] == ZERO for p in goods if p not in in_group)
    assert len(services) == 6 and all(groups[p["Parent_Key"]] == "Услуги" for p in services)
    assert all(groups[p["Parent_Key"]] != "Услуги" for p in in_group)
    per_group = Counter(groups[p["Parent_Key"]] for p in in_group)
    assert min(per_group.values()) >= 8

    price_type = {t["Description"]: t["Ref_Key"] for t in store[PRICE_TYPES]}
    assert set(price_type) == {"Закупочная", "Розничная", "Оптовая"}
    first_price: dict[tuple[str, str], float] = {}
    for row in sorted(store[PRICES], key=lambda r: r["Period"]):
        first_price.setdefault((row["Номенклатура_Key"], row["ВидЦены_Key"]), row["Цена"])
    purchase = {k: v for (k, t), v in first_price.items() if t == price_type["Закупочная"]}
    retail = {k: v for (k, t), v in first_price.items() if t == price_type["Розничная"]}
    assert all(p["Ref_Key"] in purchase and p["Ref_Key"] in retail for p in goods)
    # the shop's margin: retail opens at 1.5-2.3 x purchase (a late-loaded purchase price may already
    # carry a later price change, so the first-price ratio can dip a little below 1.5)
    ratios = [retail[p["Ref_Key"]] / purchase[p["Ref_Key"]] for p in in_group]
    assert 1.3 < min(ratios) and max(ratios) < 2.6
    assert 1.7 < statistics.median(ratios) < 2.1
    assert all(p["Ref_Key"] in retail for p in services)
    changes = Counter(
        row["Номенклатура_Key"] for row in store[PRICES] if row["ВидЦены_Key"] == price_type["Розничная"]
    )
    assert all(changes[p["Ref_Key"]] >= 2 for p in in_group)  # prices change over the three years


# ---------------------------------------------------------------- buying behaviour


def test_customers_buy_again_after_realistic_gaps(store, truth):
    dates = sale_dates_by_customer(store)
    assert len(dates) == truth["buyers"]
    repeat = {c: d for c, d in dates.items() if len(d) >= 2}
    assert len(repeat) > 0.6 * len(dates)
    medians = [
        statistics.median((b - a).days for a, b in zip(d, d[1:], strict=False)) for d in repeat.values()
    ]
    typical_gap = statistics.median(medians)
    print(f"median of customers' median gap between sales: {typical_gap} days")
    assert 14 <= typical_gap <= 180
    repeat_sales = sum(row["repeat_sales_count"] for row in truth["monthly"])
    assert repeat_sales == sum(len(d) - 1 for d in dates.values())
    assert 0.5 < repeat_sales / truth["sales_total"] < 0.95


def test_some_customers_stop_buying_and_the_truth_counts_them_as_lost(store, truth):
    as_of = date.fromisoformat(truth["as_of_date"])
    dates = sale_dates_by_customer(store)
    lost = [c for c, d in dates.items() if (as_of - d[-1]).days >= LOST_AFTER_DAYS]
    assert truth["portfolio"]["lost"] == len(lost)
    assert 0.2 * truth["buyers"] < len(lost) < 0.7 * truth["buyers"]
    lost_by_month = Counter(
        (d[-1] + timedelta(days=LOST_AFTER_DAYS)).strftime("%Y-%m")
        for d in dates.values()
        if d[-1] + timedelta(days=LOST_AFTER_DAYS) <= as_of
    )
    assert {r["month"]: r["lost_customers"] for r in truth["monthly"] if r["lost_customers"]} == dict(
        lost_by_month
    )


def test_sales_are_seasonal(truth):
    sales = {row["month"]: row["sales_count"] for row in truth["monthly"]}
    for year in (2024, 2025):
        months = {m: n for m, n in sales.items() if m.startswith(f"{year}-")}
        assert max(months, key=months.get) == f"{year}-12"  # the New Year peak
        assert sales[f"{year}-12"] > 1.8 * sales[f"{year}-07"]  # the summer lull
    # the shop grows year on year, yet July dips below the months around it: a season, not a trend
    assert sales["2025-07"] > sales["2024-07"] and sales["2025-12"] > sales["2024-12"]
    assert sales["2025-07"] < sales["2025-05"] and sales["2025-07"] < sales["2025-09"]


# ---------------------------------------------------------------- real-world mess, counted from the store


def test_the_same_person_is_two_counterparties_with_differently_written_contacts(demo, store, truth):
    by_key: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for card in live_cards(store):
        for key, kind, typed in contact_keys(card):
            by_key[kind, key].add((card["Ref_Key"], typed))
    # a phone/e-mail on 2-3 cards, normalizing to one key but typed differently: one person, two cards
    differently_written = Counter()
    for (kind, _), owners in by_key.items():
        cards = {c for c, _ in owners}
        if 2 <= len(cards) <= MAX_SHARED_CONTACT:
            differently_written[kind] += len({typed for _, typed in owners}) > 1
    print(
        f"duplicate people: by phone {differently_written['phone']}, by e-mail {differently_written['email']}"
    )
    assert differently_written["phone"] >= 0.02 * truth["customers"]
    assert differently_written["email"] >= 0.01 * truth["customers"]
    # shared numbers (a manager's mobile, an office switchboard) on more than 3 cards are not people
    shared = [k for k, owners in by_key.items() if len({c for c, _ in owners}) > MAX_SHARED_CONTACT]
    assert len(shared) >= 3

    # the §5 rule rebuilds exactly the true people from that mess
    customer_of = customers_by_rule(store)
    rebuilt = defaultdict(set)
    for card, customer in customer_of.items():
        rebuilt[customer].add(card)
    assert {frozenset(g) for g in rebuilt.values()} == {frozenset(p.card_keys) for p in demo.model.people}
    assert len(rebuilt) == truth["customers"]


def test_documents_marked_for_deletion_unposted_and_returned(store):
    shipments, orders, returns = store[SHIPMENTS], store[ORDERS], store[RETURNS]
    counts = {
        "shipments": len(shipments),
        "deleted_shipments": sum(d["DeletionMark"] for d in shipments),
        "draft_shipments": sum(not d["Posted"] and not d["DeletionMark"] for d in shipments),
        "deleted_orders": sum(d["DeletionMark"] for d in orders),
        "returns": len(returns),
        "live_returns": sum(is_live(d) for d in returns),
        "unposted_returns": sum(not d["Posted"] for d in returns),
    }
    print(counts)
    n = counts["shipments"]
    assert 0.005 * n <= counts["deleted_shipments"] <= 0.03 * n
    assert 0.005 * n <= counts["draft_shipments"] <= 0.03 * n
    assert counts["deleted_orders"] > counts["deleted_shipments"]  # plus the orders cancelled before shipping
    assert 0.01 * n <= counts["returns"] <= 0.06 * n
    assert counts["unposted_returns"] >= 3
    # 1C unposts what is marked for deletion
    assert not any(d["Posted"] and d["DeletionMark"] for d in shipments + orders + returns)

    # each return points at a real sale of the same counterparty, comes after it and is not bigger
    sale = {d["Ref_Key"]: d for d in shipments}
    for ret in returns:
        origin = sale[ret["ДокументРеализации_Key"]]
        assert ret["Контрагент_Key"] == origin["Контрагент_Key"]
        assert ret["Date"] > origin["Date"]
        assert 0 < ret["СуммаДокумента"] <= origin["СуммаДокумента"]


def test_back_dated_documents_break_the_number_order(store):
    """Numbers follow entry order; a document typed in days later carries an earlier Date."""
    by_number = sorted(store[SHIPMENTS], key=number_of)
    assert len({number_of(d) for d in by_number}) == len(by_number)
    latest, back_dated = datetime(2000, 1, 1), 0
    for doc in by_number:
        moment = datetime.fromisoformat(doc["Date"])
        back_dated += moment < latest - timedelta(days=2)
        latest = max(latest, moment)
    print(f"back-dated shipments in the history: {back_dated}")
    assert 0.01 * len(by_number) <= back_dated <= 0.04 * len(by_number)
    padded = [d["Number"] for d in store[SHIPMENTS] if d["Number"] != d["Number"].strip()]
    assert len(padded) >= 0.005 * len(by_number)  # hand-typed, space-padded numbers
    assert all(re.fullmatch(r"ТД00-\d{6}|\d+ +", d["Number"]) for d in store[SHIPMENTS])


def test_empty_references_and_empty_dates(store):
    shipments, orders, returns = store[SHIPMENTS], store[ORDERS], store[RETURNS]

    def zero(docs, field):
        return sum(d[field] == ZERO for d in docs)

    empties = {
        "shipment Менеджер_Key": zero(shipments, "Менеджер_Key"),
        "order Менеджер_Key": zero(orders, "Менеджер_Key"),
        "shipment ДоговорКонтрагента_Key": zero(shipments, "ДоговорКонтрагента_Key"),
        "card Parent_Key": zero(live_cards(store), "Parent_Key"),
        "shipment ДатаВходящегоДокумента": sum(d["ДатаВходящегоДокумента"] == EMPTY_DATE for d in shipments),
    }
    print(empties)
    n = len(shipments)
    assert 0.02 * n <= empties["shipment Менеджер_Key"] <= 0.06 * n  # nobody filled the manager in
    assert 0.02 * len(orders) <= empties["order Менеджер_Key"] <= 0.06 * len(orders)
    # individuals have no contract; a fifth of companies' sales lack one too
    company_cards = {c["Ref_Key"] for c in store[CARDS] if c["ЮрФизЛицо"] == "ЮрЛицо"}
    firm_sales = [d for d in shipments if d["Контрагент_Key"] in company_cards]
    assert all(
        d["ДоговорКонтрагента_Key"] == ZERO for d in shipments if d["Контрагент_Key"] not in company_cards
    )
    assert 0.1 * len(firm_sales) <= zero(firm_sales, "ДоговорКонтрагента_Key") <= 0.3 * len(firm_sales)
    assert 0.2 * len(live_cards(store)) <= empties["card Parent_Key"] <= 0.5 * len(live_cards(store))
    assert n - len(firm_sales) <= empties["shipment ДатаВходящегоДокумента"] < n
    assert all(d["ЖелаемаяДатаОтгрузки"] == EMPTY_DATE for d in orders)
    assert all(d["ДатаВходящегоДокумента"] == EMPTY_DATE for d in returns)
    # a real date where one is set
    dated = [d for d in shipments if d["ДатаВходящегоДокумента"] != EMPTY_DATE]
    assert all(d["ДатаВходящегоДокумента"] == d["Date"][:10] + "T00:00:00" for d in dated)


def test_service_lines_sit_in_goods_for_ut11_and_in_their_own_section_for_bp30(
    store, truth, bp30, product_kind
):
    ut_service_lines = [
        line
        for d in store[SHIPMENTS]
        for line in d["Товары"]
        if product_kind[line["Номенклатура_Key"]] == "Услуга"
    ]
    with_service = sum(
        any(product_kind[x["Номенклатура_Key"]] == "Услуга" for x in d["Товары"]) for d in store[SHIPMENTS]
    )
    print(f"ut11: {len(ut_service_lines)} service lines on {with_service} shipments")
    assert 0.15 * len(store[SHIPMENTS]) <= with_service <= 0.5 * len(store[SHIPMENTS])
    assert not any("Услуги" in d for d in store[SHIPMENTS])

    bp_store = store_of(bp30, "onec")
    bp_goods = [line for d in bp_store[SHIPMENTS] for line in d["Товары"]]
    bp_services = [line for d in bp_store[SHIPMENTS] for line in d["Услуги"]]
    assert all(product_kind[line["Номенклатура_Key"]] == "Товар" for line in bp_goods)
    assert all(product_kind[line["Номенклатура_Key"]] == "Услуга" for line in bp_services)
    assert len(bp_services) == len(ut_service_lines)
    assert "Ответственный_Key" in bp_store[SHIPMENTS][0] and "Менеджер_Key" not in bp_store[SHIPMENTS][0]
    assert {c["ЮридическоеФизическоеЛицо"] for c in live_cards(bp_store)} == {
        "ФизическоеЛицо",
        "ЮридическоеЛицо",
    }

    # in both, the sale amount is Σ Сумма over Товары + Услуги and equals СуммаДокумента
    for docs in (store[SHIPMENTS], bp_store[SHIPMENTS]):
        for doc in docs:
            assert sum(line["Сумма"] for line in section_lines(doc)) == pytest.approx(
                doc["СуммаДокумента"], abs=0.005
            )
    # the configuration changes the export, not the company (but for whom payments naming an order pay)
    assert dump(_but_receivables(truth_for(bp30, ("onec",)))) == dump(_but_receivables(truth))


def test_the_configuration_changes_the_export_not_the_company(demo, truth, bp30, unf):
    unf_store = store_of(unf, "onec")
    # УНФ's sale is a shipment of goods plus, for a sale with services, an act: together the same sales
    live = [d for d in unf_store["Document_РасходнаяНакладная"] if is_live(d)]
    acts = [d for d in unf_store["Document_АктВыполненныхРабот"] if is_live(d)]
    assert len(live) == truth["sales_total"]
    assert sum(d["СуммаДокумента"] for d in live + acts) == pytest.approx(
        truth["sales_amount_total"], abs=0.01
    )
    receipts = unf_store["Document_ПриходнаяНакладная"]
    returns = [d for d in receipts if d["ВидОперации"] == "ВозвратОтПокупателя" and is_live(d)]
    assert len(returns) == truth["returns_total"] < len([d for d in receipts if is_live(d)])
    assert sum(d["СуммаДокумента"] for d in returns) == pytest.approx(truth["returns_amount_total"], abs=0.01)
    # one company: the same model and the same truth whichever configuration its 1C runs, but for one
    # rule: only УТ 11's payments can name a customer order and pay its invoices (docs/SANDBOX.md)
    assert dump(truth_for(unf, ("onec",))) == dump(truth_for(bp30, ("onec",)))
    assert dump(_but_receivables(truth_for(unf, ("onec",)))) == dump(_but_receivables(truth))
    assert truth_for(unf, ("onec",))["receivables"] != truth["receivables"]
    with pytest.raises(ValueError, match="configuration must be one of"):
        generate_company(scale=0.02, seed=SEED, configuration="ka2")


def test_demo_starts_its_1c_in_the_configuration_asked_for_and_leaves_detection_to_salespipe(tmp_path):
    import requests

    from flows.cli import build_parser
    from flows.demo import _point_settings_at, start_landscape

    parser = build_parser()
    assert parser.parse_args(["demo"]).onec_configuration == "ut11"
    args = parser.parse_args(["demo", "--onec-configuration", "bp30", "--sources", "onec"])
    with pytest.raises(SystemExit):
        parser.parse_args(["demo", "--onec-configuration", "erp"])
    landscape = start_landscape(
        scale=0.02, seed=SEED, sources=(args.sources,), onec_configuration=args.onec_configuration
    )
    saved = dict(os.environ)
    try:
        os.environ["SALESPIPE_ONEC_CONFIGURATION"] = "ut11"  # a stale setting must not force a profile
        _point_settings_at(tmp_path, landscape)
        assert "SALESPIPE_ONEC_CONFIGURATION" not in os.environ
        url = os.environ["SALESPIPE_ONEC_URL"]
        auth = (os.environ["SALESPIPE_ONEC_USER"], os.environ["SALESPIPE_ONEC_PASSWORD"])
        shipments = requests.get(url + f"{SHIPMENTS}/$count", auth=auth, timeout=10)
        assert (shipments.status_code, shipments.text) == (200, str(len(landscape.company.model.shipments)))
        orders = requests.get(url + ORDERS, params={"$format": "json"}, auth=auth, timeout=10)
        assert orders.status_code == 400  # БП 3.0 has no customer orders
        prices = requests.get(url + PRICES, params={"$format": "json", "$top": "1"}, auth=auth, timeout=10)
        assert "ТипЦен_Key" in prices.json()["value"][0]
    finally:
        landscape.stop()
        os.environ.clear()
        os.environ.update(saved)


# ---------------------------------------------------------------- the truth comes from the clean model


def test_truth_adds_up_and_counts_true_people_not_counterparties(demo, store, truth):
    monthly = truth["monthly"]
    assert sum(r["revenue"] for r in monthly) == pytest.approx(truth["revenue_total"], abs=0.01)
    assert sum(r["sales_count"] for r in monthly) == truth["sales_total"]
    assert sum(r["sales_amount"] for r in monthly) - sum(
        r["returns_amount"] for r in monthly
    ) == pytest.approx(truth["revenue_total"], abs=0.01)
    assert truth["revenue_total"] == pytest.approx(
        truth["sales_amount_total"] - truth["returns_amount_total"], abs=0.005
    )
    assert sum(r["new_customers"] for r in monthly) == truth["buyers"]
    assert sum(c["cohort_size"] for c in truth["cohorts"] if c["month_number"] == 0) == truth["buyers"]
    assert truth["portfolio"]["prospect"] == truth["customers"] - truth["buyers"] > 0
    assert sum(truth["portfolio"].values()) == truth["customers"]

    # customers = distinct true people behind live cards, fewer than the cards (duplicates, junk)
    model = demo.model
    true_people = {
        c.person_id for c in model.cards if c.person_id and not c.is_folder and not c.deletion_mark
    }
    assert truth["customers"] == len(true_people) == len(model.people) == 1000
    non_folder = [c for c in store[CARDS] if not c["IsFolder"]]
    assert truth["customers"] < len(live_cards(store)) < len(non_folder)
    print(f"{truth['customers']} customers, {len(live_cards(store))} live cards, {len(non_folder)} cards")

    # the export says the same as the model: live shipments/returns are the truth's sales/returns
    live_sales = [d for d in store[SHIPMENTS] if is_live(d)]
    live_returns = [d for d in store[RETURNS] if is_live(d)]
    assert truth["sales_total"] == len(live_sales)
    assert truth["returns_total"] == len(live_returns)
    assert truth["sales_amount_total"] == pytest.approx(
        sum(d["СуммаДокумента"] for d in live_sales), abs=0.01
    )
    assert truth["returns_amount_total"] == pytest.approx(
        sum(d["СуммаДокумента"] for d in live_returns), abs=0.01
    )
    assert 0 < truth["gross_profit_total"] < truth["revenue_total"]


# ---------------------------------------------------------------- one night of edits


def test_nightly_changes_move_the_truth_as_the_report_says():
    company = generate_company(scale=0.02, seed=SEED)  # the integration tests' size; this one edits it
    hard_deleted = 0
    for night in (1, 2, 3):  # night 3 of seed 7 also deletes a draft outright
        before_store, before = store_of(company, "onec"), truth_for(company, ("onec",))
        report = company.apply_nightly_changes()
        after_store, after = store_of(company, "onec"), truth_for(company, ("onec",))
        assert report.night == night

        assert after["sales_total"] - before["sales_total"] == report.sales_count_delta
        assert after["sales_amount_total"] - before["sales_amount_total"] == pytest.approx(
            report.sales_amount_delta, abs=0.005
        )
        assert after["revenue_total"] - before["revenue_total"] == pytest.approx(
            report.sales_amount_delta, abs=0.005
        )
        assert after["customers"] - before["customers"] == report.new_customers == 1
        assert after["monthly"] != before["monthly"]

        old = {d["Ref_Key"]: d for d in before_store[SHIPMENTS]}
        new = {d["Ref_Key"]: d for d in after_store[SHIPMENTS]}
        as_of = company.as_of_date
        for action, key, amount, count in report.actions:
            if action in ("backdated", "recent", "new_customer"):
                assert key not in old and is_live(new[key]) and count == 1
                assert new[key]["СуммаДокумента"] == pytest.approx(amount / 100, abs=0.005)
                age = (as_of - datetime.fromisoformat(new[key]["Date"]).date()).days
                # back-dated beyond the connector's 31-day overlap window: only a version scan finds them
                assert (age > 31) if action == "backdated" else (0 <= age <= 3)
            elif action == "reposted":
                assert new[key]["DataVersion"] != old[key]["DataVersion"] and count == 0
                assert new[key]["СуммаДокумента"] - old[key]["СуммаДокумента"] == pytest.approx(
                    amount / 100, abs=0.005
                )
            elif action == "deletion_marked":
                assert is_live(old[key]) and new[key]["DeletionMark"] and not new[key]["Posted"]
                assert amount / 100 == pytest.approx(-old[key]["СуммаДокумента"], abs=0.005) and count == -1
            elif action == "posted_draft":
                assert not old[key]["Posted"] and is_live(new[key]) and count == 1
            elif action == "hard_deleted_draft":
                assert key in old and key not in new and not is_live(old[key])
            else:
                pytest.fail(f"unexpected action {action}")
        kinds = Counter(a[0] for a in report.actions)
        print(
            f"night {night}: {dict(kinds)}, Δsales {report.sales_count_delta} Δ₽ {report.sales_amount_delta}"
        )
        assert kinds["reposted"] == 3 and kinds["deletion_marked"] == 2 and kinds["new_customer"] == 1
        assert 2 <= kinds["backdated"] <= 4 and 3 <= kinds["recent"] <= 6
        assert set(new) - set(old) == {
            a[1] for a in report.actions if a[0] in ("backdated", "recent", "new_customer")
        }
        # the new customer arrived as one new card, and the §5 rule still finds exactly the true people
        assert len(live_cards(after_store)) == len(live_cards(before_store)) + 1
        assert len(set(customers_by_rule(after_store).values())) == after["customers"]
        hard_deleted += kinds["hard_deleted_draft"]
    assert hard_deleted == 1
