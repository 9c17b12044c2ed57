"""The amoCRM simulator over real HTTP on loopback: HAL envelopes, 204, limits, filters, `with=`,
deleted leads, Bearer auth, single-use refresh tokens, rate limit → 429 → 403 ban, faults."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox.systems.amocrm.server import AmoCrmSimulator
from tests.amocrm_fixtures import LOST, UNSORTED, WON, make_store

CLIENT_ID, CLIENT_SECRET, REFRESH, ACCESS = "cid-1", "csecret-Ключ", "def502-r0", "access-a0"
STORE = make_store()
VISIBLE_LEADS = sorted(lead["id"] for lead in STORE["leads"] if not lead["is_deleted"])
DELETED_LEADS = sorted(lead["id"] for lead in STORE["leads"] if lead["is_deleted"])


def new_sim(**options) -> AmoCrmSimulator:
    settings = dict(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH, access_token=ACCESS
    )
    return AmoCrmSimulator(make_store(), **(settings | {"rate_limit": None} | options))


@pytest.fixture(scope="module")
def sim():
    with new_sim() as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _no_faults_left(request):
    yield
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").faults.clear()


@pytest.fixture(scope="module")
def http():
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {ACCESS}"
        yield session


def get(http, sim, path, params=None) -> requests.Response:
    return http.get(f"{sim.base_url}api/v4/{path}", params=params, timeout=5)


def ids(response) -> list:
    assert response.status_code == 200, response.text
    return [record["id"] for record in response.json()["_embedded"][path_key(response)]]


def path_key(response) -> str:
    return next(iter(response.json()["_embedded"]))


def all_ids(http, sim, path, params) -> list:
    found, page = [], 1
    while (response := get(http, sim, path, {**params, "page": page})).status_code == 200:
        found += ids(response)
        page += 1
    assert response.status_code == 204
    return found


def oauth(sim, body: dict, as_json=True) -> requests.Response:
    url = f"{sim.base_url}oauth2/access_token"
    return requests.post(url, json=body, timeout=5) if as_json else requests.post(url, data=body, timeout=5)


def refresh_body(token: str, secret: str = CLIENT_SECRET) -> dict:
    return {
        "client_id": CLIENT_ID,
        "client_secret": secret,
        "grant_type": "refresh_token",
        "refresh_token": token,
        "redirect_uri": "https://example.com/amo",
    }


# ------------------------------------------------------------------------------- lists and envelopes
def test_hal_envelope_pages_and_links(sim, http):
    first = get(http, sim, "leads", {"limit": 250, "page": 1})
    assert first.headers["Content-Type"].startswith("application/hal+json")
    body = first.json()
    assert body["_page"] == 1 and list(body["_links"]) == ["self", "next", "first"]
    assert body["_links"]["next"]["href"].startswith(f"{sim.base_url}api/v4/leads?page=2&limit=250")
    assert ids(first) == VISIBLE_LEADS[:250]  # default order: id ascending
    last = get(http, sim, "leads", {"limit": 250, "page": 3}).json()
    assert last["_page"] == 3 and "next" not in last["_links"] and "page=2&" in last["_links"]["prev"]["href"]
    assert len(last["_embedded"]["leads"]) == len(VISIBLE_LEADS) - 500 == 95


def test_empty_result_is_204_with_no_body(sim, http):
    response = get(http, sim, "leads", {"filter[updated_at][from]": 4102444800})
    assert response.status_code == 204 and response.content == b"" and "Content-Type" not in response.headers
    assert get(http, sim, "leads", {"page": 99}).status_code == 204
    assert get(http, sim, "leads/123").status_code == 204  # a missing id is a 204 too


@pytest.mark.parametrize(
    ("path", "cap"), [("leads", 250), ("contacts", 250), ("tasks", 250), ("events", 100)]
)
def test_limit_is_capped_with_a_problem_json(sim, http, path, cap):
    assert get(http, sim, path, {"limit": cap}).status_code == 200
    response = get(http, sim, path, {"limit": cap + 1})
    assert response.status_code == 400 and response.headers["Content-Type"].startswith(
        "application/problem+json"
    )
    body = response.json()
    assert (body["status"], body["title"], body["detail"]) == (
        400,
        "Bad Request",
        "Request validation failed",
    )
    assert body["validation-errors"][0]["errors"][0]["path"] == "limit"


def test_with_contacts_and_loss_reason(sim, http):
    lost = next(lead for lead in STORE["leads"] if lead["status_id"] == LOST and not lead["is_deleted"])
    params = {"filter[id][]": lost["id"]}

    def embedded(with_=None):
        response = get(http, sim, "leads", params | ({"with": with_} if with_ else {}))
        return response.json()["_embedded"]["leads"][0]["_embedded"]

    assert set(embedded()) == {"tags", "companies"}
    assert embedded("contacts")["contacts"] == lost["_embedded"][
        "contacts"
    ] and "loss_reason" not in embedded("contacts")
    both = embedded("contacts,loss_reason")
    assert both["loss_reason"][0]["id"] == lost["loss_reason_id"] and both["contacts"][0]["is_main"] is True


def test_deleted_leads_are_hidden_unless_only_deleted(sim, http):
    assert sorted(all_ids(http, sim, "leads", {"limit": 250})) == VISIBLE_LEADS
    assert ids(get(http, sim, "leads", {"with": "only_deleted"})) == DELETED_LEADS and len(DELETED_LEADS) == 5
    assert get(http, sim, f"leads/{DELETED_LEADS[0]}").status_code == 204


def test_window_filters_are_inclusive_and_order_is_honoured(sim, http):
    low, high = 1704067200, 1706745600  # January 2024
    params = {"filter[updated_at][from]": low, "filter[updated_at][to]": high, "order[updated_at]": "desc"}
    found = get(http, sim, "leads", params | {"limit": 250}).json()["_embedded"]["leads"]
    expected = [r for r in STORE["leads"] if low <= r["updated_at"] <= high and not r["is_deleted"]]
    assert [r["updated_at"] for r in found] == sorted((r["updated_at"] for r in expected), reverse=True)
    assert 0 < len(found) < 250
    created = {"filter[created_at][from]": low, "filter[created_at][to]": low + 86400 * 7, "limit": 250}
    assert sorted(ids(get(http, sim, "contacts", created))) == sorted(
        c["id"]
        for c in STORE["contacts"]
        if low <= c["created_at"] <= low + 86400 * 7 and not c["is_deleted"]
    )
    two = VISIBLE_LEADS[10:12]
    assert ids(get(http, sim, "leads", [("filter[id][]", two[1]), ("filter[id][]", two[0])])) == two


def test_unsupported_order_is_ignored_like_the_real_api(sim, http):
    # amoCRM sorts tasks by created_at, complete_till or id only
    tasks = get(http, sim, "tasks", {"order[updated_at]": "desc", "limit": 50}).json()["_embedded"]["tasks"]
    assert [t["id"] for t in tasks] == sorted(t["id"] for t in STORE["tasks"])[:50]


def test_event_filters_by_type_and_entity(sim, http):
    deleted = get(http, sim, "events", {"filter[type][0]": "lead_deleted", "limit": 100}).json()
    assert sorted(e["entity_id"] for e in deleted["_embedded"]["events"]) == DELETED_LEADS
    both = all_ids(http, sim, "events", {"filter[type]": "lead_deleted,contact_deleted", "limit": 100})
    assert len(both) == 6 and all(isinstance(event_id, str) for event_id in both)
    contact = get(http, sim, "events", {"filter[entity]": "contact"}).json()["_embedded"]["events"]
    assert [e["type"] for e in contact] == ["contact_deleted"]
    changes = get(http, sim, "events", {"filter[type][]": "lead_status_changed", "limit": 100}).json()
    event = changes["_embedded"]["events"][0]
    assert (
        set(event["value_after"][0]["lead_status"]) == {"id", "pipeline_id"}
        and event["entity_type"] == "lead"
    )
    stamps = [e["created_at"] for e in changes["_embedded"]["events"]]
    assert stamps == sorted(stamps, reverse=True)  # the event feed is newest first


def test_notes_filter_by_note_type(sim, http):
    calls_in = all_ids(http, sim, "leads/notes", {"filter[note_type]": "call_in", "limit": 250})
    assert sorted(calls_in) == sorted(n["id"] for n in STORE["lead_notes"] if n["note_type"] == "call_in")
    both = all_ids(
        http, sim, "contacts/notes", {"filter[note_type][0]": "call_in", "filter[note_type][1]": "call_out"}
    )
    assert len(both) == len(STORE["contact_notes"])
    assert get(http, sim, "leads/notes", {"filter[note_type]": "common"}).json()["_embedded"]["notes"][0][
        "params"
    ] == {"text": "Клиент просил перезвонить"}


def test_pipelines_account_and_catalogs(sim, http):
    body = get(http, sim, "leads/pipelines").json()
    assert body["_total_items"] == 2 and "_page" not in body
    sales = body["_embedded"]["pipelines"][0]
    statuses = {s["id"]: s for s in sales["_embedded"]["statuses"]}
    assert {WON, LOST, UNSORTED} <= set(statuses) and statuses[UNSORTED]["type"] == 1
    assert statuses[WON]["name"] == "Успешно реализовано" and sales["is_main"] is True
    assert get(http, sim, "account").json()["timezone"] == "Europe/Moscow"
    assert len(ids(get(http, sim, "users"))) == 4 and len(ids(get(http, sim, "leads/loss_reasons"))) == 4


def test_requests_are_recorded_with_path_query_and_status(sim, http):
    get(http, sim, "contacts/notes", {"limit": 3, "filter[note_type][]": "call_in"})
    assert sim.requests[-1] == ("contacts/notes", {"limit": "3", "filter[note_type][]": "call_in"}, 200)


# ------------------------------------------------------------------------------------------ auth
def test_bearer_token_required():
    with new_sim() as sim:
        url = f"{sim.base_url}api/v4/leads"
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": f"Basic {ACCESS}"}):
            response = requests.get(url, headers=headers, timeout=5)
            assert response.status_code == 401 and response.json()["status"] == 401
            assert response.headers["Content-Type"].startswith("application/problem+json")
        good = {"Authorization": f"Bearer {ACCESS}"}
        assert requests.get(url, headers=good, timeout=5).status_code == 200
        sim.expire_access_tokens()
        assert requests.get(url, headers=good, timeout=5).status_code == 401


def test_refresh_tokens_are_single_use():
    with new_sim() as sim:
        issued = oauth(sim, refresh_body(REFRESH))
        assert issued.status_code == 200
        pair = issued.json()
        assert set(pair) == {"token_type", "expires_in", "access_token", "refresh_token"}
        assert pair["token_type"] == "Bearer" and pair["expires_in"] == 86400
        assert pair["refresh_token"] == sim.current_refresh_token != REFRESH
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        assert requests.get(f"{sim.base_url}api/v4/users", headers=headers, timeout=5).status_code == 200
        reused = oauth(sim, refresh_body(REFRESH))
        assert reused.status_code == 401 and reused.json()["hint"] == "Token has been revoked"
        assert set(reused.json()) == {"hint", "title", "type", "status", "detail"}
        again = oauth(sim, refresh_body(pair["refresh_token"]), as_json=False)  # form-encoded works too
        assert again.status_code == 200 and again.json()["refresh_token"] != pair["refresh_token"]


def test_wrong_client_secret_does_not_consume_the_refresh_token():
    with new_sim() as sim:
        refused = oauth(sim, refresh_body(REFRESH, secret="wrong"))
        assert refused.status_code == 401 and refused.json()["hint"] == "Client authentication failed"
        assert sim.current_refresh_token == REFRESH and oauth(sim, refresh_body(REFRESH)).status_code == 200


# ------------------------------------------------------------------------------ limits and faults
def test_rate_limit_429_then_ip_ban_with_nginx_html():
    with new_sim(rate_limit=2, ban_after=3) as sim, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {ACCESS}"
        statuses = [session.get(f"{sim.base_url}api/v4/users", timeout=5).status_code for _ in range(8)]
        assert statuses == [200, 200, 429, 429, 429, 429, 403, 403]
        banned = session.get(f"{sim.base_url}api/v4/leads", timeout=5)
        assert (
            banned.headers["Content-Type"].startswith("text/html") and "<center>nginx</center>" in banned.text
        )
        assert oauth(sim, refresh_body(REFRESH)).status_code == 403  # the whole IP, OAuth included
        sim.unban()
        assert session.get(f"{sim.base_url}api/v4/users", timeout=5).status_code == 200


def test_rate_window_slides_after_a_second():
    with new_sim(rate_limit=3) as sim, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {ACCESS}"
        first = [session.get(f"{sim.base_url}api/v4/users", timeout=5).status_code for _ in range(4)]
        time.sleep(1.05)
        assert first == [200, 200, 200, 429]
        assert session.get(f"{sim.base_url}api/v4/users", timeout=5).status_code == 200


def test_faults_match_the_api_path(sim, http):
    sim.faults.add("leads", kind="429", retry_after=2)
    limited = get(http, sim, "leads")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert get(http, sim, "contacts").status_code == 200 and get(http, sim, "leads").status_code == 200
    sim.faults.add("users", kind="cut")
    with pytest.raises(requests.exceptions.RequestException):
        get(http, sim, "users").json()


def test_a_record_moved_while_paging_shifts_page_numbers(http):
    """The hazard the connector's keyset paging exists for: page=2 after an edit skips a record."""
    upper = 1800000000
    params = {"limit": 100, "order[updated_at]": "asc", "filter[updated_at][to]": upper}
    with new_sim() as sim:
        before = ids(get(http, sim, "leads", params | {"page": 1}))
        moved, shifted = before[10], all_ids(http, sim, "leads", {**params, "limit": 250})[100]
        sim.on_request(1, lambda: sim.move_record("leads", moved, at=upper), path="leads")
        page1 = ids(get(http, sim, "leads", params | {"page": 1}))  # the edit lands right after this page
        page2 = ids(get(http, sim, "leads", params | {"page": 2}))
        assert page1 == before and shifted not in page1 + page2  # skipped by page numbers
        assert ids(get(http, sim, "leads", params | {"page": 1}))[99] == shifted
        with sim.store_lock:
            assert next(r for r in sim.store["leads"] if r["id"] == moved)["updated_at"] == upper
