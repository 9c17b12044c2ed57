"""OneCSource against the 1C simulator: exact record sets for full, window, version and key reads,
paging with a small page, and a run that survives 429/503/timeout/cut faults."""

from __future__ import annotations

import base64
import random
import uuid
from datetime import date, timedelta

import pytest

import connectors.onec.client as onec
from connectors.http import AuthError
from connectors.onec.answers import EntitySetMissing
from connectors.onec.client import OneCSource, onec_http_client
from contract.records import ZERO_GUID
from sandbox.systems.onec.server import OneCSimulator

USER, PASSWORD = "odata", "s3cret-Пароль"
SHIPMENTS = "Document_РеализацияТоваровУслуг"
COUNTERPARTIES = "Catalog_Контрагенты"
PRICES = "InformationRegister_ЦеныНоменклатуры"
PAGE_SIZE = 10


def make_store() -> dict[str, list[dict]]:
    """A small 1C (docs/sources/onec.md): 12 counterparties, 3 products, 25 shipments over 2023–2024."""
    rng = random.Random(11)

    def guid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128)))

    def version(n: int) -> str:
        return base64.b64encode(n.to_bytes(8, "big")).decode()

    counterparties = [
        {
            "Ref_Key": guid(),
            "DataVersion": version(i),
            "DeletionMark": False,
            "Code": f"{i:09d}",
            "Description": f"Клиент {i}",
            "ЮрФизЛицо": "ФизЛицо",
            "Parent_Key": ZERO_GUID,
            "IsFolder": False,
            "КонтактнаяИнформация": [
                {"LineNumber": "1", "Тип": "Телефон", "Представление": f"8 900 000-00-{i:02d}"}
            ],
        }
        for i in range(12)
    ]
    products = [
        {
            "Ref_Key": guid(),
            "DataVersion": version(100 + i),
            "DeletionMark": False,
            "Description": f"Товар {i}",
            "Parent_Key": ZERO_GUID,
            "IsFolder": False,
            "ТипНоменклатуры": "Товар",
        }
        for i in range(3)
    ]
    price_types = [
        {"Ref_Key": guid(), "DataVersion": version(200), "DeletionMark": False, "Description": "Розничная"}
    ]
    prices = [
        {
            "Period": f"2023-0{month}-01T00:00:00",
            "Номенклатура_Key": product["Ref_Key"],
            "ВидЦены_Key": price_types[0]["Ref_Key"],
            "Цена": 100 * month,
        }
        for month in (3, 1, 2)
        for product in products
    ]
    shipments = []
    for i in range(25):
        day = date(2023, 1, 3) + timedelta(days=29 * i)
        ref = guid()
        line = {
            "Ref_Key": ref,
            "LineNumber": "1",
            "Номенклатура_Key": products[i % 3]["Ref_Key"],
            "Количество": 2,
            "Цена": 50.5,
            "Сумма": 101.0,
            "СтавкаНДС": "НДС20",
            "СуммаНДС": 16.83,
        }
        shipments.append(
            {
                "Ref_Key": ref,
                "DataVersion": version(300 + i),
                "DeletionMark": False,
                "Number": f"0000-{i:06d}",
                "Date": f"{day.isoformat()}T{'23:59:59' if i % 4 else '10:15:00'}",
                "Posted": True,
                "Контрагент_Key": counterparties[i % 12]["Ref_Key"],
                "ЗаказКлиента_Key": ZERO_GUID,
                "СуммаДокумента": 101.0,
                "Товары": [line],
            }
        )
    shipments[5]["Date"] = shipments[6]["Date"]  # two documents on one Date: Ref_Key must break the tie
    return {
        COUNTERPARTIES: counterparties,
        "Catalog_Номенклатура": products,
        "Catalog_Пользователи": [],
        "Catalog_ВидыЦен": price_types,
        PRICES: prices,
        "Document_ЗаказКлиента": [],
        SHIPMENTS: shipments,
        "Document_ВозвратТоваровОтКлиента": [],
    }


@pytest.fixture
def store():
    return make_store()


@pytest.fixture
def sim(store):
    with OneCSimulator(store, username=USER, password=PASSWORD) as simulator:
        yield simulator


