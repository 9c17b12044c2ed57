"""One customer across 1C, the website and amoCRM; unified sales; the channel funnel (docs/METRICS.md:
Customer, Sale, Channel conversion) — dbt on hand-made raw rows, checked against values worked out by hand.

As of 2024-06-30, Europe/Moscow. People and their records:
  Anna    1C C1 "+7 (912) 345-67-89"; site orders 701 "89123456789" (reached 1C as order F1 → shipment D1)
          and 704 (an e-gift, e-mail only, never in 1C: a site-only sale); CRM contact 801 "8-912-345-67-89"
          with GENDER and BIRTHDAY. The same phone typed three ways: one customer, C1.
  Boris   1C C2 (phone + e-mail); Vera 1C C3 — they share nothing: two customers. In the second build a
          CRM contact 830 with Boris's phone and e-mail appears: he stays C2.
  Gleb    1C C5 without any phone or e-mail; site order 705 reached 1C as order F2 (→ shipment D3); the
          shop's lead «Заказ с сайта №705» is on contact 820 (a mistyped phone): one customer by references.
  Romashka LLC  1C C4 with the office switchboard "+7 (495) 100-00-00", which four unrelated CRM contacts
          811–814 also carry (typed four ways, no e-mail): not a key, five customers.
  Dmitry  site order 703 only (an e-gift, completed): a customer 'website:703' with a site-only sale.
  Zhanna  site order 706 only, failed: a prospect 'website:706'.
Leads (channel by the seed): 901, 903 yandex/cpc in May (won by Anna: one paying customer), 902
" YANDEX "/"CPC" created 22:30 UTC on 31 May = 1 June in Moscow, 904 no UTM (unknown), 905 deleted,
906 the shop's lead vk/social (won), 907 admitad/cpa (unknown), 908 dzen.ru/referral in June.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tests.dbt_harness import build_and_open
from tests.test_dbt_models import ZERO, catalog, document, person, ref, shipment

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
AS_OF = "2024-06-30"
MSK = ZoneInfo("Europe/Moscow")
C = {n: ref("c", n) for n in range(1, 10)}
P1 = ref("a", 1)
SWITCHBOARD = ("+7 495 1000000", "8 (495) 100-00-00", "84951000000", "+7(495)100-00-00")


def unix(text: str) -> int:
    """'2024-05-10 09:00:00' read as UTC → unix seconds."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


# ---- 1C ----------------------------------------------------------------------------------------------
def onec() -> dict:
    phone, email = "Телефон", "АдресЭлектроннойПочты"
    cards = [
        catalog(C[9], "Покупатели", IsFolder=True, Parent_Key=ZERO, КонтактнаяИнформация=[]),
        person(C[1], "Иванова Анна Сергеевна", [(phone, "+7 (912) 345-67-89")]),
        person(C[2], "Смирнов Борис Андреевич", [(phone, "+7 903 111-22-33"), (email, "boris@example.com")]),
        person(C[3], "Кузнецова Вера", [(phone, "+7 (916) 555-44-33")]),
        person(C[4], "ООО Ромашка", [(phone, "+7 (495) 100-00-00")], legal=True),
        person(C[5], "Гусев Глеб Олегович", []),
    ]
    orders = [
        document(
            ref("f", 1),
            "0000-000001",
            "2024-02-29T12:10:00",
            C[1],
            [(P1, 1, 1500)],
            НомерПоДаннымКлиента="701",
        ),
        document(
            ref("f", 2),
            "0000-000002",
            "2024-05-20T10:05:00",
            C[5],
            [(P1, 1, 990)],
            НомерПоДаннымКлиента="705",
        ),
    ]
    shipments = [
        shipment(1, "2024-03-01T10:00:00", C[1], [(P1, 1, 1500)], order=ref("f", 1)),
        shipment(2, "2024-04-10T10:00:00", C[2], [(P1, 2, 400)]),
        shipment(3, "2024-05-21T10:00:00", C[5], [(P1, 1, 990)], order=ref("f", 2)),
    ]
    product = catalog(
        P1, "Кофе арабика", Артикул="CF-1", Parent_Key=ZERO, IsFolder=False, ТипНоменклатуры="Товар"
    )
    return {"counterparties": cards, "customer_orders": orders, "shipments": shipments, "products": [product]}


