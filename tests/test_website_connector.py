"""The WooCommerce simulator over real loopback HTTP (envelope, headers, filters, `_fields`, errors) and
WebsiteSource against it: exact order sets, incremental windows, an order edited mid-read, retries, clean
auth errors, the (id, version) scan and reads by id; and sync_source into a real DuckDB file, where trashed
and deleted orders become tombstones and a restored one comes back."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import requests

from connectors.http import AuthError, Utf8BasicAuth
from connectors.website.client import WebsiteSource, website_http_client
from flows.extract import sync_source
from flows.settings import load_settings
from flows.sources import configured_sources
from sandbox.systems.website.server import WooCommerceSimulator
from tests.web_fixtures import woo_store

KEY, SECRET = "ck_3f1a9c0e", "cs_9Секрет-d41d8cd98f"
NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)  # the connector's clock: after every stored modification
STORE = woo_store()
IDS = sorted(order["id"] for order in STORE["orders"])
AUTH = Utf8BasicAuth(KEY, SECRET)  # WooCommerce keys are ASCII; this secret tests redaction of UTF-8


@pytest.fixture
def store():
    return copy.deepcopy(STORE)


@pytest.fixture
def sim(store):
    with WooCommerceSimulator(store, consumer_key=KEY, consumer_secret=SECRET) as simulator:
        yield simulator


def get(sim, auth=AUTH, **params):
    return requests.get(f"{sim.base_url}wp-json/wc/v3/orders", params=params, auth=auth, timeout=5)


def make_source(sim, secret=SECRET, sleeps=None, timeout=5.0, **options):
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    http = website_http_client(KEY, secret, timeout=timeout, max_retries=6, backoff_base=0.01, sleep=sleep)
    return WebsiteSource(sim.base_url, KEY, secret, http=http, clock=lambda: NOW, **options)


def read_all(source, cursor=None):
    pages = list(source.read("orders", cursor))
    return pages, [record for page in pages for record in page.records]


def offsets(sim):
    return [
        int(query["offset"]) for name, query, status in sim.requests if name == "orders" and status == 200
    ]


# --------------------------------------------------------------------------------------- simulator
def test_list_is_a_bare_array_with_wp_headers_and_links(sim, store):
    response = get(sim, per_page=10, page=2, orderby="id", order="asc")
    body = response.json()
    assert response.status_code == 200 and isinstance(body, list)
    assert [order["id"] for order in body] == IDS[10:20]
    assert response.headers["X-WP-Total"] == "350" and response.headers["X-WP-TotalPages"] == "35"
    base = f"{sim.base_url}wp-json/wc/v3/orders?per_page=10&orderby=id&order=asc"
    assert response.headers["Link"] == f'<{base}&page=1>; rel="prev", <{base}&page=3>; rel="next"'
    stored = {order["id"]: order for order in store["orders"]}[body[0]["id"]]
    assert {k: v for k, v in body[0].items() if k != "_links"} == stored
    assert body[0]["_links"]["self"][0]["href"].endswith(f"/wp-json/wc/v3/orders/{stored['id']}")
    assert isinstance(body[0]["total"], str) and body[0]["total"].endswith(".00")
    assert "\\u" in response.text and "Иван" not in response.text  # PHP's json_encode escapes Cyrillic


def test_defaults_ten_newest_first_and_status_any_hides_trash(sim, store):
    store["orders"][-1]["status"] = "trash"
    body = get(sim).json()
    expected = sorted(store["orders"][:-1], key=lambda o: (o["date_created_gmt"], o["id"]), reverse=True)
    assert [order["id"] for order in body] == [order["id"] for order in expected[:10]]
    assert get(sim, status="trash").json()[0]["id"] == store["orders"][-1]["id"]


@pytest.mark.parametrize("per_page", [0, 101])
def test_per_page_outside_1_100_is_rest_invalid_param(sim, per_page):
    response = get(sim, per_page=per_page)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "rest_invalid_param" and body["message"] == "Invalid parameter(s): per_page"
    assert body["data"]["status"] == 400
    assert body["data"]["params"] == {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"
    }


def test_page_past_the_end_is_an_empty_array(sim):
    response = get(sim, per_page=100, page=5)
    assert response.status_code == 200 and response.json() == []
    assert response.headers["X-WP-Total"] == "350" and response.headers["X-WP-TotalPages"] == "4"
    assert 'rel="next"' not in response.headers["Link"]


def test_modified_bounds_are_strict_and_local_unless_dates_are_gmt(sim, store):
    pivot = sorted(store["orders"], key=lambda o: o["date_modified_gmt"])[260]
    gmt, local = pivot["date_modified_gmt"], pivot["date_modified"]
    in_gmt = get(sim, per_page=100, dates_are_gmt="true", modified_after=gmt, orderby="id", order="asc")
    expected = sorted(o["id"] for o in store["orders"] if o["date_modified_gmt"] > gmt)
    assert [o["id"] for o in in_gmt.json()] == expected and pivot["id"] not in expected
    in_local = get(sim, per_page=100, modified_after=local, orderby="id", order="asc")
    assert [o["id"] for o in in_local.json()] == expected  # the same instant in site time (+03:00)
    shifted = get(sim, per_page=100, modified_after=gmt, orderby="id", order="asc")  # GMT digits as local
    assert len(shifted.json()) > len(expected)
    assert get(sim, modified_after="yesterday").json()["data"]["params"] == {
        "modified_after": "Invalid date."
    }


def test_status_list_include_and_offset(sim, store):
    wanted = {"completed", "refunded"}
    body = get(sim, per_page=100, status="completed,refunded", orderby="id", order="asc").json()
    assert {o["status"] for o in body} == wanted
    both = [("status[]", "completed"), ("status[]", "refunded"), ("per_page", "100"), ("orderby", "id")]
    response = requests.get(
        f"{sim.base_url}wp-json/wc/v3/orders", params=both, auth=Utf8BasicAuth(KEY, SECRET), timeout=5
    )
    assert response.headers["X-WP-Total"] == str(sum(o["status"] in wanted for o in store["orders"]))
    assert [o["id"] for o in get(sim, include=f"{IDS[3]},{IDS[1]}", orderby="id").json()] == [IDS[3], IDS[1]]
    assert [o["id"] for o in get(sim, offset=7, per_page=2, orderby="id", order="asc").json()] == IDS[7:9]
    as_array = [("include[]", str(IDS[5])), ("include[]", str(IDS[2])), ("orderby", "id"), ("order", "asc")]
    response = requests.get(f"{sim.base_url}wp-json/wc/v3/orders", params=as_array, auth=AUTH, timeout=5)
    assert [o["id"] for o in response.json()] == [IDS[2], IDS[5]]
    sim.trash_order(IDS[2])  # `include` does not reach past status=any
    assert [o["id"] for o in get(sim, include=f"{IDS[2]},{IDS[5]}").json()] == [IDS[5]]


def test_fields_trims_every_order_to_the_named_fields_and_leaves_the_totals(sim, store):
    full = get(sim, per_page=100, orderby="id", order="asc")
    trimmed = get(sim, per_page=100, orderby="id", order="asc", _fields="id,date_modified_gmt")
    by_id = {order["id"]: order for order in store["orders"]}
    assert trimmed.json() == [
        {"id": i, "date_modified_gmt": by_id[i]["date_modified_gmt"]} for i in IDS[:100]
    ]
    assert trimmed.headers["X-WP-Total"] == full.headers["X-WP-Total"] == "350"
    assert len(trimmed.content) * 20 < len(full.content)
    nested = [("_fields[]", "id"), ("_fields[]", "billing.email"), ("orderby", "id"), ("order", "asc")]
    body = requests.get(f"{sim.base_url}wp-json/wc/v3/orders", params=nested, auth=AUTH, timeout=5).json()
    assert body[0] == {"id": IDS[0], "billing": {"email": by_id[IDS[0]]["billing"]["email"]}}
    one = requests.get(f"{sim.base_url}wp-json/wc/v3/orders/{IDS[0]}?_fields=status", auth=AUTH, timeout=5)
    assert one.json()["status"] == by_id[IDS[0]]["status"] and set(one.json()) == {"status", "_links"}


def test_basic_auth_errors_name_the_cause(sim):
    def error(auth):
        response = get(sim, auth=auth)
        assert response.status_code == 401
        return response.json()

    assert error(None) == {
        "code": "woocommerce_rest_cannot_view",
        "message": "Sorry, you cannot list resources.",
        "data": {"status": 401},
    }
    assert error(Utf8BasicAuth("ck_wrong", SECRET))["message"] == "Consumer key is invalid."
    assert error((KEY, "cs_wrong"))["code"] == "woocommerce_rest_authentication_error"
    assert get(sim, auth=None, consumer_key=KEY, consumer_secret=SECRET).status_code == 200


# --------------------------------------------------------------------------------------- connector
def test_stream_contract():
    source = WebsiteSource("https://shop.example", KEY, SECRET)
    [spec] = source.streams
    assert (source.name, spec.name, spec.mode, spec.key_fields, spec.cursor_field) == (
        "website",
        "orders",
        "window",
        ("id",),
        "date_modified_gmt",
    )
    with pytest.raises(ValueError, match="no stream 'leads'"):
        source.read("leads")


def test_first_run_reads_every_order_once_in_id_order(sim, store):
    pages, records = read_all(make_source(sim))
    assert [len(page.records) for page in pages] == [100, 100, 100, 50]
    assert [record["id"] for record in records] == IDS
    by_id = {order["id"]: order for order in store["orders"]}
    assert all(record == by_id[record["id"]] for record in records)  # as sent, minus _links
    latest = max(order["date_modified_gmt"] for order in store["orders"])
    assert [page.cursor for page in pages] == [None, None, None, latest]
    first = sim.requests[0][1]
    assert first == {
        "dates_are_gmt": "true",
        "modified_before": "2024-07-01T12:00:00",
        "orderby": "id",
        "order": "asc",
        "per_page": "100",
        "offset": "0",
    }


def test_second_run_reads_the_edited_orders_and_the_overlap(sim, store):
    source = make_source(sim)
    cursor = read_all(source)[0][-1].cursor
    edited = [IDS[5], IDS[120], IDS[300]]
    when = datetime(2024, 6, 30, 9, 30, tzinfo=UTC)
    for n, order_id in enumerate(edited):
        sim.touch_order(order_id, when + timedelta(minutes=n), status="completed")
    pages, records = read_all(source, cursor)
    overlap_from = (datetime.fromisoformat(cursor) - timedelta(minutes=60)).isoformat()
    in_overlap = {o["id"] for o in STORE["orders"] if o["date_modified_gmt"] > overlap_from}
    assert {record["id"] for record in records} == set(edited) | in_overlap and in_overlap
    assert all(r["status"] == "completed" for r in records if r["id"] in edited)
    assert pages[-1].cursor == "2024-06-30T09:32:00" > cursor
    assert sim.requests[-1][1]["modified_after"] == overlap_from


def test_order_edited_while_paging_is_neither_skipped_nor_lost(sim, store):
    sim.faults.add(entity_set="orders", kind="hold", nth=2)
    result = {}
    reader = threading.Thread(target=lambda: result.update(pages=read_all(make_source(sim, page_size=50))))
    reader.start()
    assert sim.faults.wait_until_held()
    sim.touch_order(IDS[10], NOW + timedelta(minutes=5))  # leaves the window: after modified_before
    sim.faults.release()
    reader.join(timeout=10)
    records = result["pages"][1]
    assert sorted(record["id"] for record in records) == IDS and len(records) == 350
    assert offsets(sim)[:4] == [0, 50, 49, 99]  # X-WP-Total fell by one: step back one place


def test_page_size_above_100_is_clamped_with_a_warning(sim, caplog):
    records = read_all(make_source(sim, page_size=250))[1]
    assert len(records) == 350 and "page_size 250 is above WooCommerce's maximum" in caplog.text
    assert {query["per_page"] for _, query, _ in sim.requests} == {"100"}
    assert {status for _, _, status in sim.requests} == {200}


def test_start_date_bounds_the_first_run(sim, store):
    records = read_all(make_source(sim, start_date="2024-06-01"))[1]
    expected = sorted(o["id"] for o in store["orders"] if o["date_modified_gmt"] > "2024-06-01T00:00:00")
    assert [record["id"] for record in records] == expected
    assert sim.requests[0][1]["modified_after"] == "2024-06-01T00:00:00"


def test_run_survives_429_503_timeout_and_cut_honouring_retry_after(sim, caplog):
    sim.faults.add(entity_set="orders", kind="429", nth=2, retry_after=1)
    sim.faults.add(entity_set="orders", kind="503", nth=3, retry_after=2)
    sim.faults.add(entity_set="orders", kind="timeout", nth=4, delay=1.5)
    sim.faults.add(entity_set="orders", kind="cut", nth=5)
    sleeps: list[float] = []
    records = read_all(make_source(sim, sleeps=sleeps, timeout=0.5))[1]
    assert [record["id"] for record in records] == IDS
    assert sleeps[:2] == [1.0, 2.0] and len(sleeps) == 4 and max(sleeps[2:]) < 0.1
    retries = [r.getMessage() for r in caplog.records if r.name == "salespipe.http"]
    causes = ["429 Too Many Requests", "503 Service Unavailable", "no answer within 0.5s", "cut short"]
    assert all(cause in line for cause, line in zip(causes, retries, strict=True))
    assert all(line.startswith("website stream=orders GET ") and "offset=100" in line for line in retries)


def test_wrong_secret_is_one_clear_line_without_the_secret(sim, caplog):
    with pytest.raises(AuthError) as caught:
        read_all(make_source(sim, secret="cs_wrong-Секрет"))
    text = str(caught.value)
    assert "\n" not in text and text.startswith(
        f"website stream=orders GET {sim.base_url}wp-json/wc/v3/orders?"
    )
    assert text.endswith(
        ": 401 Unauthorized: Consumer secret is invalid. (woocommerce_rest_authentication_error)"
        " — check SALESPIPE_WEBSITE_KEY / SALESPIPE_WEBSITE_SECRET"
    )
    assert "cs_wrong-Секрет" not in text + caplog.text and SECRET not in text
    assert len(sim.requests) == 1  # a wrong secret is not retried


# --------------------------------------------------------------------------------------- scan and keys
def test_scan_lists_every_visible_id_and_version_in_id_order_across_pages(sim, store):
    sim.trash_order(IDS[7])
    pages = list(make_source(sim, page_size=20).scan_versions("orders"))
    visible = sorted((o for o in store["orders"] if o["status"] != "trash"), key=lambda o: o["id"])
    assert [pair for page in pages for pair in page] == [
        (str(o["id"]), o["date_modified_gmt"]) for o in visible
    ]
    assert [len(page) for page in pages] == [100, 100, 100, 49]
    assert sim.requests[0][1] == {
        "status": "any",
        "orderby": "id",
        "order": "asc",
        "per_page": "100",
        "_fields": "id,date_modified_gmt",
        "offset": "0",
    }


def test_read_keys_returns_exactly_the_requested_live_orders(sim, store, caplog):
    wanted = IDS[::2]  # 175 ids: two requests
    sim.trash_order(wanted[3])
    sim.delete_order(wanted[4])
    keys = [str(order_id) for order_id in reversed(wanted)] + ["not-an-id"]
    pages = list(make_source(sim).read_keys("orders", keys))
    by_id = {order["id"]: order for order in store["orders"]}
    live = [i for i in wanted if i not in (wanted[3], wanted[4])]
    ids = [[record["id"] for record in page.records] for page in pages]
    assert sorted(ids[0] + ids[1]) == sorted(live) and all(page == sorted(page) for page in ids)
    assert all(record == by_id[record["id"]] for page in pages for record in page.records)
    assert [page.cursor for page in pages] == [None, None]
    included = [query["include"].split(",") for _, query, _ in sim.requests]
    assert [len(ids) for ids in included] == [100, 75] and "skipping 'not-an-id'" in caplog.text


# --------------------------------------------------------------------------------------- into DuckDB
class Warehouse:
    """sync_source with the website as flows/sources.py configures it, into one DuckDB file."""

    def __init__(self, sim, folder, env):
        self.sim, self.file, self.runs = sim, folder / "warehouse.duckdb", 0
        env.setenv("SALESPIPE_HOME", str(folder))
        env.setenv("SALESPIPE_WEBSITE_URL", sim.base_url)
        env.setenv("SALESPIPE_WEBSITE_KEY", KEY)
        env.setenv("SALESPIPE_WEBSITE_SECRET", SECRET)
        [(self.source_id, self.source, self.options)] = configured_sources(load_settings(env_file=None))

    def sync(self) -> tuple[int, list[dict]]:
        """(records landed, the queries this sync sent)."""
        self.runs, before = self.runs + 1, len(self.sim.requests)
        with duckdb.connect(str(self.file)) as con:
            result = sync_source(
                con, self.source, run_id=f"r{self.runs}", source_id="website", **self.options
            )
        assert result.ok, result.error
        return result.streams[0].records_landed, [query for _, query, _ in self.sim.requests[before:]]

    def latest(self) -> dict[int, tuple[bool, str | None]]:
        """order id -> (tombstone?, status) of its latest landed row."""
        with duckdb.connect(str(self.file), read_only=True) as con:
            rows = con.execute(
                """select _id, _deleted, _data ->> 'status' from raw_website.orders
                   qualify row_number() over (partition by _id order by _loaded_seq desc) = 1"""
            ).fetchall()
        return {int(key): (deleted, status) for key, deleted, status in rows}


def test_sync_tombstones_trashed_and_deleted_orders_and_brings_a_restored_one_back(
    sim, store, tmp_path, monkeypatch
):
    warehouse = Warehouse(sim, tmp_path, monkeypatch)
    assert warehouse.options == {"version_field": "date_modified_gmt", "reconcile": True}
    assert warehouse.sync()[0] == 350
    landed, queries = warehouse.sync()  # nothing changed: the overlap is re-read, nothing else
    assert landed == 0 and not [q for q in queries if "include" in q]
    assert len([q for q in queries if "_fields" in q]) == 4  # the scan: 350 orders, 100 a request

    trashed, deleted, edited = IDS[40], IDS[41], IDS[42]
    sim.trash_order(trashed, datetime(2024, 7, 2, 8, 0, tzinfo=UTC))
    sim.delete_order(deleted)
    # Edited long before the cursor (a plugin's bulk fix keeping an old stamp): only the scan sees it.
    sim.touch_order(edited, datetime(2023, 12, 1, 9, 0, tzinfo=UTC), customer_note="перезвонить")
    landed, queries = warehouse.sync()
    assert landed == 3
    assert [q["include"] for q in queries if "include" in q] == [str(edited), f"{trashed},{deleted}"]
    latest = warehouse.latest()
    assert latest[trashed] == latest[deleted] == (True, None)
    assert latest[edited] == (False, store_status(store, edited)) and len(latest) == 350
    with duckdb.connect(str(warehouse.file), read_only=True) as con:
        note = con.execute(
            "select _data ->> 'customer_note' from raw_website.orders where _id = ? and _batch_id = 'r3'",
            [str(edited)],
        ).fetchone()[0]
    assert note == "перезвонить"

    restored = sim.restore_order(trashed, datetime(2024, 7, 3, 10, 0, tzinfo=UTC))
    landed, queries = warehouse.sync()
    assert landed == 1 and not [q for q in queries if "include" in q]  # back through the window
    assert warehouse.latest()[trashed] == (False, restored["status"]) and restored["status"] != "trash"
    assert warehouse.sync()[0] == 0


def store_status(store, order_id) -> str:
    return next(order["status"] for order in store["orders"] if order["id"] == order_id)
