"""The 1C OData simulator over real HTTP on loopback: paths, formats, errors, auth, faults, live data."""

import base64
import copy
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from sandbox.systems.onec.server import OneCSimulator
from tests.onec_configurations import CONFIGURATION_SETS

USER, PASSWORD = "odata", "s3cret"
REPO = Path(__file__).resolve().parents[1]
SHIPMENTS_SET = "Document_РеализацияТоваровУслуг"
CUSTOMERS_SET = "Catalog_Контрагенты"
ZERO = "00000000-0000-0000-0000-000000000000"
C1, C2 = "b7569bcd-f670-11ea-8591-000c29b45b09", "c1a2b3c4-0000-11ea-8591-000c29b45b09"
P1 = "2d4fe75f-1111-11ea-8591-000c29b45b09"
S1, S2, S3 = (
    "11111111-6332-11ec-ad72-000c29b45b09",
    "22222222-6332-11ec-ad72-000c29b45b09",
    "0aaaaaaa-6332-11ec-ad72-000c29b45b09",
)


def _customer(ref, name, phone):
    return {
        "Ref_Key": ref,
        "DataVersion": "AAAAAQAAAAA=",
        "DeletionMark": False,
        "Parent_Key": ZERO,
        "IsFolder": False,
        "Code": "000000001",
        "Description": name,
        "ИНН": "",
        "КонтактнаяИнформация": [
            {
                "Ref_Key": ref,
                "LineNumber": "1",
                "Тип": "Телефон",
                "Вид": "Телефон",
                "Представление": phone,
                "НомерТелефона": phone,
                "АдресЭП": "",
                "Город": "",
            }
        ],
    }


def _shipment(ref, date, customer, amount, posted=True):
    return {
        "Ref_Key": ref,
        "DataVersion": "AAAACgAAAAA=",
        "DeletionMark": False,
        "Number": "0000-000001 ",
        "Date": date,
        "Posted": posted,
        "Контрагент_Key": customer,
        "Менеджер_Key": ZERO,
        "ЗаказКлиента_Key": ZERO,
        "СуммаДокумента": amount,
        "ДатаВходящегоДокумента": "0001-01-01T00:00:00",
        "Товары": [
            {
                "Ref_Key": ref,
                "LineNumber": "1",
                "Номенклатура_Key": P1,
                "Количество": 2,
                "Цена": amount / 2,
                "Сумма": amount,
                "СтавкаНДС": "НДС20",
                "СуммаНДС": amount / 6,
            }
        ],
    }


STORE = {
    CUSTOMERS_SET: [
        _customer(C1, "Иванов Пётр", "+7 (999) 100-20-30"),
        _customer(C2, "ООО Ромашка", "8 800 1"),
    ],
    SHIPMENTS_SET: [
        _shipment(S1, "2024-01-10T10:00:00", C1, 100),
        _shipment(S2, "2024-01-10T10:00:00", C2, 250),
        _shipment(S3, "2024-02-01T00:00:00", C1, 50, posted=False),
    ],
    "Document_ВозвратТоваровОтКлиента": [],
    # a store record may already carry a link annotation in the middle, as the generator's do
    "Document_ЗаказКлиента": [
        {"Ref_Key": S1, "Контрагент_Key": C1, "Контрагент@navigationLinkUrl": "stale", "СуммаДокумента": 1}
    ],
}


@pytest.fixture(scope="module")
def sim():
    simulator = OneCSimulator(copy.deepcopy(STORE), username=USER, password=PASSWORD, publication="trade")
    simulator.start()
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _no_faults_left(request):
    yield
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").faults.clear()


@pytest.fixture
def http():
    with requests.Session() as session:
        session.auth = (USER, PASSWORD)
        yield session


def get(http, sim, path, **params):
    return http.get(sim.base_url + path, params=params, timeout=5)


def get_json(http, sim, path, **params):
    response = get(http, sim, path, **{"$format": "json", **params})
    assert response.status_code == 200, response.text
    return response.json()


def odata_error(response, status):
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    error = response.json()["odata.error"]
    assert error["message"]["lang"] == "ru"
    return error["code"], error["message"]["value"]


# ---------------------------------------------------------------------------------------- reading
def test_base_url_shape(sim):
    assert sim.base_url.startswith("http://127.0.0.1:")
    assert sim.base_url.endswith("/trade/odata/standard.odata/")