def make_source(base_url, user=USER, password=PASSWORD, timeout=5.0, page_size=PAGE_SIZE, **options):
    """A source over a hand-made УТ 11 store (detection has its own tests: test_onec_detect.py)."""
    http = onec_http_client(user, password, timeout=timeout, max_retries=6, backoff_base=0.01)
    options.setdefault("configuration", "ut11")
    return OneCSource(base_url, user, password, page_size=page_size, http=http, **options)


def all_records(pages) -> list[dict]:
    return [record for page in pages for record in page.records]


def refs(records) -> list[str]:
    return [record["Ref_Key"] for record in records]


def has_navigation_links(value) -> bool:
    if isinstance(value, dict):
        return any(k.endswith("@navigationLinkUrl") or has_navigation_links(v) for k, v in value.items())
    return isinstance(value, list) and any(has_navigation_links(item) for item in value)


def test_a_forced_configuration_reads_its_own_sets_and_lacks_what_it_does_not_have():
    bp30 = OneCSource("http://h/trade/odata/standard.odata/", USER, PASSWORD, configuration="bp30")
    sets = {spec.name: spec.entity_set for spec in bp30.streams}
    assert "customer_orders" not in sets and "service_acts" not in sets
    assert sets["price_types"] == "Catalog_ТипыЦенНоменклатуры"
    assert sets["invoices"] == "Document_СчетНаОплатуПокупателю"
    with pytest.raises(ValueError, match="'customer_orders' is absent in 1С:Бухгалтерия"):
        bp30.stream("customer_orders")
    found = bp30.discover(None)  # forced: no request is made (the host does not exist)
    assert found.profile == "bp30" and set(found.absent) == {"customer_orders", "service_acts"}
    assert "forced by SALESPIPE_ONEC_CONFIGURATION" in found.summary
    with pytest.raises(ValueError, match="must be one of auto, ut11, bp30, unf"):
        OneCSource("http://h/trade/odata/standard.odata/", USER, PASSWORD, configuration="ut10")


def test_streams_are_the_contract_table():
    source = OneCSource("http://h/trade/odata/standard.odata/", USER, PASSWORD, configuration="ut11")
    table = {
        spec.name: (spec.entity_set, spec.mode, spec.key_fields, spec.cursor_field) for spec in source.streams
    }
    assert table["shipments"] == (SHIPMENTS, "window", ("Ref_Key",), "Date")
    assert table["prices"] == (PRICES, "full", ("Period", "Номенклатура_Key", "ВидЦены_Key"), None)
    assert list(table) == [
        "counterparties",
        "products",
        "users",
        "price_types",
        "prices",
        "customer_orders",
        "shipments",
        "returns",
        "invoices",
        "bank_receipts",
        "cash_receipts",
    ]
    assert (
        source.stream("prices").key_of(
            {"Period": "2023-01-01T00:00:00", "Номенклатура_Key": "a", "ВидЦены_Key": "b"}
        )
        == "2023-01-01T00:00:00|a|b"
    )
    assert source.stream("users").key_of({"Ref_Key": ZERO_GUID}) is None
    assert source.stream("users").key_of({"Ref_Key": " "}) is None
    with pytest.raises(ValueError, match="no stream 'deals'"):
        source.read("deals", None)


def test_full_read_returns_every_record_once_in_key_order(sim, store):
    pages = list(make_source(sim.base_url).read("counterparties", None))
    records = all_records(pages)
    assert [len(page.records) for page in pages] == [10, 2] and all(page.cursor is None for page in pages)
    assert refs(records) == sorted(record["Ref_Key"] for record in store[COUNTERPARTIES])
    assert not has_navigation_links(records)
    by_ref = {record["Ref_Key"]: record for record in store[COUNTERPARTIES]}
    assert all(record == by_ref[record["Ref_Key"]] for record in records)  # otherwise exactly as stored


def test_prices_ordered_by_period_then_references(sim, store):
    records = all_records(make_source(sim.base_url).read("prices", None))
    key = lambda r: (r["Period"], r["Номенклатура_Key"], r["ВидЦены_Key"])  # noqa: E731
    assert [key(r) for r in records] == sorted(key(r) for r in store[PRICES]) and len(records) == 9
    assert records[0] == {k: v for k, v in records[0].items() if not k.endswith("@navigationLinkUrl")}