# ---- website -----------------------------------------------------------------------------------------
def site_order(order_id: int, status: str, created: str, *, phone="", email="", name=("", ""), total="0.00",
               completed: str | None = None, utm=None, sku="CF-1") -> dict:  # fmt: skip
    """A WooCommerce order; `created`/`completed` are Moscow wall time."""

    def gmt(local: str) -> str:
        moment = dt.datetime.fromisoformat(local).replace(tzinfo=MSK).astimezone(dt.UTC)
        return moment.replace(tzinfo=None).isoformat()

    last = completed or created
    meta = []
    if utm:
        meta = [
            {"id": 1, "key": "_wc_order_attribution_source_type", "value": utm[0]},
            {"id": 2, "key": "_wc_order_attribution_utm_source", "value": utm[1]},
            {"id": 3, "key": "_wc_order_attribution_utm_medium", "value": utm[2]},
        ]
    return {
        "id": order_id,
        "number": str(order_id),
        "status": status,
        "currency": "RUB",
        "total": total,
        "total_tax": "0.00",
        "customer_id": 0,
        "date_created": created,
        "date_created_gmt": gmt(created),
        "date_modified": last,
        "date_modified_gmt": gmt(last),
        "date_completed": completed,
        "date_completed_gmt": gmt(completed) if completed else None,
        "billing": {"first_name": name[0], "last_name": name[1], "phone": phone, "email": email, "city": ""},
        "meta_data": meta,
        "line_items": [
            {
                "id": order_id * 10,
                "name": sku,
                "product_id": 1,
                "variation_id": 0,
                "quantity": 1,
                "subtotal": total,
                "total": total,
                "total_tax": "0.00",
                "sku": sku,
                "price": float(total),
            },
        ],  # fmt: skip
    }


SITE_ORDERS = [
    site_order(701, "completed", "2024-02-29T12:00:00", phone="89123456789", email="Anna@Mail.ru",
               name=("Анна", "Иванова"), total="1500.00", completed="2024-03-01T10:00:00",
               utm=("organic", "yandex", "organic")),
    site_order(703, "completed", "2024-06-05T09:00:00", phone="+7 (926) 700-00-03", email="orlov@example.com",
               name=("Дмитрий", "Орлов"), total="3000.00", completed="2024-06-05T09:30:00",
               utm=("utm", "google", "cpc"), sku="GIFT-3000"),
    site_order(704, "completed", "2024-06-20T18:00:00", email=" ANNA@mail.ru", name=("Анна", "И."),
               total="500.00", completed="2024-06-20T18:05:00", sku="GIFT-500"),
    site_order(705, "completed", "2024-05-20T10:00:00", phone="+7 999 000-05-05", email="gleb@example.com",
               name=("Глеб", "Гусев"), total="990.00", completed="2024-05-21T10:00:00",
               utm=("utm", "vk", "social")),
    site_order(706, "failed", "2024-06-25T11:00:00", phone="+7 900 000-07-06", email="zhanna@example.com",
               name=("Жанна", "Белова"), total="700.00"),
]  # fmt: skip


# ---- amoCRM ------------------------------------------------------------------------------------------
def custom(code: str, *values) -> dict:
    return {"field_id": abs(hash(code)) % 100000, "field_name": code, "field_code": code,
            "values": [v if isinstance(v, dict) else {"value": v} for v in values]}  # fmt: skip


def crm_contact(contact_id: int, name: str, created: str, fields: list) -> dict:
    return {
        "id": contact_id,
        "name": name,
        "first_name": name.split()[0],
        "last_name": name.split()[-1],
        "responsible_user_id": 11,
        "created_at": unix(created),
        "updated_at": unix(created),
        "is_deleted": False,
        "custom_fields_values": fields or None,
    }


ANNA_BIRTHDAY = int(dt.datetime(1990, 5, 12, tzinfo=MSK).timestamp())
CONTACTS = [
    crm_contact(801, "Анна Иванова", "2024-02-20 08:00:00", [
        custom("PHONE", {"value": "8-912-345-67-89", "enum_code": "MOB"}),
        custom("GENDER", "Ж"),
        custom("BIRTHDAY", ANNA_BIRTHDAY),
    ]),
    *(
        crm_contact(811 + i, name, "2024-05-01 08:00:00", [custom("PHONE", {"value": phone})])
        for i, (name, phone) in enumerate(
            zip(("Иван Петров", "Олег Сидоров", "Мария Котова", "Пётр Зайцев"), SWITCHBOARD, strict=True)
        )
    ),
    crm_contact(820, "Глеб Гусев", "2024-05-20 07:01:00", [custom("PHONE", "+7 999 000-05-06")]),
]  # fmt: skip
BORIS_CONTACT = crm_contact(
    830,
    "Борис Смирнов",
    "2024-06-01 08:00:00",
    [custom("PHONE", "79031112233"), custom("EMAIL", {"value": "BORIS@example.com", "enum_code": "WORK"})],
)


