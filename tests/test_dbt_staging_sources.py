"""Staging of amoCRM, WooCommerce and Metrica on hand-made raw rows (docs/sources/:
amocrm.md, website.md, metrica.md).

The fixture lands raw_amocrm.*, raw_website.orders and raw_metrica.visits rows exactly as
warehouse/landing.py would (append-only versions, tombstones) into a warehouse where every other known raw
table exists and is empty (a company without 1C), runs `dbt build` (every model and data test) and checks
the staging views against values worked out by hand:

  leads     101 two versions (the second wins), UTM with an empty UTM_TERM; 102 deleted (lead_deleted event
            after its last update); 103 deleted then restored (updated after the event); 104 is_deleted in
            the record; 105 has no custom fields, no _embedded, no closed_at (typed NULLs); 106 tombstoned
  contacts  201 two phones in one multitext field ("8 (912) 345-67-89", "+7 912 3456789") + an email with
            caps, BIRTHDAY unix, CITY, GENDER; 202 "79123456789" and a birthday written as a date; 203 no
            custom fields at all
  calls     U1 on lead 101 (landed with lead_id), later re-landed from the contact alone: the lead version
            wins; U2 only on contact 202
  orders    501 completed, guest, amounts as strings, local vs GMT across midnight; 502 registered
            customer, no meta_data, no date_paid; 503 tombstoned; 504 landed in status trash (with a line)
  visits    a day with empty UTMs ('' → NULL) and one revised by a later re-read
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.dbt_harness import build_and_open

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
SAME_PHONE = "+79123456789"


def unix(text: str) -> int:
    """'2024-01-01 00:00:00' read as UTC → unix seconds."""
    return int(dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp())


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# ---- amoCRM records ----------------------------------------------------------------------------------
def custom(code: str, *values, field_type: str = "text", name: str | None = None) -> dict:
    return {
        "field_id": abs(hash(code)) % 100000,
        "field_name": name or code,
        "field_code": code,
        "field_type": field_type,
        "values": [v if isinstance(v, dict) else {"value": v} for v in values],
    }


def lead(lead_id: int, *, updated: str, **fields) -> dict:
    record = {
        "id": lead_id,
        "name": f"Сделка {lead_id}",
        "price": 0,
        "responsible_user_id": 11,
        "group_id": 0,
        "status_id": 55100011,
        "pipeline_id": 5510001,
        "loss_reason_id": None,
        "created_by": 0,
        "updated_by": 11,
        "created_at": unix("2024-01-01 00:00:00"),
        "updated_at": unix(updated),
        "closed_at": None,
        "is_deleted": False,
        "custom_fields_values": None,
        "_embedded": {"tags": [], "contacts": [{"id": 201, "is_main": True}]},
    }
    record.update(fields)
    return record


UTM = [
    custom("UTM_SOURCE", "yandex", field_type="tracking_data"),
    custom("UTM_MEDIUM", "cpc", field_type="tracking_data"),
    custom("UTM_CAMPAIGN", "brand", field_type="tracking_data"),
    custom("UTM_TERM", "", field_type="tracking_data"),
]

LEADS = [
    lead(101, updated="2024-01-02 10:00:00", price=1000),
    lead(
        101,
        updated="2024-01-05 10:00:00",
        price=20500,
        status_id=142,
        created_at=unix("2023-12-31 20:00:00"),  # 23:00 in Moscow: still 31 December there
        closed_at=unix("2024-01-04 21:00:00"),  # 00:00 on 5 January in Moscow
        custom_fields_values=UTM,
        _embedded={"contacts": [{"id": 202, "is_main": False}, {"id": 201, "is_main": True}]},
    ),
    lead(102, updated="2024-02-01 09:00:00", _embedded={"tags": [{"id": 1, "name": "сайт"}]}),
    lead(103, updated="2024-02-10 09:00:00"),  # restored after the deletion of 2024-02-05
    lead(104, updated="2024-02-01 09:00:00", is_deleted=True),
    {
        "id": 105,
        "name": "Звонок",
        "created_at": unix("2024-03-01 12:00:00"),
        "status_id": 143,
        "pipeline_id": 5510001,
        "_embedded": {"loss_reason": [{"id": 7701, "name": "Дорого"}]},
    },
    lead(106, updated="2024-02-01 09:00:00"),
]


def contact(contact_id: int, fields: list | None, **extra) -> dict:
    return {
        "id": contact_id,
        "name": f"Контакт {contact_id}",
        "first_name": "Анна",
        "last_name": "Иванова",
        "responsible_user_id": 0,
        "created_at": unix("2024-01-01 06:00:00"),
        "updated_at": unix("2024-01-01 06:00:00"),
        "is_deleted": False,
        "custom_fields_values": fields,
        **extra,
    }


CONTACTS = [
    contact(201, [custom("PHONE", "8 (912) 345-67-89")], name="Анна старая"),
    contact(
        201,
        [
            custom(
                "PHONE",
                {"value": "8 (912) 345-67-89", "enum_id": 1, "enum_code": "WORK"},
                {"value": "+7 912 3456789", "enum_id": 3, "enum_code": "MOB"},
                field_type="multitext",
                name="Телефон",
            ),
            custom("EMAIL", {"value": " Anna.Ivanova@Mail.RU", "enum_code": "WORK"}, field_type="multitext"),
            custom("BIRTHDAY", 513043200, field_type="birthday"),  # 1986-04-05 00:00 Moscow (UTC+3)
            custom("CITY", "Тула"),
            custom("GENDER", {"value": "Ж", "enum_id": 2}, field_type="select"),
        ],
        name="Анна Иванова",
        updated_at=unix("2024-01-03 06:00:00"),
    ),
    contact(
        202,
        [
            custom("PHONE", {"value": "79123456789", "enum_code": "MOB"}, field_type="multitext"),
            {
                "field_id": 9,
                "field_name": "День рождения",
                "field_code": None,
                "field_type": "birthday",
                "values": [{"value": "1990-05-12T00:00:00+03:00"}],
            },
            custom("GENDER", {"value": "М"}),
        ],
    ),
    contact(203, None),
]


def event(event_id: str, kind: str, entity: str, entity_id: int, at: str, before=None, after=None) -> dict:
    return {
        "id": event_id,
        "type": kind,
        "entity_id": entity_id,
        "entity_type": entity,
        "created_by": 0 if kind == "lead_status_changed" else 11,
        "created_at": unix(at),
        "value_before": before or [],
        "value_after": after or [],
    }


def status(status_id: int, pipeline_id: int = 5510001) -> list:
    return [{"lead_status": {"id": status_id, "pipeline_id": pipeline_id}}]


EVENTS = [
    event(
        "01aaa", "lead_status_changed", "lead", 101, "2024-01-03 08:15:30", status(55100011), status(55100012)
    ),
    event("01aab", "lead_status_changed", "lead", 101, "2024-01-04 21:00:00", status(55100012), status(142)),
    event("01aac", "lead_deleted", "lead", 102, "2024-02-05 12:00:00"),
    event("01aad", "lead_deleted", "lead", 103, "2024-02-05 12:00:00"),
    event("01aae", "contact_deleted", "contact", 999, "2024-02-06 12:00:00"),
]


def call(
    uniq: str, note_id: int, entity_id: int, *, lead_id, contact_id, duration: int, kind="call_out"
) -> dict:
    return {
        "id": note_id,
        "entity_id": entity_id,
        "created_by": 11,
        "created_at": unix("2024-01-02 07:00:00"),
        "updated_at": unix("2024-01-02 07:00:00"),
        "responsible_user_id": 11,
        "note_type": kind,
        "params": {"uniq": uniq, "duration": duration, "phone": "8 (912) 345-67-89", "call_status": 4},
        "lead_id": lead_id,
        "contact_id": contact_id,
    }


CALLS = [
    call("U1", 9001, 101, lead_id=101, contact_id=201, duration=125),
    call("U1", 9002, 201, lead_id=None, contact_id=201, duration=126),  # the contact's note, landed later
    call("U2", 9003, 202, lead_id=None, contact_id=202, duration=0, kind="call_in")
    | {"params": {"uniq": "U2", "duration": 0, "phone": "79123456789", "call_status": 6}},
]

TASKS = [
    {
        "id": 301,
        "entity_type": "leads",
        "entity_id": 101,
        "task_type_id": 1,
        "responsible_user_id": 11,
        "is_completed": True,
        "result": {"text": "Созвонились"},
        "complete_till": unix("2024-01-03 00:00:00"),
        "created_at": unix("2024-01-01 00:05:00"),
        "updated_at": unix("2024-01-01 00:20:00"),
    },
    {
        "id": 302,
        "entity_type": "leads",
        "entity_id": 102,
        "task_type_id": 7,
        "responsible_user_id": 11,
        "is_completed": False,
        "complete_till": unix("2024-01-03 00:00:00"),
        "created_at": unix("2024-01-01 00:05:00"),
        "updated_at": unix("2024-01-01 00:05:00"),
    },
]

PIPELINES = [
    {
        "id": 5510001,
        "name": "Продажи",
        "sort": 1,
        "is_main": True,
        "is_unsorted_on": True,
        "is_archive": False,
        "_embedded": {
            "statuses": [
                {"id": 55100010, "name": "Неразобранное", "sort": 10, "pipeline_id": 5510001, "type": 1},
                {"id": 55100011, "name": "Новая заявка", "sort": 20, "pipeline_id": 5510001, "type": 0},
                {"id": 142, "name": "Успешно реализовано", "sort": 10000, "pipeline_id": 5510001, "type": 0},
                {
                    "id": 143,
                    "name": "Закрыто и не реализовано",
                    "sort": 11000,
                    "pipeline_id": 5510001,
                    "type": 0,
                },
            ]
        },
    },
    {
        "id": 5510002,
        "name": "Интернет-магазин",
        "sort": 2,
        "_embedded": {
            "statuses": [
                {"id": 142, "name": "Успешно реализовано", "sort": 10000, "pipeline_id": 5510002, "type": 0},
            ]
        },
    },
]

AMOCRM = {
    "users": [
        {"id": 11, "name": "Петрова Ольга", "email": "Olga@Romashka.ru", "rights": {"is_active": True}},
        {"id": 12, "name": "Уволенный"},
    ],
    "pipelines": PIPELINES,
    "loss_reasons": [{"id": 7701, "name": "Дорого", "sort": 0}],
    "leads": LEADS,
    "contacts": CONTACTS,
    "events": EVENTS,
    "calls": CALLS,
    "tasks": TASKS,
}


# ---- WooCommerce and Metrica records -----------------------------------------------------------------
def meta(**values) -> list:
    return [
        {"id": i, "key": f"_wc_order_attribution_{k}", "value": v} for i, (k, v) in enumerate(values.items())
    ]


ORDERS = [
    {
        "id": 501,
        "number": "501",
        "status": "pending",
        "total": "1.00",
        "customer_id": 0,
        "date_created": "2024-03-01T02:30:00",
        "date_created_gmt": "2024-02-29T23:30:00",
        "line_items": [],
    },
    {
        "id": 501,
        "number": "501",
        "status": "completed",
        "currency": "RUB",
        "date_created": "2024-03-01T02:30:00",  # site local, already 1 March
        "date_created_gmt": "2024-02-29T23:30:00",  # still 29 February in UTC
        "date_modified": "2024-03-02T10:00:00",
        "date_modified_gmt": "2024-03-02T07:00:00",
        "date_paid": "2024-03-01T02:35:00",
        "date_paid_gmt": "2024-02-29T23:35:00",
        "date_completed": "2024-03-02T10:00:00",
        "date_completed_gmt": "2024-03-02T07:00:00",
        "discount_total": "0.00",
        "shipping_total": "300.10",
        "total": "1234.57",
        "total_tax": "0.00",
        "customer_id": 0,
        "billing": {
            "first_name": "Анна",
            "last_name": "Иванова",
            "company": "",
            "city": "Тула",
            "email": "ANNA.Ivanova@mail.ru ",
            "phone": "+7 912 3456789",
        },
        "meta_data": [{"id": 1, "key": "is_vat_exempt", "value": "no"}]
        + meta(source_type="utm", utm_source="yandex", utm_medium="cpc", utm_campaign="", referrer=""),
        "line_items": [
            {
                "id": 1,
                "name": "Кофе",
                "product_id": 7,
                "variation_id": 0,
                "quantity": 3,
                "subtotal": "700.41",
                "total": "700.41",
                "total_tax": "0.00",
                "sku": "CF-1",
                "price": 233.47,
            },
            {
                "id": 2,
                "name": "Чай",
                "product_id": 8,
                "variation_id": 0,
                "quantity": 1,
                "subtotal": "234.06",
                "total": "234.06",
                "total_tax": "0.00",
                "sku": "TEA-1",
                "price": 234.06,
            },
        ],
    },
    {
        "id": 502,
        "number": "502",
        "status": "processing",
        "total": "99.99",
        "customer_id": 17,
        "date_created": "2024-03-05T12:00:00",
        "date_created_gmt": "2024-03-05T09:00:00",
        "billing": {"phone": "", "email": ""},
        "refunds": [{"id": 1, "reason": "", "total": "-20.50"}, {"id": 2, "reason": "", "total": "-0.30"}],
    },
    {
        "id": 503,
        "number": "503",
        "status": "completed",
        "total": "10.00",
        "customer_id": 0,
        "date_created": "2024-03-05T12:00:00",
        "date_created_gmt": "2024-03-05T09:00:00",
    },
    {
        "id": 504,
        "number": "504",
        "status": "trash",
        "total": "50.00",
        "customer_id": 0,
        "date_created": "2024-03-06T12:00:00",
        "date_created_gmt": "2024-03-06T09:00:00",
        "line_items": [
            {"id": 3, "name": "Кофе", "product_id": 7, "quantity": 1, "total": "50.00", "sku": "CF-1"}
        ],
    },
]


def visit(date: str, source: str, utm=("", "", ""), visits=10, users=8) -> dict:
    return {
        "date": date,
        "traffic_source_id": source,
        "traffic_source_name": source.title(),
        "utm_source": utm[0],
        "utm_medium": utm[1],
        "utm_campaign": utm[2],
        "visits": visits,
        "users": users,
    }


VISITS = [
    visit("2024-03-01", "organic"),
    visit("2024-03-01", "ad", ("yandex", "cpc", "brand"), visits=40, users=30),
    visit("2024-03-01", "ad", ("yandex", "cpc", "brand"), visits=42, users=31),  # revised by a re-read
]


def record_id(stream: str, record: dict) -> str:
    if stream == "calls":
        return record["params"]["uniq"]
    if stream == "visits":
        return "|".join(
            str(record[k]) for k in ("date", "traffic_source_id", "utm_source", "utm_medium", "utm_campaign")
        )
    return str(record["id"])


RAW = {
    **{("raw_amocrm", stream): records for stream, records in AMOCRM.items()},
    ("raw_website", "orders"): ORDERS,
    ("raw_metrica", "visits"): VISITS,
}
TOMBSTONES = {
    ("raw_amocrm", "users"): ["12"],
    ("raw_amocrm", "leads"): ["106"],
    ("raw_website", "orders"): ["503"],
}


# ---- landing (docs/ARCHITECTURE.md): every known raw table, then the versions above ---------------
def land_fixture(path: Path) -> None:
    from flows.sources import ensure_raw_tables
    from warehouse.landing import ensure_meta

    con = duckdb.connect(str(path))
    ensure_meta(con)
    ensure_raw_tables(con)
    extracted = dt.datetime(2024, 3, 10)
    seq = 0
    for (schema, stream), records in RAW.items():
        rows = []
        for record in records:  # later entries with the same key are newer versions
            seq += 1
            text = json.dumps(record, ensure_ascii=False)
            key = record_id(stream, record)
            rows.append(
                (key, None, text, hashlib.md5(text.encode()).hexdigest(), False, "run-1", extracted, seq)
            )
        for key in TOMBSTONES.get((schema, stream), []):
            seq += 1
            rows.append((key, None, None, "deleted", True, "run-2", extracted, seq))
        con.executemany(f"insert into {schema}.{stream} values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt_staging")
    db_path = tmp / "warehouse.duckdb"
    land_fixture(db_path)
    con = build_and_open(db_path, tmp, {"as_of_date": "2024-03-31", "timezone": "Europe/Moscow"})
    yield con
    con.close()


def rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def by(con, model: str, key: str) -> dict:
    return {r[key]: r for r in rows(con, f"select * from transform.{model}")}


def column_types(con, model: str) -> dict:
    return dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'transform' and table_name = ?",
            [model],
        ).fetchall()
    )


# ---- amoCRM ------------------------------------------------------------------------------------------
def test_leads_latest_version_utm_and_exact_utc(warehouse):
    leads = by(warehouse, "stg_amocrm__leads", "lead_id")
    assert set(leads) == {101, 102, 103, 104, 105}, "tombstoned lead 106 dropped"
    won = leads[101]
    assert won["price"] == Decimal("20500.00") and won["status_id"] == 142 and won["is_won"]
    assert won["created_at"] == utc("2023-12-31 20:00:00")
    assert won["created_date"] == dt.date(2023, 12, 31), "23:00 in Moscow"
    assert won["closed_at"] == utc("2024-01-04 21:00:00")
    assert won["closed_date"] == dt.date(2024, 1, 5), "midnight in Moscow is the next day"
    assert won["updated_at"] == utc("2024-01-05 10:00:00")
    assert won["main_contact_id"] == 201, "the is_main contact, not the first listed"
    assert won["tags"] == [] and leads[102]["tags"] == ["сайт"] and leads[102]["main_contact_id"] is None
    assert (won["utm_source"], won["utm_medium"], won["utm_campaign"]) == ("yandex", "cpc", "brand")
    assert won["utm_term"] is None, "empty UTM value is NULL"
    assert won["utm_content"] is None

    bare = leads[105]
    assert bare["main_contact_id"] is None and bare["utm_source"] is None and bare["closed_at"] is None
    assert bare["responsible_user_id"] is None and bare["is_lost"] is True
    assert bare["loss_reason_id"] == 7701, "from _embedded.loss_reason when loss_reason_id is missing"

    types = column_types(warehouse, "stg_amocrm__leads")
    assert types["price"] == "DECIMAL(18,2)" and types["created_at"] == "TIMESTAMP"
    assert types["utm_source"] == "VARCHAR" and types["main_contact_id"] == "BIGINT"

    links = rows(warehouse, "select * from transform.stg_amocrm__lead_contacts where lead_id = 101")
    assert {(r["contact_id"], r["is_main"]) for r in links} == {(201, True), (202, False)}


def test_deleted_leads_are_flagged(warehouse):
    leads = by(warehouse, "stg_amocrm__leads", "lead_id")
    assert leads[102]["is_deleted"] is True, "lead_deleted event after the last update"
    assert leads[102]["deleted_at"] == utc("2024-02-05 12:00:00")
    assert leads[103]["is_deleted"] is False, "updated after the deletion event: restored"
    assert leads[104]["is_deleted"] is True, "is_deleted in the record"
    assert leads[101]["is_deleted"] is False and leads[105]["is_deleted"] is False

    deleted = rows(warehouse, "select * from transform.stg_amocrm__deleted_entities order by event_id")
    assert [(r["entity_type"], r["entity_id"]) for r in deleted] == [
        ("lead", 102),
        ("lead", 103),
        ("contact", 999),
    ]


def test_contacts_phones_and_emails(warehouse):
    contacts = by(warehouse, "stg_amocrm__contacts", "contact_id")
    anna = contacts[201]
    assert anna["contact_name"] == "Анна Иванова", "latest version wins"
    assert anna["birthday"] == dt.date(1986, 4, 5)
    assert (anna["city"], anna["gender"]) == ("Тула", "female")
    assert anna["responsible_user_id"] is None, "0 is nobody"
    assert contacts[202]["birthday"] == dt.date(1990, 5, 12), "a hand-made field by name, date string"
    assert contacts[202]["gender"] == "male"
    assert contacts[203]["birthday"] is None and contacts[203]["city"] is None
    assert column_types(warehouse, "stg_amocrm__contacts")["birthday"] == "DATE"

    phones = rows(
        warehouse, "select * from transform.stg_amocrm__contact_phones order by contact_id, position"
    )
    assert [(r["contact_id"], r["position"], r["phone_raw"], r["enum_code"]) for r in phones] == [
        (201, 1, "8 (912) 345-67-89", "WORK"),
        (201, 2, "+7 912 3456789", "MOB"),
        (202, 1, "79123456789", "MOB"),
    ]
    assert {r["phone_normalized"] for r in phones} == {SAME_PHONE}, "three spellings, one phone"

    emails = rows(warehouse, "select * from transform.stg_amocrm__contact_emails")
    assert [(r["contact_id"], r["email_normalized"]) for r in emails] == [(201, "anna.ivanova@mail.ru")]


def test_events_calls_tasks_and_reference(warehouse):
    moves = by(warehouse, "stg_amocrm__lead_status_changes", "event_id")
    assert set(moves) == {"01aaa", "01aab"}
    first = moves["01aaa"]
    assert first["lead_id"] == 101 and first["created_at"] == utc("2024-01-03 08:15:30")
    assert (first["pipeline_before"], first["status_before"], first["status_after"]) == (
        5510001,
        55100011,
        55100012,
    )
    assert first["is_robot"] is True

    calls = by(warehouse, "stg_amocrm__calls", "call_uniq")
    assert set(calls) == {"U1", "U2"}
    on_lead = calls["U1"]
    assert (on_lead["lead_id"], on_lead["contact_id"], on_lead["note_id"]) == (101, 201, 9001), (
        "the version with lead_id wins over the later contact-only one"
    )
    assert on_lead["duration_seconds"] == 125 and on_lead["direction"] == "out" and on_lead["is_talked"]
    assert on_lead["phone_normalized"] == SAME_PHONE
    assert on_lead["created_at"] == utc("2024-01-02 07:00:00")
    only_contact = calls["U2"]
    assert (only_contact["lead_id"], only_contact["contact_id"]) == (None, 202)
    assert only_contact["direction"] == "in" and only_contact["is_talked"] is False

    tasks = by(warehouse, "stg_amocrm__tasks", "task_id")
    assert tasks[301]["task_type"] == "call" and tasks[301]["completed_at"] == utc("2024-01-01 00:20:00")
    assert tasks[301]["result_text"] == "Созвонились" and tasks[301]["lead_id"] == 101
    assert tasks[302]["task_type"] == "other" and tasks[302]["completed_at"] is None
    assert tasks[302]["result_text"] is None

    statuses = rows(warehouse, "select * from transform.stg_amocrm__pipeline_statuses")
    flags = {
        (r["pipeline_id"], r["status_id"]): (r["is_won"], r["is_lost"], r["is_unsorted"]) for r in statuses
    }
    assert flags[(5510001, 55100010)] == (False, False, True)
    assert flags[(5510001, 142)] == (True, False, False) and flags[(5510002, 142)] == (True, False, False)
    assert flags[(5510001, 143)] == (False, True, False)

    users = by(warehouse, "stg_amocrm__users", "user_id")
    assert set(users) == {11}, "tombstoned user dropped"
    assert users[11]["email_normalized"] == "olga@romashka.ru"


# ---- website and Metrica -----------------------------------------------------------------------------
def test_website_orders(warehouse):
    orders = by(warehouse, "stg_website__orders", "order_id")
    assert set(orders) == {501, 502}, "tombstoned 503 and trashed 504 dropped"
    order = orders[501]
    assert order["status"] == "completed" and order["is_completed"] is True, "latest version wins"
    assert order["total"] == Decimal("1234.57") and order["shipping_total"] == Decimal("300.10")
    assert order["created_local"] == utc("2024-03-01 02:30:00")
    assert order["created_at"] == utc("2024-02-29 23:30:00"), "from date_created_gmt"
    assert order["created_date"] == dt.date(2024, 3, 1)
    assert order["paid_at"] == utc("2024-02-29 23:35:00")
    assert order["completed_at"] == utc("2024-03-02 07:00:00")
    assert order["customer_id"] is None, "0 = guest"
    assert order["billing_phone_normalized"] == SAME_PHONE
    assert order["billing_email_normalized"] == "anna.ivanova@mail.ru"
    assert (order["utm_source_type"], order["utm_source"], order["utm_medium"]) == ("utm", "yandex", "cpc")
    assert order["utm_campaign"] is None and order["referrer"] is None, "empty attribution is NULL"

    other = orders[502]
    assert other["customer_id"] == 17 and other["is_completed"] is False
    assert other["refunded_amount"] == Decimal("20.80") and order["refunded_amount"] == Decimal("0.00")
    assert other["utm_source"] is None and other["paid_at"] is None and other["billing_phone"] is None
    types = column_types(warehouse, "stg_website__orders")
    assert (
        types["total"] == "DECIMAL(18,2)"
        and types["utm_source"] == "VARCHAR"
        and types["paid_at"] == "TIMESTAMP"
    )

    lines = rows(warehouse, "select * from transform.stg_website__order_lines order by order_id, line_id")
    assert [
        (r["order_id"], r["line_id"], r["sku"], r["quantity"], r["price"], r["total"]) for r in lines
    ] == [
        (501, 1, "CF-1", Decimal("3.000"), Decimal("233.47"), Decimal("700.41")),
        (501, 2, "TEA-1", Decimal("1.000"), Decimal("234.06"), Decimal("234.06")),
    ]
    assert sum(r["total"] for r in lines) + order["shipping_total"] == order["total"], "exact to the kopeck"


def test_metrica_visits(warehouse):
    visits = rows(warehouse, "select * from transform.stg_metrica__visits order by traffic_source_id")
    assert [
        (
            r["visit_date"],
            r["traffic_source_id"],
            r["utm_source"],
            r["utm_medium"],
            r["utm_campaign"],
            r["visits"],
        )
        for r in visits
    ] == [
        (dt.date(2024, 3, 1), "ad", "yandex", "cpc", "brand", 42),
        (dt.date(2024, 3, 1), "organic", None, None, None, 10),
    ]
