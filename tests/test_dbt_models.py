"""dbt_project end to end on a hand-made set of 1C records (docs/ARCHITECTURE.md, docs/METRICS.md).

The fixture lands raw_onec.* rows exactly as warehouse/landing.py would (append-only versions, a
tombstone, deletion marks, unposted documents, УТ 11 and БП 3.0 field names), runs `dbt build` (models +
data tests) and checks the marts against numbers worked out by hand below, so a wrong definition fails.

People and their counterparties (as_of_date = 2024-06-30, Europe/Moscow):
  Anna   c01 "+7 (912) 345-67-89" + email "Anna.Ivanova@Mail.ru ", c02 "89123456789", c13 "912 345 67 89"
         (c11 carries the same phone but is deletion-marked: if it counted, the phone would be on 4 cards
         and stop being a key)
  Boris  c03 email "  BORIS@example.COM", c08 email "boris@example.com" + "+7 (903) 111-22-33",
         c14 "8-903-111-22-33" (c14 reaches c03 only through c08: transitive); c12 tombstoned
  Vera   c04          Dmitry c05 (an older landed version shared Vera's phone)
  Elena  c06          Romashka LLC c07 (no sale by the as-of date: prospect)
  The manager's "+7 (999) 888-77-66" is typed into c02, c04, c05, c06, c07: 5 cards > 3, not a key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from flows.sources import ensure_raw_tables
from tests.dbt_harness import build_and_open

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
AS_OF = dt.date(2024, 6, 30)
ZERO = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"


def ref(kind: str, n: int) -> str:
    """Readable GUIDs: kind c=counterparty, a=product, b=user, 1=price type, d=shipment, e=return, f=order."""
    return f"{kind}0000000-0000-0000-0000-{n:012d}"


C = {n: ref("c", n) for n in range(1, 16)}
P1, P2, P3, S1 = ref("a", 1), ref("a", 2), ref("a", 3), ref("a", 4)
G_COFFEE, G_TEA, G_SERVICES, G_BEANS = ref("a", 11), ref("a", 12), ref("a", 13), ref("a", 14)
U1, U2 = ref("b", 1), ref("b", 2)
PT_BUY, PT_RETAIL = ref("1", 1), ref("1", 2)
MANAGER_PHONE = "+7 (999) 888-77-66"


# ---- 1C records ------------------------------------------------------------------------------------
def catalog(key: str, description: str, *, marked: bool = False, **fields) -> dict:
    return {
        "Ref_Key": key,
        "DataVersion": "AAAAAQAAAAA=",
        "DeletionMark": marked,
        "Code": f"{key[-4:]}      ",
        "Description": description,
        **fields,
    }


def contact(owner: str, n: int, kind: str, value: str, city: str | None = None) -> dict:
    row = {
        "Ref_Key": owner,
        "LineNumber": str(n),
        "Тип": kind,
        "Вид": "",
        "Представление": value,
        "НомерТелефона": "",
        "АдресЭП": "",
        "Город": city or "",
    }
    if kind == "Телефон":
        row["НомерТелефона"] = value
    elif kind == "АдресЭлектроннойПочты":
        row["АдресЭП"] = value
    return row


def person(
    key: str, name: str, contacts: list[tuple], *, bp: bool = False, legal: bool = False, marked: bool = False
) -> dict:
    if bp:
        form = {"ЮридическоеФизическоеЛицо": "ЮридическоеЛицо" if legal else "ФизическоеЛицо"}
    else:
        form = {"ЮрФизЛицо": "ЮрЛицо" if legal else "ФизЛицо"}
    return catalog(
        key,
        name,
        marked=marked,
        НаименованиеПолное=name,
        ИНН="",
        Parent_Key=C[15],
        IsFolder=False,
        Predefined=False,
        PredefinedDataName="",
        **form,
        КонтактнаяИнформация=[contact(key, i, *c) for i, c in enumerate(contacts, start=1)],
    )


def line(owner: str, n: int, product: str, qty: float, price: float) -> dict:
    amount = round(qty * price, 2)
    return {
        "Ref_Key": owner,
        "LineNumber": str(n),
        "Номенклатура_Key": product,
        "Номенклатура@navigationLinkUrl": f"Document({owner})/Номенклатура",
        "Количество": qty,
        "Цена": price,
        "Сумма": amount,
        "СтавкаНДС": "НДС20",
        "СуммаНДС": round(amount * 20 / 120, 2),
    }


def document(
    key: str,
    number: str,
    date: str,
    counterparty: str,
    goods: list,
    *,
    services=None,
    posted=True,
    marked=False,
    manager=U1,
    bp=False,
    **extra,
) -> dict:
    rows = [line(key, i, *g) for i, g in enumerate(goods, start=1)]
    record = {
        "Ref_Key": key,
        "DataVersion": "AAAAAgAAAAA=",
        "DeletionMark": marked,
        "Number": f"{number}  ",
        "Date": date,
        "Posted": posted,
        "Контрагент_Key": counterparty,
        "Контрагент@navigationLinkUrl": f"Document(guid'{key}')/Контрагент",
        ("Ответственный_Key" if bp else "Менеджер_Key"): manager,
        "Товары": rows,
        **extra,
    }
    total = sum(r["Сумма"] for r in rows)
    if services is not None:
        record["Услуги"] = [line(key, i, *s) for i, s in enumerate(services, start=1)]
        total += sum(r["Сумма"] for r in record["Услуги"])
    record["СуммаДокумента"] = total
    return record


def shipment(n: int, date: str, counterparty: str, goods: list, order: str = ZERO, **kw) -> dict:
    return document(
        ref("d", n),
        f"0000-{n:06d}",
        date,
        counterparty,
        goods,
        ЗаказКлиента_Key=order,
        СуммаВключаетНДС=True,
        ДоговорКонтрагента_Key=ZERO,
        ДатаВходящегоДокумента=EMPTY_DATE,
        **kw,
    )


def price(period: str, product: str, price_type: str, value: float) -> dict:
    return {"Period": period, "Номенклатура_Key": product, "ВидЦены_Key": price_type, "Цена": value}


def counterparties() -> list:
    anna_old = person(
        C[1],
        "Анна Иванова",
        [
            ("Телефон", "+7 (912) 345-67-89"),
            ("АдресЭлектроннойПочты", "Anna.Ivanova@Mail.ru "),
            ("Адрес", "г. Екатеринбург, ул. Ленина, 1", "Екатеринбург"),
        ],
    )
    dmitry_old = person(C[5], "Петров", [("Телефон", "8 495 111 22 33")])
    return [
        catalog(C[15], "Покупатели", IsFolder=True, Parent_Key=ZERO, КонтактнаяИнформация=[]),
        anna_old,
        person(C[2], "Иванова А.", [("Телефон", "89123456789"), ("Телефон", MANAGER_PHONE)]),
        person(C[13], "Анна (сайт)", [("Телефон", "912 345 67 89")]),
        person(C[11], "Анна дубль", [("Телефон", "+79123456789")], marked=True),
        person(
            C[3],
            "Борис Смирнов",
            [
                ("АдресЭлектроннойПочты", "  BORIS@example.COM"),
                ("Телефон", "+7 912 000-00-01"),
                ("Адрес", "Казань, ул. Баумана, 5", "Казань"),
            ],
            bp=True,
        ),
        person(
            C[8],
            "ИП Смирнов Б.А.",
            [("АдресЭлектроннойПочты", "boris@example.com"), ("Телефон", "+7 (903) 111-22-33")],
            bp=True,
            legal=True,
        ),
        person(C[14], "Борис (доставка)", [("Телефон", "8-903-111-22-33")]),
        person(C[12], "Борис старый", [("АдресЭлектроннойПочты", "boris@example.com")]),
        person(
            C[4],
            "Вера Кузнецова",
            [
                ("Телефон", "+7 (495) 111-22-33"),
                ("Телефон", MANAGER_PHONE),
                ("Адрес", "Москва, Тверская, 7", "Москва"),
            ],
        ),
        dmitry_old,
        person(
            C[5],
            "Дмитрий Петров",
            [
                ("Телефон", "+7 (916) 222-33-44"),
                ("Телефон", MANAGER_PHONE),
                ("АдресЭлектроннойПочты", "d.petrov@example.com"),
            ],
        ),
        person(
            C[6],
            "Елена Соколова",
            [("Телефон", MANAGER_PHONE), ("АдресЭлектроннойПочты", "elena@example.com")],
        ),
        person(
            C[7],
            "ООО Ромашка",
            [("Телефон", MANAGER_PHONE), ("Телефон", "+7 (343) 200-00-00 доб. 15")],
            legal=True,
        ),
    ]


def products() -> list:
    def item(key, name, parent, kind="Товар", folder=False):
        return catalog(
            key, name, Артикул="", Parent_Key=parent, IsFolder=folder, ТипНоменклатуры="" if folder else kind
        )

    return [
        item(G_COFFEE, "Кофе", ZERO, folder=True),
        item(G_TEA, "Чай", ZERO, folder=True),
        item(G_SERVICES, "Услуги", ZERO, folder=True),
        item(G_BEANS, "Кофе в зёрнах", G_COFFEE, folder=True),
        item(P1, "Кофе арабика", G_COFFEE),
        item(P2, "Чай зелёный", G_TEA),
        item(P3, "Кофе Эфиопия, зерно", G_BEANS),
        item(S1, "Доставка", G_SERVICES, kind="Услуга"),
    ]


def prices() -> list:
    return [
        price("2024-01-01T00:00:00", P1, PT_BUY, 300),
        price("2024-01-15T12:00:00", P1, PT_BUY, 320),  # after sh1's 10:00 on the same day
        price("2024-04-01T00:00:00", P1, PT_BUY, 350),
        price("2024-04-10T00:00:00", P1, PT_BUY, 400),  # between sale sh3 and its return r1
        price("2024-01-01T00:00:00", P1, PT_RETAIL, 600),
        price("2024-01-01T00:00:00", P2, PT_BUY, 90),  # superseded by the next version below
        price("2024-01-01T00:00:00", P2, PT_BUY, 100),
        price("2024-01-01T00:00:00", P3, PT_BUY, 500),
    ]


def shipments() -> list:
    return [
        shipment(
            1,
            "2024-01-15T10:00:00",
            C[1],
            [(P1, 2, 600)],
            services=[(S1, 1, 200)],
            bp=True,
            order=ref("f", 1),
        ),
        shipment(2, "2024-03-10T12:00:00", C[2], [(P2, 3, 200)]),
        shipment(3, "2024-04-05T09:00:00", C[1], [(P1, 1, 650)]),
        shipment(4, "2024-02-01T00:30:00", C[3], [(P3, 1, 900)], bp=True, manager=U2),
        shipment(5, "2024-02-20T15:00:00", C[8], [(P2, 2, 200)], manager=U2),
        shipment(6, "2023-12-20T11:00:00", C[4], [(P1, 1, 600)]),
        shipment(7, "2024-06-10T10:00:00", C[5], [(P2, 1, 100)]),  # old version, superseded below
        shipment(7, "2024-06-10T10:00:00", C[5], [(P2, 1, 250)]),
        shipment(8, "2024-06-12T10:00:00", C[5], [(P1, 1, 999)], marked=True),
        shipment(9, "2024-06-15T10:00:00", C[5], [(P1, 1, 777)], posted=False),
        shipment(10, "2024-05-05T10:00:00", C[3], [(P1, 1, 500)]),  # tombstoned below
        shipment(11, "2024-06-30T23:59:59", C[8], [(P2, 1, 200)], bp=True, manager=U2),
        shipment(12, "2024-01-25T14:00:00", C[6], [(P2, 1, 200)]),
        shipment(13, "2024-07-02T10:00:00", C[7], [(P1, 1, 1000)]),  # after the as-of date
    ]


def returns() -> list:
    return [
        document(
            ref("e", 1),
            "0000-000001",
            "2024-04-20T15:00:00",
            C[2],
            [(P1, 1, 650)],
            ДокументРеализации_Key=ref("d", 3),
        ),
        document(
            ref("e", 2),
            "0000-000002",
            "2024-05-10T10:00:00",
            C[3],
            [(P3, 1, 900)],
            posted=False,
            ДокументРеализации_Key=ref("d", 4),
        ),
    ]


def customer_orders() -> list:
    return [
        document(
            ref("f", 1),
            "0000-000001",
            "2024-01-14T18:00:00",
            C[1],
            [(P1, 2, 600)],
            НомерПоДаннымКлиента="site-1001",
        ),
        document(
            ref("f", 2),
            "0000-000002",
            "2024-02-02T18:00:00",
            C[6],
            [(P2, 1, 200)],
            posted=False,
            НомерПоДаннымКлиента="",
        ),
    ]


STREAMS = {
    "counterparties": counterparties,
    "products": products,
    "users": lambda: [catalog(U1, "Петрова Ольга"), catalog(U2, "Сидоров Иван")],
    "price_types": lambda: [catalog(PT_BUY, "Закупочная"), catalog(PT_RETAIL, "Розничная")],
    "prices": prices,
    "customer_orders": customer_orders,
    "shipments": shipments,
    "returns": returns,
}
TOMBSTONES = {"counterparties": [C[12]], "shipments": [ref("d", 10)]}


# ---- landing (docs/ARCHITECTURE.md), the way warehouse/landing.py appends versions -------------------------
def record_id(stream: str, record: dict) -> str:
    if stream == "prices":
        return "|".join((record["Period"], record["Номенклатура_Key"], record["ВидЦены_Key"]))
    return record["Ref_Key"]


def as_landed(stream: str, record: dict) -> dict:
    """As the connector lands it: БП 3.0's field names (the fixture mixes them in) renamed into salespipe's
    by the БП 3.0 profile; УТ 11's records pass unchanged."""
    from connectors.onec.profiles import BP30, rename_record

    place = BP30.places.get(stream)
    return rename_record(record, place) if place else record