def test_window_page_with_order_skip_top(sim, http):
    body = get_json(
        http,
        sim,
        SHIPMENTS_SET,
        **{
            "$filter": "Date ge datetime'2024-01-01T00:00:00' and Date lt datetime'2024-02-01T00:00:00'",
            "$orderby": "Date asc,Ref_Key asc",
            "$skip": "1",
            "$top": "1",
        },
    )
    assert body["odata.metadata"] == f"{sim.base_url}$metadata#{SHIPMENTS_SET}"
    assert list(body) == ["odata.metadata", "value"]
    [record] = body["value"]
    assert record["Ref_Key"] == S2
    # key order preserved; navigation links follow, one per *_Key except Ref_Key
    original = list(STORE[SHIPMENTS_SET][1])
    assert list(record)[: len(original)] == original
    assert list(record)[len(original) :] == [
        "Контрагент@navigationLinkUrl",
        "Менеджер@navigationLinkUrl",
        "ЗаказКлиента@navigationLinkUrl",
    ]
    assert record["Контрагент@navigationLinkUrl"] == f"{SHIPMENTS_SET}(guid'{S2}')/Контрагент"
    row = record["Товары"][0]
    assert row["LineNumber"] == "1" and row["Сумма"] == 250  # Int64 stays a string, money a number
    assert row["Номенклатура@navigationLinkUrl"].endswith("/Номенклатура")
    assert record["Number"] == "0000-000001 " and record["ДатаВходящегоДокумента"] == "0001-01-01T00:00:00"


def test_percent_encoded_cyrillic_path(sim, http):
    url = sim.base_url + quote(SHIPMENTS_SET) + "?$format=json&$orderby=Ref_Key%20desc"
    assert "%D0%A0" in url  # "Р" of Реализация, encoded
    response = http.get(url, timeout=5)
    assert [r["Ref_Key"] for r in response.json()["value"]] == [S2, S1, S3]
    assert sim.requests[-1][0] == SHIPMENTS_SET  # recorded decoded


def test_no_server_paging_without_top(sim, http):
    assert len(get_json(http, sim, SHIPMENTS_SET)["value"]) == 3


def test_select_returns_only_those_keys(sim, http):
    body = get_json(http, sim, SHIPMENTS_SET, **{"$select": "Ref_Key,DataVersion"})
    assert [list(r) for r in body["value"]] == [["Ref_Key", "DataVersion"]] * 3
    body = get_json(http, sim, SHIPMENTS_SET, **{"$select": "Ref_Key,Товары"})
    assert list(body["value"][0]) == ["Ref_Key", "Товары"]


def test_nometadata_has_no_metadata_or_links(sim, http):
    response = get(http, sim, CUSTOMERS_SET, **{"$format": "application/json;odata=nometadata"})
    body = response.json()
    assert list(body) == ["value"]
    assert body["value"][0] == STORE[CUSTOMERS_SET][0]
    assert "navigationLinkUrl" not in response.text


def test_inlinecount_is_a_string(sim, http):
    body = get_json(
        http, sim, SHIPMENTS_SET, **{"$inlinecount": "allpages", "$top": "1", "$filter": "Posted eq true"}
    )
    assert body["odata.count"] == "2"
    assert len(body["value"]) == 1


def test_count_is_a_bare_number_and_honours_filter(sim, http):
    response = get(http, sim, f"{SHIPMENTS_SET}/$count", **{"$filter": f"Контрагент_Key eq guid'{C1}'"})
    assert (response.status_code, response.text) == (200, "2")
    assert get(http, sim, f"{SHIPMENTS_SET}/$count").text == "3"


def test_single_entity(sim, http):
    body = get_json(http, sim, f"{CUSTOMERS_SET}(guid'{C2.upper()}')")
    assert body["odata.metadata"] == f"{sim.base_url}$metadata#{CUSTOMERS_SET}/@Element"
    assert "value" not in body
    assert body["Description"] == "ООО Ромашка"
    assert body["КонтактнаяИнформация"][0]["НомерТелефона"] == "8 800 1"


def test_missing_entity_is_404_code_9(sim, http):
    response = get(http, sim, f"{CUSTOMERS_SET}(guid'{ZERO}')", **{"$format": "json"})
    assert odata_error(response, 404) == ("9", "Экземпляр сущности не найден")


def test_empty_set_serves_an_empty_page_for_any_window(sim, http):
    body = get_json(
        http,
        sim,
        "Document_ВозвратТоваровОтКлиента",
        **{"$filter": "Date ge datetime'2024-01-01T00:00:00'", "$orderby": "Date,Ref_Key"},
    )
    assert body["value"] == []