def test_first_window_read_returns_all_with_a_monotone_cursor(sim, store):
    pages = list(make_source(sim.base_url).read("shipments", None))
    records = all_records(pages)
    assert sorted(refs(records)) == sorted(refs(store[SHIPMENTS])) and len(records) == 25
    assert [(r["Date"], r["Ref_Key"]) for r in records] == sorted((r["Date"], r["Ref_Key"]) for r in records)
    cursors = [page.cursor for page in pages]
    assert cursors == sorted(cursors) and cursors[-1] == max(r["Date"] for r in store[SHIPMENTS])
    assert all(page.cursor == max(r["Date"] for r in page.records) for page in pages)
    assert not has_navigation_links(records)
    assert (
        records[0]["Товары"][0]
        == next(r for r in store[SHIPMENTS] if r["Ref_Key"] == refs(records)[0])["Товары"][0]
    )


def test_window_read_starts_overlap_days_before_the_cursor(sim, store):
    cursor = "2024-03-20T16:00:00"
    pages = list(make_source(sim.base_url).read("shipments", cursor))
    expected = sorted(r["Ref_Key"] for r in store[SHIPMENTS] if r["Date"] >= "2024-02-18T00:00:00")
    assert sorted(refs(all_records(pages))) == expected and 0 < len(expected) < 25
    assert all(page.cursor >= cursor for page in pages)
    filters = [params.get("$filter") for name, params, _ in sim.requests if name == SHIPMENTS]
    assert filters[0] == "Date ge datetime'2024-02-18T00:00:00'"


def test_cursor_never_moves_back(sim, store):
    latest = max(r["Date"] for r in store[SHIPMENTS])
    cursor = "2025-01-01T00:00:00"  # later than any document, but within the overlap of the last ones
    pages = list(make_source(sim.base_url, overlap_days=60).read("shipments", cursor))
    assert pages and latest < cursor and {page.cursor for page in pages} == {cursor}


def test_back_dated_document_inside_the_overlap_is_read_next_run(sim, store):
    source = make_source(sim.base_url)
    cursor = [page.cursor for page in source.read("shipments", None)][-1]
    late = dict(store[SHIPMENTS][-1], Ref_Key=str(uuid.uuid4()), Date="2024-12-01T09:00:00")
    with sim.store_lock:
        store[SHIPMENTS].append(late)
    assert late["Ref_Key"] in refs(all_records(source.read("shipments", cursor)))


def test_scan_versions_lists_every_key_and_version(sim, store):
    source = make_source(sim.base_url, page_size=2)  # scan pages of 10 → 3 requests for 25 documents
    pages = list(source.scan_versions("shipments"))
    assert [len(page) for page in pages] == [10, 10, 5]
    pairs = [pair for page in pages for pair in page]
    assert pairs == sorted((r["Ref_Key"], r["DataVersion"]) for r in store[SHIPMENTS])
    assert all(
        params["$select"] == "Ref_Key,DataVersion" for name, params, _ in sim.requests if name == SHIPMENTS
    )


def test_a_document_without_data_version_scans_as_landing_stores_it(sim, store):
    # Otherwise the scan and the landed state disagree on it every night and it is re-read each time.
    from warehouse.pages import prepare_page

    del store[SHIPMENTS][4]["DataVersion"]
    source = make_source(sim.base_url)
    scanned = dict(pair for page in source.scan_versions("shipments") for pair in page)
    landed = prepare_page(source.stream("shipments"), store[SHIPMENTS], "DataVersion")
    assert scanned == dict(zip(landed.ids, landed.versions, strict=True))
    assert scanned[store[SHIPMENTS][4]["Ref_Key"]] == "None"


def test_read_keys_returns_exactly_those_records(sim, store, monkeypatch):
    monkeypatch.setattr(onec, "KEYS_PER_REQUEST", 4)
    wanted = refs(store[SHIPMENTS])[3:12] + [str(uuid.uuid4())]  # plus one key 1C no longer has
    pages = list(make_source(sim.base_url).read_keys("shipments", iter(wanted)))
    records = all_records(pages)
    assert sorted(refs(records)) == sorted(wanted[:-1]) and all(page.cursor is None for page in pages)
    assert not has_navigation_links(records)
    filters = [params["$filter"] for name, params, _ in sim.requests if name == SHIPMENTS]
    assert len(filters) == 3 and filters[0].count(" or ") == 3 and filters[0].startswith("Ref_Key eq guid'")