def crm_lead(lead_id: int, contact_id: int, created: str, *, utm=None, status_id=55100011, price=0,
             pipeline_id=5510001, name=None) -> dict:  # fmt: skip
    closed = unix(created) + 86400 if status_id in (142, 143) else None
    fields = [custom("UTM_SOURCE", utm[0]), custom("UTM_MEDIUM", utm[1])] if utm else None
    return {
        "id": lead_id,
        "name": name or f"Сделка {lead_id}",
        "price": price,
        "responsible_user_id": 11,
        "status_id": status_id,
        "pipeline_id": pipeline_id,
        "created_by": 0,
        "created_at": unix(created),
        "updated_at": closed or unix(created),
        "closed_at": closed,
        "is_deleted": False,
        "custom_fields_values": fields,
        "_embedded": {"tags": [], "contacts": [{"id": contact_id, "is_main": True}]},
    }


LEADS = [
    crm_lead(901, 801, "2024-05-10 09:00:00", utm=("yandex", "cpc"), status_id=142, price=1500),
    crm_lead(902, 801, "2024-05-31 22:30:00", utm=(" YANDEX ", "CPC"), status_id=142, price=2000),
    crm_lead(903, 801, "2024-05-15 09:00:00", utm=("yandex", "cpc"), status_id=142, price=500),
    crm_lead(904, 811, "2024-05-12 09:00:00", status_id=143),
    crm_lead(905, 812, "2024-05-15 09:00:00", utm=("yandex", "cpc")),
    crm_lead(906, 820, "2024-05-20 07:01:00", utm=("vk", "social"), status_id=142, price=990,
             pipeline_id=5510002, name="Заказ с сайта №705"),
    crm_lead(907, 812, "2024-05-21 09:00:00", utm=("admitad", "cpa")),
    crm_lead(908, 813, "2024-06-03 09:00:00", utm=("dzen.ru", "referral"), status_id=143),
]  # fmt: skip
EVENTS = [
    {"id": "01del", "type": "lead_deleted", "entity_id": 905, "entity_type": "lead", "created_by": 11,
     "created_at": unix("2024-05-16 09:00:00"), "value_before": [], "value_after": []},
]  # fmt: skip


def visit(date: str, source: str, utm=("", "", ""), visits=10) -> dict:
    return {"date": date, "traffic_source_id": source, "traffic_source_name": source, "utm_source": utm[0],
            "utm_medium": utm[1], "utm_campaign": utm[2], "visits": visits, "users": visits}  # fmt: skip


VISITS = [
    visit("2024-05-03", "ad", ("yandex", "cpc", "brand"), 100),
    visit("2024-05-03", "organic", visits=50),
    visit("2024-05-04", "internal", visits=7),
    visit("2024-06-01", "ad", ("yandex", "cpc", "brand"), 40),
    visit("2024-06-02", "ad", ("google", "cpc", "search"), 10),
]


# ---- landing and dbt build -----------------------------------------------------------------------------
def record_id(schema: str, stream: str, record: dict) -> str:
    if schema == "raw_onec":
        return record["Ref_Key"]
    if stream == "visits":
        return "|".join(str(record[k]) for k in ("date", "traffic_source_id", "utm_source", "utm_medium"))
    return str(record["id"])


def land(con, raw: dict) -> None:
    seq = con.execute(
        "select coalesce(max(_loaded_seq), 0) from (select _loaded_seq from raw_amocrm.contacts "
        "union all select _loaded_seq from raw_onec.counterparties)"
    ).fetchone()[0]
    for (schema, stream), records in raw.items():
        rows = []
        for record in records:
            seq += 1
            text = json.dumps(record, ensure_ascii=False)
            key = record_id(schema, stream, record)
            rows.append(
                (
                    key,
                    None,
                    text,
                    hashlib.md5(text.encode()).hexdigest(),
                    False,
                    "run",
                    dt.datetime(2024, 7, 1),
                    seq,
                )
            )
        con.executemany(f"insert into {schema}.{stream} values (?, ?, ?, ?, ?, ?, ?, ?)", rows)  # fmt: skip