def test_link_annotations_in_the_store_are_rewritten_or_dropped(sim, http):
    plain = get_json(http, sim, "Document_ЗаказКлиента")["value"][0]
    assert list(plain) == ["Ref_Key", "Контрагент_Key", "СуммаДокумента", "Контрагент@navigationLinkUrl"]
    assert plain["Контрагент@navigationLinkUrl"] == f"Document_ЗаказКлиента(guid'{S1}')/Контрагент"
    bare = get(http, sim, "Document_ЗаказКлиента", **{"$format": "application/json;odata=nometadata"}).json()
    assert bare["value"] == [{"Ref_Key": S1, "Контрагент_Key": C1, "СуммаДокумента": 1}]
    atom = get(http, sim, "Document_ЗаказКлиента")
    assert "navigationLinkUrl" not in atom.text and ET.fromstring(atom.content) is not None


# ------------------------------------------------------------------------------------------ errors
def test_unknown_set_is_400_code_6(sim, http):
    code, message = odata_error(get(http, sim, "Document_Несуществующий", **{"$format": "json"}), 400)
    assert code == "6" and "Document_Несуществующий" in message


@pytest.mark.parametrize(
    "option,value",
    [
        ("$select", "Ref_Key,Организация_Key"),
        ("$filter", "Организация_Key eq guid'b7569bcd-f670-11ea-8591-000c29b45b09'"),
        ("$orderby", "Организация_Key asc"),
    ],
)
def test_unknown_field_is_400_code_6_with_the_name(sim, http, option, value):
    code, message = odata_error(get(http, sim, SHIPMENTS_SET, **{"$format": "json", option: value}), 400)
    assert code == "6" and "Организация_Key" in message


@pytest.mark.parametrize(
    "text",
    [
        "Date ge 2024-01-01T00:00:00",  # the v4 literal a generic client sends
        f"Контрагент_Key eq {C1}",
        "Date ge datetime'2024-01-01T00:00:00' and",
    ],
)
def test_filter_parse_error_is_400_code_14(sim, http, text):
    code, _ = odata_error(get(http, sim, SHIPMENTS_SET, **{"$format": "json", "$filter": text}), 400)
    assert code == "14"


