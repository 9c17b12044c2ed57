"""The 1C OData simulator over real HTTP on loopback: paths, formats, errors, auth, faults, live data."""

import base64
import copy
import threading
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
import requests

from sandbox.systems.onec.server import OneCSimulator

USER, PASSWORD = "odata", "s3cret"
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
    assert sets == set(STORE)


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