def test_read_keys_skips_what_is_not_a_guid_and_refuses_registers(sim, store, caplog):
    source = make_source(sim.base_url)
    first = store[SHIPMENTS][0]["Ref_Key"]
    records = all_records(source.read_keys("shipments", ["x') or true or ('", first]))
    assert refs(records) == [first] and "not a Ref_Key GUID" in caplog.text
    assert all("true" not in params.get("$filter", "") for _, params, _ in sim.requests)
    with pytest.raises(ValueError, match="not keyed by Ref_Key"):
        list(source.read_keys("prices", []))


def test_run_survives_429_503_timeout_and_cut_body(sim, store, caplog):
    sim.faults.add(entity_set=SHIPMENTS, kind="429", nth=2, times=1, retry_after=1)
    sim.faults.add(entity_set=SHIPMENTS, kind="503", nth=3, times=1, retry_after=0)
    sim.faults.add(entity_set=SHIPMENTS, kind="timeout", nth=4, times=1, delay=1.5)
    sim.faults.add(entity_set=SHIPMENTS, kind="cut", nth=5, times=1)
    records = all_records(make_source(sim.base_url, timeout=0.5).read("shipments", None))
    assert sorted(refs(records)) == sorted(refs(store[SHIPMENTS])) and len(records) == 25
    retries = [record.getMessage() for record in caplog.records if record.name == "salespipe.http"]
    causes = ["429 Too Many Requests", "503 Service Unavailable", "no answer within 0.5s", "cut short"]
    assert len(retries) == 4 and all(cause in retry for cause, retry in zip(causes, retries, strict=True))
    assert all(retry.startswith("1C stream=shipments GET ") and "$skip=10" in retry for retry in retries)


def test_wrong_password_is_a_one_line_auth_error_without_the_password(sim, caplog):
    with pytest.raises(AuthError) as caught:
        list(make_source(sim.base_url, password="wrong-Пароль").read("shipments", None))
    text = str(caught.value)
    assert "\n" not in text and text.startswith("1C stream=shipments GET ")
    assert f"{sim.base_url}{SHIPMENTS}?$format=json" in text
    assert text.endswith(": 401 Unauthorized — check SALESPIPE_ONEC_USER / SALESPIPE_ONEC_PASSWORD")
    assert "wrong-Пароль" not in text + caplog.text and PASSWORD not in text


def test_cyrillic_username_works(store):
    with OneCSimulator(store, username="Администратор", password=PASSWORD) as simulator:
        records = all_records(make_source(simulator.base_url, user="Администратор").read("products", None))
    assert len(records) == 3


def test_a_set_the_profile_expects_but_the_base_lacks_names_the_set_the_profile_and_the_fix(sim, store):
    del store[SHIPMENTS]  # not in the publication's OData composition: 1C answers 400, code 6
    with pytest.raises(EntitySetMissing) as caught:
        list(make_source(sim.base_url).read("shipments", None))
    text = str(caught.value)
    assert text.startswith("1C stream=shipments GET ") and "\n" not in text
    assert f"no {SHIPMENTS} in this base (1C code 6), where profile ut11 (forced by" in text
    assert "Настройка стандартного интерфейса OData), or set SALESPIPE_ONEC_CONFIGURATION" in text
    assert PASSWORD not in text


def test_records_come_renamed_into_salespipes_vocabulary(sim, store):
    for record in store[SHIPMENTS]:  # as БП 3.0 spells the manager
        record["Ответственный_Key"] = record.pop("Менеджер_Key", ZERO_GUID)
    pages = list(make_source(sim.base_url, configuration="bp30").read("shipments", None))
    records = all_records(pages)
    assert records and all("Менеджер_Key" in r and "Ответственный_Key" not in r for r in records)
    assert [r["Менеджер_Key"] for r in records] == [
        r["Ответственный_Key"] for r in sorted(store[SHIPMENTS], key=lambda r: (r["Date"], r["Ref_Key"]))
    ]