# ------------------------------------------------------------------------------------- XML answers
def test_atom_without_format(sim, http):
    response = get(http, sim, SHIPMENTS_SET, **{"$orderby": "Ref_Key"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    ns = {
        "a": "http://www.w3.org/2005/Atom",
        "m": "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata",
        "d": "http://schemas.microsoft.com/ado/2007/08/dataservices",
    }
    feed = ET.fromstring(response.content)
    entries = feed.findall("a:entry", ns)
    refs = [e.findtext("a:content/m:properties/d:Ref_Key", namespaces=ns) for e in entries]
    assert refs == [S3, S1, S2]
    posted = feed.find("a:entry/a:content/m:properties/d:Posted", ns)
    assert (posted.text, posted.get(f"{{{ns['m']}}}type")) == ("false", "Edm.Boolean")


def test_metadata_lists_the_sets(sim, http):
    response = get(http, sim, "$metadata")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    sets = {e.get("Name") for e in root.iter("{http://schemas.microsoft.com/ado/2009/11/edm}EntitySet")}
    # every tabular section is a set of its own too, as in a real base's $metadata
    sections = {"Catalog_Контрагенты_КонтактнаяИнформация", "Document_РеализацияТоваровУслуг_Товары"}
    assert sets == set(STORE) | sections


# -------------------------------------------------------------------------------------------- auth
def test_wrong_or_missing_password_is_401(sim):
    for auth in [(USER, "wrong"), None]:
        response = requests.get(
            sim.base_url + CUSTOMERS_SET, params={"$format": "json"}, auth=auth, timeout=5
        )
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="1C"'
        assert PASSWORD not in response.text and len(response.content) < 100


def test_cyrillic_login_sent_as_utf8():
    login, password = "Администратор", "пароль"
    with OneCSimulator(copy.deepcopy(STORE), username=login, password=password) as simulator:
        url = simulator.base_url + CUSTOMERS_SET + "?$format=json"
        # requests encodes str credentials as latin-1, so a Cyrillic login must be passed as UTF-8 bytes
        ok = requests.get(url, auth=(login.encode(), password.encode()), timeout=5)
        assert ok.status_code == 200 and len(ok.json()["value"]) == 2
        cp1251 = base64.b64encode(f"{login}:{password}".encode("cp1251")).decode()
        assert requests.get(url, headers={"Authorization": f"Basic {cp1251}"}, timeout=5).status_code == 401


# ------------------------------------------------------------------------------------------- faults
@pytest.mark.parametrize("kind,retry_after", [("429", 1), ("503", 7)])
def test_rate_limit_faults_hit_the_nth_request(sim, http, kind, retry_after):
    sim.faults.add(entity_set=SHIPMENTS_SET, kind=kind, nth=2, times=1, retry_after=retry_after)
    assert get(http, sim, CUSTOMERS_SET, **{"$format": "json"}).status_code == 200  # other set: not counted
    assert get(http, sim, SHIPMENTS_SET, **{"$format": "json"}).status_code == 200
    failed = get(http, sim, SHIPMENTS_SET, **{"$format": "json", "$top": "1"})
    assert failed.headers["Retry-After"] == str(retry_after)
    assert odata_error(failed, int(kind))[0] == kind
    assert get(http, sim, SHIPMENTS_SET, **{"$format": "json"}).status_code == 200
    assert [r[2] for r in sim.requests[-3:]] == [200, int(kind), 200]
    assert sim.requests[-2][:2] == (SHIPMENTS_SET, {"$format": "json", "$top": "1"})


def test_fault_for_any_set_with_repeats(sim, http):
    sim.faults.add(entity_set=None, kind="503", nth=1, times=2)
    statuses = [get(http, sim, name).status_code for name in (CUSTOMERS_SET, SHIPMENTS_SET, CUSTOMERS_SET)]
    assert statuses == [503, 503, 200]


def test_timeout_fault_is_seen_as_a_read_timeout(sim, http):
    sim.faults.add(entity_set=CUSTOMERS_SET, kind="timeout", nth=1, times=1, delay=0.6)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(sim.base_url + CUSTOMERS_SET, params={"$format": "json"}, timeout=(2, 0.2))
    assert time.monotonic() - started < 0.5
    assert get(http, sim, CUSTOMERS_SET, **{"$format": "json"}).status_code == 200  # the retry works


def test_timeout_fault_answers_after_the_delay(sim, http):
    sim.faults.add(entity_set=CUSTOMERS_SET, kind="timeout", delay=0.3)
    started = time.monotonic()
    assert get(http, sim, CUSTOMERS_SET, **{"$format": "json"}).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_cut_fault_truncates_the_body(sim, http):
    sim.faults.add(entity_set=SHIPMENTS_SET, kind="cut")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(http, sim, SHIPMENTS_SET, **{"$format": "json"})
    assert len(get_json(http, sim, SHIPMENTS_SET)["value"]) == 3  # same session recovers


def test_hold_blocks_until_released(sim):
    sim.faults.add(entity_set=SHIPMENTS_SET, kind="hold")
    result = {}

    def fetch():
        result["status"] = requests.get(
            sim.base_url + SHIPMENTS_SET, params={"$format": "json"}, auth=(USER, PASSWORD), timeout=5
        ).status_code

    worker = threading.Thread(target=fetch)
    worker.start()
    assert sim.faults.wait_until_held(timeout=2)
    time.sleep(0.1)
    assert worker.is_alive() and "status" not in result and sim.faults.holding()
    sim.faults.release()
    worker.join(timeout=2)
    assert result == {"status": 200} and not sim.faults.holding()


def test_stop_releases_a_held_request_and_refuses_new_ones():
    simulator = OneCSimulator(copy.deepcopy(STORE), username=USER, password=PASSWORD)
    url = simulator.start() + CUSTOMERS_SET
    simulator.faults.add(kind="hold")
    errors = []

    def fetch():
        try:
            requests.get(url, auth=(USER, PASSWORD), timeout=5)
        except requests.RequestException as exc:
            errors.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    assert simulator.faults.wait_until_held(timeout=2)
    started = time.monotonic()
    simulator.stop()
    worker.join(timeout=2)
    assert time.monotonic() - started < 1 and not worker.is_alive()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(url, auth=(USER, PASSWORD), timeout=1)


# ------------------------------------------------------------------------------------ live data
def test_live_mutation_is_visible(sim, http):
    new = _shipment("44444444-6332-11ec-ad72-000c29b45b09", "2024-01-20T09:00:00", C2, 10)
    window = {
        "$filter": "Date ge datetime'2024-01-01T00:00:00' and Date lt datetime'2024-02-01T00:00:00'",
        "$select": "Ref_Key,DataVersion",
        "$orderby": "Date,Ref_Key",
    }
    with sim.store_lock:
        saved = copy.deepcopy(sim.store[SHIPMENTS_SET])
        sim.store[SHIPMENTS_SET].append(new)
        sim.store[SHIPMENTS_SET][0]["DataVersion"] = "AAAAEQAAAAA="
    try:
        rows = get_json(http, sim, SHIPMENTS_SET, **window)["value"]
        assert rows == [
            {"Ref_Key": S1, "DataVersion": "AAAAEQAAAAA="},
            {"Ref_Key": S2, "DataVersion": "AAAACgAAAAA="},
            {"Ref_Key": new["Ref_Key"], "DataVersion": "AAAACgAAAAA="},
        ]
    finally:
        with sim.store_lock:
            sim.store[SHIPMENTS_SET] = saved


def test_many_start_stop_cycles():
    started = time.monotonic()
    for _ in range(5):
        with OneCSimulator({CUSTOMERS_SET: []}) as simulator:
            response = requests.get(
                simulator.base_url + CUSTOMERS_SET,
                params={"$format": "json"},
                auth=("odata", "s3cret"),
                timeout=5,
            )
            assert response.json()["value"] == []
    assert time.monotonic() - started < 2


# ------------------------------------------------------------------- the company in each configuration
# The sets each configuration serves: tests/onec_configurations.py, written out by hand.
MANAGER_FIELD = {"ut11": "Менеджер_Key", "bp30": "Ответственный_Key", "unf": "Ответственный_Key"}
UT_SALES, UNF_SALES = "Document_РеализацияТоваровУслуг", "Document_РасходнаяНакладная"
UNF_ACTS, UNF_RECEIPTS = "Document_АктВыполненныхРабот", "Document_ПриходнаяНакладная"


@pytest.fixture(scope="module")
def companies():
    from sandbox.world.company import generate_company

    return {cfg: generate_company(scale=0.02, seed=7, configuration=cfg) for cfg in CONFIGURATION_SETS}


@pytest.fixture(scope="module")
def served(companies):
    """One simulator per configuration over the same company (scale 0.02, seed 7), on loopback."""
    from sandbox.systems import store_of

    simulators = {cfg: OneCSimulator(store_of(c, "onec"), USER, PASSWORD) for cfg, c in companies.items()}
    for simulator in simulators.values():
        simulator.start()
    yield simulators
    for simulator in simulators.values():
        simulator.stop()


def read_set(http, simulator, entity_set, **params) -> list[dict]:
    return get_json(http, simulator, entity_set, **params)["value"]


@pytest.mark.parametrize("configuration", sorted(CONFIGURATION_SETS))
def test_each_configuration_serves_exactly_its_own_sets(served, http, configuration):
    simulator = served[configuration]
    listed = get_json(http, simulator, "")["value"]
    assert {entry["name"] for entry in listed} == CONFIGURATION_SETS[configuration]
    # every one of them answers (documents as documents: the configuration's manager field on each)
    for entity_set in sorted(CONFIGURATION_SETS[configuration]):
        [first] = read_set(http, simulator, entity_set, **{"$top": "1"}) or [None]
        if first is not None and entity_set.startswith("Document_"):
            mine = MANAGER_FIELD[configuration]
            assert mine in first and not ({"Менеджер_Key", "Ответственный_Key"} - {mine}) & set(first)


@pytest.mark.parametrize("configuration", sorted(CONFIGURATION_SETS))
def test_a_set_of_another_configuration_is_400_code_6_naming_it(served, http, configuration):
    others = set().union(*CONFIGURATION_SETS.values()) - CONFIGURATION_SETS[configuration]
    assert others  # each configuration lacks some set another one has
    for entity_set in sorted(others):
        response = get(http, served[configuration], quote(entity_set), **{"$format": "json", "$top": "1"})
        code, message = odata_error(response, 400)
        assert code == "6" and entity_set in message


PRICE_TYPE_FIELD = {"ut11": "ВидЦены_Key", "bp30": "ТипЦен_Key", "unf": "ВидЦен_Key"}
PRICE_TYPE_SET = {"ut11": "Catalog_ВидыЦен", "bp30": "Catalog_ТипыЦенНоменклатуры", "unf": "Catalog_ВидыЦен"}


@pytest.mark.parametrize("configuration", sorted(CONFIGURATION_SETS))
def test_price_rows_carry_the_configurations_price_type_field(served, companies, http, configuration):
    simulator, field = served[configuration], PRICE_TYPE_FIELD[configuration]
    price_types = read_set(http, simulator, PRICE_TYPE_SET[configuration])
    purchase_key = next(t["Ref_Key"] for t in price_types if t["Description"] == "Закупочная")
    rows = read_set(
        http,
        simulator,
        "InformationRegister_ЦеныНоменклатуры",
        **{"$filter": f"{field} eq guid'{purchase_key}'"},
    )
    # the purchase price history of every product, as the model has it, in roubles
    model = companies[configuration].model
    expected = sorted(
        (f"{period:%Y-%m-%dT%H:%M:%S}", p.ref_key, kop / 100)
        for p in model.products
        for period, kop in zip(p.purchase.periods, p.purchase.kopecks, strict=True)
    )
    assert sorted((r["Period"], r["Номенклатура_Key"], r["Цена"]) for r in rows) == expected
    fields = {"Period", "Номенклатура_Key", field, "Цена"}
    assert all({name for name in r if "@" not in name} == fields for r in rows)  # links aside
    for other in set(PRICE_TYPE_FIELD.values()) - {field}:  # another configuration's field is unknown
        response = get(
            http,
            simulator,
            "InformationRegister_ЦеныНоменклатуры",
            **{"$format": "json", "$filter": f"{other} eq guid'{purchase_key}'"},
        )
        code, message = odata_error(response, 400)
        assert code == "6" and other in message


def test_unf_splits_a_sale_into_a_shipment_of_goods_and_an_act_of_services(served, companies, http):
    ut_sales = {d["Ref_Key"]: d for d in read_set(http, served["ut11"], UT_SALES)}
    shipments = {d["Ref_Key"]: d for d in read_set(http, served["unf"], UNF_SALES)}
    acts = read_set(http, served["unf"], UNF_ACTS)
    kind = {p.ref_key: p.is_service for p in companies["unf"].model.products}
    assert set(shipments) == set(ut_sales)  # the same sales, under the same keys
    act_of = {act["Заказ_Key"]: act for act in acts}
    assert len(act_of) == len(acts)  # one act per sale (each sale has an order of its own)
    with_services = [d for d in ut_sales.values() if any(kind[x["Номенклатура_Key"]] for x in d["Товары"])]
    assert len(acts) == len(with_services) > 0.15 * len(ut_sales)
    for key, sale in ut_sales.items():
        shipment = shipments[key]
        goods = [x for x in sale["Товары"] if not kind[x["Номенклатура_Key"]]]
        services = [x for x in sale["Товары"] if kind[x["Номенклатура_Key"]]]
        assert [x["Номенклатура_Key"] for x in shipment["Запасы"]] == [x["Номенклатура_Key"] for x in goods]
        assert shipment["Заказ_Key"] == sale["ЗаказКлиента_Key"]
        assert shipment["Ответственный_Key"] == sale["Менеджер_Key"]
        assert shipment["СуммаДокумента"] == pytest.approx(sum(x["Сумма"] for x in goods), abs=0.005)
        act = act_of.get(sale["ЗаказКлиента_Key"])
        if not services:
            assert act is None
            continue
        assert act["Ref_Key"] not in shipments and act["Ref_Key"] != sale["ЗаказКлиента_Key"]
        same = ("Date", "Контрагент_Key", "Posted", "DeletionMark")
        assert [act[f] for f in same] == [sale[f] for f in same]
        assert act["Ответственный_Key"] == sale["Менеджер_Key"]
        assert [(x["Номенклатура_Key"], x["Сумма"]) for x in act["Работы"]] == [
            (x["Номенклатура_Key"], x["Сумма"]) for x in services
        ]
        assert all(row["Ref_Key"] == act["Ref_Key"] for row in act["Работы"])
        assert act["СуммаДокумента"] == pytest.approx(sum(x["Сумма"] for x in services), abs=0.005)
        # the two halves add up to the sale as УТ 11 records it in one document
        assert act["СуммаДокумента"] + shipment["СуммаДокумента"] == pytest.approx(
            sale["СуммаДокумента"], abs=0.005
        )
    assert len({act["Ref_Key"] for act in acts}) == len(acts)
    assert all(re.fullmatch(r"НФ00-\d{6}", act["Number"]) for act in acts)


def test_unf_receipts_of_goods_are_customer_returns_and_purchases_from_suppliers(served, companies, http):
    model = companies["unf"].model
    receipts = read_set(http, served["unf"], UNF_RECEIPTS)
    returns = [r for r in receipts if r["ВидОперации"] == "ВозвратОтПокупателя"]
    purchases = read_set(
        http, served["unf"], UNF_RECEIPTS, **{"$filter": "ВидОперации eq 'ПоступлениеОтПоставщика'"}
    )
    assert len(returns) + len(purchases) == len(receipts)
    assert sorted(r["Ref_Key"] for r in returns) == sorted(d.ref_key for d in model.returns)
    sale_keys = {d["Ref_Key"] for d in read_set(http, served["unf"], UNF_SALES, **{"$select": "Ref_Key"})}
    assert all(r["ДокументОснование_Key"] in sale_keys for r in returns)
    assert all(r["Ответственный_Key"] is not None and "Запасы" in r for r in returns)

    # a handful of the shop's own purchases: 4 suppliers × 3, none of them a customer's card, goods at
    # their purchase price on the day, none pointing at a sale
    assert len(purchases) == 12
    cards = {c.ref_key for c in model.cards}
    assert {p["Контрагент_Key"] for p in purchases}.isdisjoint(cards)
    assert 2 <= len({p["Контрагент_Key"] for p in purchases}) <= 4
    assert all(p["ДокументОснование_Key"] == ZERO and p["Posted"] for p in purchases)
    product = {p.ref_key: p for p in model.products}
    for doc in purchases:
        moment = datetime.fromisoformat(doc["Date"])
        assert doc["Запасы"] and all(not product[x["Номенклатура_Key"]].is_service for x in doc["Запасы"])
        assert all(
            round(x["Цена"] * 100) == product[x["Номенклатура_Key"]].purchase.at(moment)
            for x in doc["Запасы"]
        )
        assert doc["СуммаДокумента"] == pytest.approx(sum(x["Сумма"] for x in doc["Запасы"]), abs=0.005)


INVOICES = {
    "ut11": "Document_СчетНаОплатуКлиенту",
    "bp30": "Document_СчетНаОплатуПокупателю",
    "unf": "Document_СчетНаОплату",
}
RECEIPTS = {
    "ut11": {
        "bank": "Document_ПоступлениеБезналичныхДенежныхСредств",
        "cash": "Document_ПриходныйКассовыйОрдер",
    },
    "bp30": {"bank": "Document_ПоступлениеНаРасчетныйСчет", "cash": "Document_ПриходныйКассовыйОрдер"},
    "unf": {"bank": "Document_ПоступлениеНаСчет", "cash": "Document_ПоступлениеВКассу"},
}
PAYMENT_ROW = {
    "ut11": ("Заказ_Key", "Сумма"),
    "bp30": ("СчетНаОплату_Key", "СуммаПлатежа"),
    "unf": ("СчетНаОплату_Key", "СуммаПлатежа"),
}
EMPTY_DATE = "0001-01-01T00:00:00"


def own_fields(record: dict) -> set[str]:
    return {name for name in record if "@" not in name}  # the JSON's navigation links aside


@pytest.mark.parametrize("configuration", sorted(CONFIGURATION_SETS))
def test_invoices_carry_the_due_date_where_the_configuration_keeps_it(served, companies, http, configuration):
    from sandbox.world.receivables import receivables_of

    expected = {i.ref_key: i for i in receivables_of(companies[configuration].model).invoices}
    served_invoices = read_set(http, served[configuration], INVOICES[configuration])
    assert sorted(r["Ref_Key"] for r in served_invoices) == sorted(expected) and len(expected) > 100
    manager = MANAGER_FIELD[configuration]
    header = {"Ref_Key", "DataVersion", "DeletionMark", "Number", "Date", "Posted", "Контрагент_Key", manager}
    due_field = "ЭтапыГрафикаОплаты" if configuration == "ut11" else "СрокОплаты"
    for record in served_invoices:
        invoice = expected[record["Ref_Key"]]
        order = {"ЗаказКлиента_Key"} if configuration == "ut11" else set()  # УТ 11's invoice names its order
        assert own_fields(record) == header | {"СуммаДокумента", due_field} | order
        assert record.get("ЗаказКлиента_Key", invoice.order_key) == invoice.order_key
        assert (record["Date"], record["Posted"], record["DeletionMark"]) == (
            f"{invoice.date:%Y-%m-%dT%H:%M:%S}",
            invoice.posted,
            invoice.deletion_mark,
        )
        assert (record["Контрагент_Key"], record[manager]) == (invoice.card_key, invoice.manager_key)
        assert round(record["СуммаДокумента"] * 100) == invoice.amount
        due = f"{invoice.due_date}T00:00:00" if invoice.due_date else None
        if configuration == "ut11":  # a one-row payment schedule, none without a due date of its own
            schedule = record[due_field]
            rows = [
                (
                    r["Ref_Key"],
                    r["LineNumber"],
                    r["ДатаПлатежа"],
                    r["ПроцентПлатежа"],
                    r["СуммаПлатежа"] * 100,
                )
                for r in schedule
            ]
            assert rows == ([(invoice.ref_key, "1", due, 100, pytest.approx(invoice.amount))] if due else [])
        else:
            assert record[due_field] == (due or EMPTY_DATE)
    with_due = sum(i.due_date is not None for i in expected.values())
    assert 0 < with_due < len(expected)  # both kinds are there


@pytest.mark.parametrize("configuration", sorted(CONFIGURATION_SETS))
def test_payments_break_down_into_the_invoices_they_pay(served, companies, http, configuration):
    from sandbox.world.receivables import receivables_of

    receivables = receivables_of(companies[configuration].model)
    invoice_keys = {i.ref_key for i in receivables.invoices}
    invoice_field, amount_field = PAYMENT_ROW[configuration]
    bare, naming_an_order = 0, 0
    for kind, entity_set in RECEIPTS[configuration].items():
        expected = {r.ref_key: r for r in receivables.receipts if r.kind == kind}
        records = read_set(http, served[configuration], entity_set)
        assert sorted(r["Ref_Key"] for r in records) == sorted(expected) and len(expected) > 100
        for record in records:
            receipt = expected[record["Ref_Key"]]
            assert record[MANAGER_FIELD[configuration]] == receipt.manager_key
            assert round(record["СуммаДокумента"] * 100) == receipt.amount
            rows = record["РасшифровкаПлатежа"]
            if not rows:  # saved without a breakdown: only a payment that names no invoice
                bare += 1
                assert [p.invoice_key for p in receipt.parts] == [ZERO]
                continue
            assert all(own_fields(r) == {"Ref_Key", "LineNumber", invoice_field, amount_field} for r in rows)
            named = [
                # БП 3.0's and УНФ's field holds an invoice or nothing (a payment naming an order: nothing)
                p.invoice_key if configuration == "ut11" or p.invoice_key in invoice_keys else ZERO
                for p in receipt.parts
            ]
            naming_an_order += sum(r[invoice_field] not in invoice_keys | {ZERO} for r in rows)
            served_rows = [(r["Ref_Key"], r["LineNumber"], r[invoice_field], r[amount_field]) for r in rows]
            assert served_rows == [
                (receipt.ref_key, str(i), key, pytest.approx(part.amount / 100))
                for i, (key, part) in enumerate(zip(named, receipt.parts, strict=True), start=1)
            ]
    assert bare > 0
    # УТ 11's settlement object may be the customer's order; the others' field holds invoices only
    assert (naming_an_order > 0) == (configuration == "ut11")


def test_serve_runs_the_company_in_the_configuration_asked_for(companies):
    model = companies["unf"].model
    command = [sys.executable, "-m", "sandbox.serve", "--scale", "0.02", "--seed", "7", "--sources", "onec"]
    process = subprocess.Popen(
        [*command, "--configuration", "unf"], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        url = process.stdout.readline().strip()
        settings = dict(process.stdout.readline().strip().split("=", 1) for _ in range(3))
        assert settings["SALESPIPE_ONEC_URL"] == url and "SALESPIPE_ONEC_CONFIGURATION" not in settings
        auth = (settings["SALESPIPE_ONEC_USER"], settings["SALESPIPE_ONEC_PASSWORD"])
        count = requests.get(url + "Document_РасходнаяНакладная/$count", auth=auth, timeout=10)
        assert (count.status_code, count.text) == (200, str(len(model.shipments)))
        refused = requests.get(
            url + "Document_РеализацияТоваровУслуг", params={"$format": "json"}, auth=auth, timeout=10
        )
        assert odata_error(refused, 400)[0] == "6"
    finally:
        process.terminate()
        process.wait(timeout=10)