def land_fixture(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema raw_onec")
    extracted = dt.datetime(2024, 7, 1, 0, 0, 0)
    seq = 0
    for stream, make in STREAMS.items():
        con.execute(
            f"""create table raw_onec.{stream} (_id varchar not null, _cursor varchar, _data json,
                _hash varchar not null, _deleted boolean not null, _batch_id varchar not null,
                _extracted_at timestamp not null, _loaded_seq bigint not null)"""
        )
        rows = []
        for raw in make():  # later entries with the same key are newer versions
            seq += 1
            record = as_landed(stream, raw)
            text = json.dumps(record, ensure_ascii=False)
            rows.append(
                (
                    record_id(stream, record),
                    record.get("Date"),
                    text,
                    hashlib.md5(text.encode()).hexdigest(),
                    False,
                    "run-1",
                    extracted,
                    seq,
                )
            )
        for key in TOMBSTONES.get(stream, []):
            seq += 1
            rows.append((key, None, None, "deleted", True, "run-2", extracted, seq))
        con.executemany(f"insert into raw_onec.{stream} values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    ensure_raw_tables(con)  # the other sources' raw tables, empty: dbt builds every staging model
    con.close()


# ---- dbt build ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt")
    db_path = tmp / "warehouse.duckdb"
    land_fixture(db_path)
    con = build_and_open(db_path, tmp, {"as_of_date": AS_OF.isoformat(), "timezone": "Europe/Moscow"})
    yield con
    con.close()


def rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def D(value) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(value)).quantize(Decimal("0.01"))


# ---- staging -----------------------------------------------------------------------------------------
def test_staging_keeps_latest_live_versions(warehouse):
    ids = {r["shipment_id"]: r for r in rows(warehouse, "select * from transform.stg_onec__shipments")}
    assert ref("d", 8) not in ids, "deletion-marked shipment must be dropped"
    assert ref("d", 10) not in ids, "tombstoned shipment must be dropped"
    assert ids[ref("d", 9)]["is_posted"] is False, "unposted shipments stay in staging, flagged"
    assert ids[ref("d", 7)]["document_amount"] == D(250), "latest version by _loaded_seq wins"
    assert ids[ref("d", 1)]["shipment_number"] == "0000-000001", "space padding trimmed"
    assert ids[ref("d", 1)]["manager_id"] == U1, "БП 3.0 Ответственный_Key, renamed on landing"
    assert ids[ref("d", 1)]["incoming_document_date"] is None, "0001-01-01 is NULL"
    assert ids[ref("d", 2)]["order_id"] is None, "zero GUID is NULL"
    assert len(ids) == 11

    sh4 = ids[ref("d", 4)]
    assert sh4["shipment_date"] == dt.date(2024, 2, 1)
    assert sh4["shipped_at"] == dt.datetime(2024, 1, 31, 21, 30), "Moscow 00:30 is 21:30 UTC the day before"

    names = {
        r["counterparty_id"]: r for r in rows(warehouse, "select * from transform.stg_onec__counterparties")
    }
    assert C[11] not in names and C[12] not in names
    assert names[C[5]]["counterparty_name"] == "Дмитрий Петров"
    assert names[C[8]]["legal_form"] == "legal_entity" and names[C[3]]["legal_form"] == "individual"
    assert names[C[15]]["is_folder"] is True

    lines = rows(
        warehouse, f"select * from transform.stg_onec__shipment_lines where shipment_id = '{ref('d', 1)}'"
    )
    assert {(r["section"], r["amount"]) for r in lines} == {("goods", D(1200)), ("services", D(200))}

    prices_p2 = rows(warehouse, f"select price from transform.stg_onec__prices where product_id = '{P2}'")
    assert [r["price"] for r in prices_p2] == [D(100)]


def test_contacts_are_normalized(warehouse):
    got = {
        (r["counterparty_id"], r["line_number"]): (r["phone_normalized"], r["email_normalized"])
        for r in rows(warehouse, "select * from transform.stg_onec__counterparty_contacts")
    }
    assert got[(C[1], 1)][0] == "+79123456789"
    assert got[(C[2], 1)][0] == "+79123456789"
    assert got[(C[13], 1)][0] == "+79123456789"
    assert got[(C[1], 2)][1] == "anna.ivanova@mail.ru"
    assert got[(C[3], 1)][1] == "boris@example.com"
    assert got[(C[7], 2)][0] == "+73432000000", "extension cut off"


# ---- identity --------------------------------------------------------------------------------------
def test_identity_resolution(warehouse):
    resolved = dict(
        warehouse.execute(
            "select counterparty_id, customer_id from transform.int_counterparties_resolved"
        ).fetchall()
    )
    assert resolved == {
        C[1]: C[1],
        C[2]: C[1],
        C[13]: C[1],  # phone spelled three ways
        C[3]: C[3],
        C[8]: C[3],
        C[14]: C[3],  # email with caps, then phone: transitive
        C[4]: C[4],
        C[5]: C[5],
        C[6]: C[6],
        C[7]: C[7],  # manager's phone on 5 cards links nobody
    }


# ---- marts -----------------------------------------------------------------------------------------
MONTHS = [dt.date(2023, 12, 1)] + [dt.date(2024, m, 1) for m in range(1, 7)]

# month: sales_count, sales_amount, returns_amount, revenue, cost, unknown_cost_revenue, repeat_count,
#        repeat_amount, new, new_amount, returning, returning_amount, regular, regular_amount, lost,
#        lost_revenue. December's only sale (sh6, 2023-12-20) predates P1's first purchase price
# (2024-01-01): its cost is unknown, not 0; May has no sale, so no line with a known cost either.
EXPECTED_MONTHLY = {
    dt.date(2023, 12, 1): (1, 600, 0, 600, None, 600, 0, 0, 1, 600, 0, 0, 0, 0, 0, 0),
    dt.date(2024, 1, 1): (2, 1600, 0, 1600, 700, 0, 0, 0, 2, 1600, 0, 0, 0, 0, 0, 0),
    dt.date(2024, 2, 1): (2, 1300, 0, 1300, 700, 0, 1, 400, 1, 1300, 0, 0, 1, 1300, 0, 0),
    dt.date(2024, 3, 1): (1, 600, 0, 600, 300, 0, 1, 600, 0, 0, 1, 600, 2, 600, 0, 0),
    dt.date(2024, 4, 1): (1, 650, 650, 0, -50, 0, 1, 650, 0, 0, 1, 650, 2, 650, 0, 0),
    dt.date(2024, 5, 1): (0, 0, 0, 0, None, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0),
    dt.date(2024, 6, 1): (2, 450, 0, 450, 200, 0, 1, 200, 1, 250, 1, 200, 2, 200, 1, 600),
}
MONTHLY_COLUMNS = (
    "sales_count",
    "sales_amount",
    "returns_amount",
    "revenue",
    "cost",
    "unknown_cost_revenue",
    "repeat_sales_count",
    "repeat_sales_amount",
    "new_customers",
    "new_customers_amount",
    "returning_customers",
    "returning_customers_amount",
    "regular_customers",
    "regular_customers_amount",
    "lost_customers",
    "lost_customers_revenue",
)


def test_repeat_sales_by_month(warehouse):
    got = rows(warehouse, "select * from marts.repeat_sales order by month")
    assert [r["month"] for r in got] == MONTHS
    for row in got:
        expected = dict(zip(MONTHLY_COLUMNS, EXPECTED_MONTHLY[row["month"]], strict=True))
        actual = {k: row[k] for k in MONTHLY_COLUMNS}
        expected = {
            k: (v if v is None or k.endswith(("_count", "customers")) else D(v)) for k, v in expected.items()
        }
        assert actual == expected, row["month"]
    by_month = {r["month"]: r for r in got}
    assert by_month[dt.date(2024, 2, 1)]["repeat_share_count"] == pytest.approx(0.5)
    assert by_month[dt.date(2024, 2, 1)]["repeat_share_amount"] == pytest.approx(400 / 1300)
    assert by_month[dt.date(2024, 6, 1)]["repeat_share_amount"] == pytest.approx(200 / 450)
    assert by_month[dt.date(2024, 5, 1)]["repeat_share_count"] is None
    assert by_month[dt.date(2024, 5, 1)]["repeat_share_amount"] is None
    assert by_month[dt.date(2023, 12, 1)]["repeat_share_count"] == 0
    assert by_month[dt.date(2024, 6, 1)]["gross_profit"] == D(250)
    assert by_month[dt.date(2023, 12, 1)]["gross_profit"] is None, "unknown, not December's revenue"
    assert sum(r["sales_count"] for r in got) == 9
    assert sum(r["revenue"] for r in got) == D(4550)
    # 4550 of revenue less December's 600 of unknown cost, less the known costs 700+700+300-50+200
    assert sum(r["gross_profit"] for r in got if r["gross_profit"] is not None) == D(2100)


# cohort_month: (size, [active per k], [revenue per k])
EXPECTED_COHORTS = {
    dt.date(2023, 12, 1): (1, [1, 0, 0, 0, 0, 0, 0], [600, 0, 0, 0, 0, 0, 0]),
    dt.date(2024, 1, 1): (2, [2, 0, 1, 1, 0, 0], [1600, 0, 600, 0, 0, 0]),
    dt.date(2024, 2, 1): (1, [1, 0, 0, 0, 1], [1300, 0, 0, 0, 200]),
    dt.date(2024, 6, 1): (1, [1], [250]),
}


def test_customer_cohorts(warehouse):
    got = rows(warehouse, "select * from marts.customer_cohorts order by cohort_month, month_number")
    assert len(got) == 7 + 6 + 5 + 1
    for cohort, (size, active, revenue) in EXPECTED_COHORTS.items():
        cohort_rows = [r for r in got if r["cohort_month"] == cohort]
        assert [r["month_number"] for r in cohort_rows] == list(range(len(active)))
        assert {r["cohort_size"] for r in cohort_rows} == {size}
        assert [r["active_customers"] for r in cohort_rows] == active
        assert [r["retention"] for r in cohort_rows] == pytest.approx([a / size for a in active])
        assert [r["revenue"] for r in cohort_rows] == [D(v) for v in revenue]
        cumulative = [sum(revenue[: k + 1]) / size for k in range(len(revenue))]
        assert [r["cumulative_revenue_per_customer"] for r in cohort_rows] == [D(v) for v in cumulative]
    jan = [r for r in got if r["cohort_month"] == dt.date(2024, 1, 1)]
    assert jan[2]["month"] == dt.date(2024, 3, 1) and jan[2]["retention"] == pytest.approx(0.5)


EXPECTED_PORTFOLIO = {
    # customer_id: status, counterparty_count, sales_count, sales, returns, revenue, gross_profit,
    #              first_sale_date, last_sale_date, average_check, avg_days_between_sales, top group
    C[1]: (
        "regular",
        3,
        3,
        2650,
        650,
        2000,
        1150,
        dt.date(2024, 1, 15),
        dt.date(2024, 4, 5),
        666.67,
        40.5,
        "Кофе",
    ),
    C[3]: ("regular", 3, 3, 1500, 0, 1500, 700, dt.date(2024, 2, 1), dt.date(2024, 6, 30), 500, 75.0, "Кофе"),
    # Vera's one sale has no purchase price (sh6 predates P1's first): her profit is unknown, not 600
    C[4]: ("lost", 1, 1, 600, 0, 600, None, dt.date(2023, 12, 20), dt.date(2023, 12, 20), 600, None, "Кофе"),
    C[5]: ("new", 1, 1, 250, 0, 250, 150, dt.date(2024, 6, 10), dt.date(2024, 6, 10), 250, None, "Чай"),
    C[6]: ("active", 1, 1, 200, 0, 200, 100, dt.date(2024, 1, 25), dt.date(2024, 1, 25), 200, None, "Чай"),
    C[7]: ("prospect", 1, 0, 0, 0, 0, None, None, None, None, None, None),
}


def test_customer_portfolio(warehouse):
    got = {r["customer_id"]: r for r in rows(warehouse, "select * from marts.customer_portfolio")}
    assert set(got) == set(EXPECTED_PORTFOLIO), "one row per customer, prospects included"
    for customer_id, expected in EXPECTED_PORTFOLIO.items():
        (status, cp_count, count, sales, returns_, revenue, profit, first, last, check, gap, group) = expected
        row = got[customer_id]
        assert (row["status"], row["counterparty_count"], row["sales_count"]) == (status, cp_count, count), (
            customer_id
        )
        assert (row["sales_amount"], row["returns_amount"], row["revenue"], row["gross_profit"]) == (
            D(sales),
            D(returns_),
            D(revenue),
            None if profit is None else D(profit),
        ), customer_id
        assert (row["first_sale_date"], row["last_sale_date"]) == (first, last), customer_id
        assert row["average_check"] == (None if check is None else D(check)), customer_id
        assert row["avg_days_between_sales"] == (None if gap is None else pytest.approx(gap)), customer_id
        assert row["top_product_group"] == group, customer_id

    unknown = {k: (r["cost"], r["unknown_cost_revenue"]) for k, r in got.items() if r["unknown_cost_revenue"]}
    assert unknown == {C[4]: (None, D(600))}, "only Vera's revenue is of unknown cost"
    assert (got[C[7]]["cost"], got[C[7]]["unknown_cost_revenue"]) == (None, D(0)), "a prospect"
    assert (got[C[1]]["cost"], got[C[1]]["unknown_cost_revenue"]) == (D(850), D(0))

    anna, boris = got[C[1]], got[C[3]]
    assert (anna["name"], anna["phone"], anna["email"], anna["city"]) == (
        "Анна Иванова",
        "+79123456789",
        "anna.ivanova@mail.ru",
        "Екатеринбург",
    )
    assert anna["product_groups"] == "Кофе, Чай, Услуги"
    assert (boris["name"], boris["phone"], boris["email"], boris["city"], boris["legal_form"]) == (
        "ИП Смирнов Б.А.",
        "+79031112233",
        "boris@example.com",
        "Казань",
        "legal_entity",
    )
    assert boris["last_manager_name"] == "Сидоров Иван"
    assert got[C[6]]["phone"] is None, "the manager's number is not the customer's phone"
    assert got[C[4]]["days_since_last_sale"] == 193


def test_sales_documents(warehouse):
    docs = {r["document_id"]: r for r in rows(warehouse, "select * from transform.int_sales")}
    assert set(docs) == {ref("d", n) for n in (1, 2, 3, 4, 5, 6, 7, 11, 12, 13)} | {ref("e", 1)}
    assert docs[ref("e", 1)]["amount"] == D(-650) and docs[ref("e", 1)]["cost"] == D(-400), (
        "cost at return date"
    )
    assert docs[ref("e", 1)]["customer_id"] == C[1] and docs[ref("e", 1)]["sale_ordinal"] is None
    assert docs[ref("d", 1)]["cost"] == D(600), "price of 12:00 is later than the 10:00 sale"
    no_price_yet = docs[ref("d", 6)]
    assert (no_price_yet["cost"], no_price_yet["gross_profit"], no_price_yet["is_cost_known"]) == (
        None,
        None,
        False,
    ), "no purchase price yet: the cost is unknown, never 0"
    assert (no_price_yet["costed_amount"], no_price_yet["known_cost"]) == (D(0), None)
    # sh1: the delivery service has no purchase price and costs 0 (no goods move): the sale is all known
    assert (docs[ref("d", 1)]["is_cost_known"], docs[ref("d", 1)]["gross_profit"]) == (True, D(800))
    assert [docs[ref("d", n)]["sale_ordinal"] for n in (1, 2, 3)] == [1, 2, 3]
    assert docs[ref("d", 11)]["document_at"] == dt.datetime(2024, 6, 30, 20, 59, 59)