def build(db_path: Path, tmp: Path) -> duckdb.DuckDBPyConnection:
    return build_and_open(db_path, tmp, {"as_of_date": AS_OF, "timezone": "Europe/Moscow"})


def snapshot(con) -> dict:
    """What the tests read, so the warehouse can be rebuilt after it."""
    records = con.execute("select record_key, customer_id from transform.int_identity_records").fetchall()
    channels = rows(con, "select * from marts.channel_conversion")
    return {
        "records": dict(records),
        "portfolio": {r["customer_id"]: r for r in rows(con, "select * from marts.customer_portfolio")},
        "sales": {r["document_id"]: r for r in rows(con, "select * from transform.int_sales")},
        "channels": {(r["month"], r["channel"]): r for r in channels},
        "monthly": rows(con, "select * from marts.repeat_sales order by month"),
    }


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Two builds of one warehouse: the records above, then the same plus Boris's CRM contact."""
    from flows.sources import ensure_raw_tables
    from flows.transform import PROFILE_PATH_VARIABLE
    from warehouse.landing import ensure_meta

    tmp = tmp_path_factory.mktemp("dbt_identity")
    db_path = tmp / "warehouse.duckdb"
    with duckdb.connect(str(db_path)) as con:
        ensure_meta(con)
        ensure_raw_tables(con)
        raw = {("raw_onec", stream): records for stream, records in onec().items()}
        raw |= {("raw_website", "orders"): SITE_ORDERS, ("raw_metrica", "visits"): VISITS}
        raw |= {("raw_amocrm", "contacts"): CONTACTS, ("raw_amocrm", "leads"): LEADS}
        raw |= {("raw_amocrm", "events"): EVENTS}
        land(con, raw)
    results = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PROFILE_PATH_VARIABLE, str(db_path))
        for extra in ({}, {("raw_amocrm", "contacts"): [BORIS_CONTACT]}):
            with duckdb.connect(str(db_path)) as con:
                land(con, extra)
            con = build(db_path, tmp)
            results.append(snapshot(con))
            con.close()
    return results


@pytest.fixture(scope="module")
def first(builds):
    return builds[0]


@pytest.fixture(scope="module")
def second(builds):
    return builds[1]


def rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def D(value) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(value)).quantize(Decimal("0.01"))


# ---- identity ---------------------------------------------------------------------------------------------
def test_one_phone_typed_three_ways_in_three_systems_is_one_customer(first):
    records = first["records"]
    anna = {key for key, customer in records.items() if customer == C[1]}
    assert anna == {f"onec:{C[1]}", "website:701", "website:704", "amocrm:801"}
    assert first["portfolio"][C[1]]["seen_in"] == "amocrm, onec, website"


def test_people_who_share_nothing_stay_apart(first):
    records = first["records"]
    assert records[f"onec:{C[2]}"] == C[2] and records[f"onec:{C[3]}"] == C[3]
    assert records["website:703"] == "website:703" and records["website:706"] == "website:706"


def test_a_switchboard_shared_by_four_contacts_links_nobody(first):
    records = first["records"]
    assert [records[f"amocrm:{i}"] for i in (811, 812, 813, 814)] == [
        f"amocrm:{i}" for i in (811, 812, 813, 814)
    ]
    assert records[f"onec:{C[4]}"] == C[4], "the firm's card with the same reception number stays alone"
    assert first["portfolio"][C[4]]["phone"] is None, "a switchboard is not the customer's phone"


def test_source_references_link_records_without_any_shared_key(first):
    records = first["records"]
    gleb = {key for key, customer in records.items() if customer == C[5]}
    assert gleb == {f"onec:{C[5]}", "website:705", "amocrm:820"}


def test_every_customer_seen_anywhere_is_in_the_portfolio(first):
    assert set(first["portfolio"]) == {C[1], C[2], C[3], C[4], C[5], "website:703", "website:706"} | {
        f"amocrm:{i}" for i in (811, 812, 813, 814)
    }
    statuses = {key: row["status"] for key, row in first["portfolio"].items()}
    assert statuses["website:706"] == "prospect" and statuses["amocrm:811"] == "prospect"
    assert first["portfolio"]["website:706"]["seen_in"] == "website"


def test_customer_id_is_stable_when_a_crm_contact_joins_a_1c_customer(first, second):
    assert second["records"]["amocrm:830"] == C[2]
    assert {k: v for k, v in second["records"].items() if k != "amocrm:830"} == first["records"]
    assert set(second["portfolio"]) == set(first["portfolio"])
    assert (first["portfolio"][C[2]]["seen_in"], second["portfolio"][C[2]]["seen_in"]) == (
        "onec",
        "amocrm, onec",
    )
    assert first["portfolio"][C[2]]["first_contact_date"] is None
    assert second["portfolio"][C[2]]["first_contact_date"] == dt.date(2024, 6, 1)


# ---- unified sales ----------------------------------------------------------------------------------------
def test_a_site_order_that_reached_1c_is_one_sale_and_a_site_only_order_is_a_sale(first):
    sales = first["sales"]
    assert set(sales) == {ref("d", 1), ref("d", 2), ref("d", 3), "site:703", "site:704"}
    gift = sales["site:703"]
    assert (gift["source"], gift["customer_id"], gift["amount"], gift["cost"]) == (
        "website",
        "website:703",
        D(3000),
        None,  # its goods never went through 1C's stock: the cost is unknown, not 0
    )
    assert gift["document_datetime_local"] == dt.datetime(2024, 6, 5, 9, 30), "date_completed, company-local"
    assert (sales[ref("d", 1)]["sale_ordinal"], sales["site:704"]["sale_ordinal"]) == (1, 2), (
        "Anna's two sales"
    )
    assert sales["site:704"]["customer_id"] == C[1]
    assert sum(r["sales_count"] for r in first["monthly"]) == 5
    assert sum(r["revenue"] for r in first["monthly"]) == D(1500 + 800 + 990 + 3000 + 500)


# ---- portfolio ------------------------------------------------------------------------------------------
def test_portfolio_knows_who_they_are_and_how_they_came(first):
    anna, boris, dmitry = (first["portfolio"][k] for k in (C[1], C[2], "website:703"))
    assert (anna["gender"], anna["birthday"], anna["age"]) == ("female", dt.date(1990, 5, 12), 34)
    assert (anna["sales_count"], anna["sales_amount"], anna["status"]) == (2, D(2000), "regular")
    # first contact: the CRM contact of 20 Feb; channel: of the first site order or lead (701, organic)
    assert (anna["first_contact_date"], anna["acquisition_channel"]) == (dt.date(2024, 2, 20), "SEO")
    assert anna["maturation_days"] == 10, "20 Feb → first sale on 1 Mar"
    assert (boris["gender"], boris["age"], boris["acquisition_channel"]) == ("male", None, None), "patronymic"
    assert first["portfolio"][C[4]]["gender"] is None, "a legal entity has no gender"
    assert (dmitry["name"], dmitry["gender"], dmitry["seen_in"]) == ("Дмитрий Орлов", None, "website")
    assert (dmitry["first_sale_date"], dmitry["maturation_days"], dmitry["acquisition_channel"]) == (
        dt.date(2024, 6, 5), 0, "Google Ads"
    )  # fmt: skip


# ---- channel conversion -----------------------------------------------------------------------------------
MAY, JUNE = dt.date(2024, 5, 1), dt.date(2024, 6, 1)
# (month, channel): visits, leads, won_deals, paying_customers, revenue
EXPECTED_CHANNELS = {
    (MAY, "Яндекс Директ"): (100, 2, 2, 1, 2000),
    (MAY, "SEO"): (50, 0, 0, 0, 0),
    (MAY, "Social"): (0, 1, 1, 1, 990),
    (MAY, "unknown"): (7, 2, 0, 0, 0),
    (JUNE, "Яндекс Директ"): (40, 1, 1, 1, 2000),
    (JUNE, "Google Ads"): (10, 0, 0, 0, 0),
    (JUNE, "Referral"): (0, 1, 0, 0, 0),
}


def test_channel_conversion_by_month_and_channel(first):
    got = first["channels"]
    assert set(got) == set(EXPECTED_CHANNELS)
    for key, (visits, leads, won, paying, revenue) in EXPECTED_CHANNELS.items():
        row = got[key]
        assert (row["visits"], row["leads"], row["won_deals"], row["paying_customers"], row["revenue"]) == (
            visits, leads, won, paying, D(revenue)
        ), key  # fmt: skip
    direct = got[MAY, "Яндекс Директ"]
    assert direct["visit_to_lead_rate"] == pytest.approx(0.02) and direct["lead_to_won_rate"] == 1.0
    assert direct["won_to_paying_rate"] == 0.5 and direct["average_check"] == D(1000)
    assert got[MAY, "SEO"]["lead_to_won_rate"] is None and got[JUNE, "Referral"]["visit_to_lead_rate"] is None
