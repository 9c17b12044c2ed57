"""AmoCrmSource against the amoCRM simulator over loopback: exact record sets, incremental windows,
keyset paging under concurrent edits, call dedupe, 204s, 429s, IP bans, and the OAuth refresh whose
new single-use refresh token is on disk before it is used — with no secret in any error."""

from __future__ import annotations

import json
import logging
import stat
import threading
import time

import pytest
import requests

from connectors.amocrm.client import DEFAULT_RATE_PER_S, EVENT_TYPES, AmoCrmSource, amocrm_http_client
from connectors.errors import AuthError, IpBanned, SourceError
from connectors.oauth_tokens import FileTokenStore, TokenFileError
from sandbox.systems.amocrm.server import AmoCrmSimulator
from tests.amocrm_fixtures import BULK_EDIT_AT, DAY, make_store

CLIENT_ID, CLIENT_SECRET = "cid-7", "csecret-Секрет-42"
REFRESH0, ACCESS0 = "def50200-refresh-0", "access-0"


@pytest.fixture
def store():
    return make_store()


@pytest.fixture
def sim(store):
    settings = dict(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH0, access_token=ACCESS0
    )
    with AmoCrmSimulator(store, **settings, rate_limit=60) as simulator:
        yield simulator


@pytest.fixture
def token_file(tmp_path):
    return tmp_path / "home" / "secrets" / "amocrm_tokens.json"


def make_source(sim, token_file, *, secret=CLIENT_SECRET, rate=40.0, retries=6, token_store=None, **options):
    http = amocrm_http_client(rate_limit_per_s=rate, timeout=5, max_retries=retries, backoff_base=0.01)
    token_store = token_store or FileTokenStore(token_file, initial_refresh_token=REFRESH0)
    return AmoCrmSource(
        sim.base_url,
        token_store=token_store,
        client_id=CLIENT_ID,
        client_secret=secret,
        redirect_uri="https://example.com/amo",
        http=http,
        **options,
    )


def records_of(pages) -> list[dict]:
    return [record for page in pages for record in page.records]


def visible(store, kind) -> list[dict]:
    return [record for record in store[kind] if not record.get("is_deleted")]


def by_updated(store) -> list[int]:
    return [lead["id"] for lead in sorted(visible(store, "leads"), key=lambda r: (r["updated_at"], r["id"]))]


def assert_no_secret(*texts: str, extra: tuple[str, ...] = ()) -> None:
    for text in texts:
        for secret in (CLIENT_SECRET, REFRESH0, ACCESS0, *extra):
            assert secret not in text


# ----------------------------------------------------------------------------------------- reading
def test_streams_are_the_contract_table():
    source = AmoCrmSource("https://x.amocrm.ru/api/v4/", long_lived_token="t")
    table = {spec.name: (spec.mode, spec.key_fields, spec.cursor_field) for spec in source.streams}
    assert table == {
        "users": ("full", ("id",), None),
        "pipelines": ("full", ("id",), None),
        "loss_reasons": ("full", ("id",), None),
        "leads": ("window", ("id",), "updated_at"),
        "contacts": ("window", ("id",), "updated_at"),
        "events": ("window", ("id",), "created_at"),
        "calls": ("window", ("params.uniq",), "updated_at"),
        "tasks": ("window", ("id",), "updated_at"),
    }
    assert source.api_url == "https://x.amocrm.ru/api/v4/" and source.name == "amoCRM"
    assert source.stream("calls").key_of({"params": {"uniq": " u-1 "}}) == "u-1"
    assert source.stream("calls").key_of({"params": {}}) is None


def test_full_read_equals_the_store(sim, store, token_file):
    source = make_source(sim, token_file)
    for name, kind in [("users", "users"), ("pipelines", "pipelines"), ("loss_reasons", "loss_reasons")]:
        pages = list(source.read(name))
        assert records_of(pages) == store[kind] and all(page.cursor is None for page in pages)
    for name in ("leads", "contacts", "tasks"):
        pages = list(source.read(name, None))
        records = records_of(pages)
        expected = {record["id"]: record for record in visible(store, name)}
        assert len(records) == len(expected) and {r["id"] for r in records} == set(expected)
        assert all(record == expected[record["id"]] for record in records)  # exactly as amoCRM sent it
        cursors = [int(page.cursor) for page in pages]
        assert cursors == sorted(cursors) and cursors[-1] == max(r["updated_at"] for r in expected.values())
    leads = records_of(source.read("leads", None))
    assert len(leads) == 595 and all("contacts" in lead["_embedded"] for lead in leads)  # with=contacts
    assert max(int(q["limit"]) for path, q, _ in sim.requests if path == "leads") == 250


def test_incremental_run_reads_only_changes_plus_overlap(sim, store, token_file):
    source = make_source(sim, token_file)
    cursor = [page.cursor for page in source.read("leads", None)][-1]
    changed = by_updated(store)[:3]  # the oldest three get edited now
    for lead_id in changed:
        sim.move_record("leads", lead_id)
    new = dict(store["leads"][0], id=29999999, created_at=int(time.time()), updated_at=int(time.time()))
    with sim.store_lock:
        store["leads"].append(new)
    before = len(sim.requests)
    records = records_of(source.read("leads", cursor))
    lower = int(cursor) - 3600
    expected = {lead["id"] for lead in visible(store, "leads") if lead["updated_at"] >= lower}
    assert {r["id"] for r in records} == expected and len(records) == len(expected) < 10
    assert set(changed) | {new["id"]} <= expected
    query = sim.requests[before][1]
    assert query["filter[updated_at][from]"] == str(lower) and query["order[updated_at]"] == "asc"
    assert int(query["filter[updated_at][to]"]) >= new["updated_at"]


def test_nothing_new_is_a_204_and_no_pages(sim, token_file):
    source = make_source(sim, token_file)
    now = str(int(time.time()))
    for name in ("leads", "contacts", "events", "tasks", "calls"):
        assert list(source.read(name, now)) == []
    assert [status for path, _, status in sim.requests[-6:]] == [204] * 6  # calls: two note lists


def test_events_window_reads_stage_changes_and_deletions(sim, store, token_file):
    pages = list(make_source(sim, token_file).read("events", None))
    records = records_of(pages)
    expected = [e for e in store["events"] if e["type"] in EVENT_TYPES]
    assert sorted(e["id"] for e in records) == sorted(e["id"] for e in expected) and len(records) == 1661
    deleted = sorted(e["entity_id"] for e in records if e["type"] == "lead_deleted")
    assert deleted == sorted(lead["id"] for lead in store["leads"] if lead["is_deleted"])
    assert {e["type"] for e in records} == set(EVENT_TYPES) and pages[-1].cursor == str(
        max(e["created_at"] for e in expected)
    )
    limits = {q["limit"] for path, q, _ in sim.requests if path == "events"}
    assert limits == {"100"}  # amoCRM caps events at 100


def test_calls_are_one_record_per_uniq_and_the_lead_note_wins(sim, store, token_file):
    pages = list(make_source(sim, token_file).read("calls", None))
    calls = records_of(pages)
    lead_calls = {n["params"]["uniq"]: n for n in store["lead_notes"] if n["note_type"] != "common"}
    contact_calls = {n["params"]["uniq"]: n for n in store["contact_notes"]}
    uniqs = [call["params"]["uniq"] for call in calls]
    assert len(uniqs) == len(set(uniqs)) and set(uniqs) == set(lead_calls) | set(contact_calls)
    for call in calls:
        uniq = call["params"]["uniq"]
        if uniq in lead_calls:
            assert call["id"] == lead_calls[uniq]["id"] and call["lead_id"] == call["entity_id"]
            assert call["contact_id"] == (contact_calls[uniq]["entity_id"] if uniq in contact_calls else None)
        else:
            assert call["lead_id"] is None and call["contact_id"] == contact_calls[uniq]["entity_id"]
    both = set(lead_calls) & set(contact_calls)
    assert len(both) > 250 and len(set(contact_calls) - set(lead_calls)) == 4
    # the cursor moves with the last page only: the contact-only calls come last
    assert [page.cursor for page in pages[:-1]] == [None] * (len(pages) - 1) and pages[-1].cursor


def test_a_record_moved_during_paging_is_neither_missed_nor_doubled(sim, store, token_file):
    order = by_updated(store)
    moved = order[10]
    # The edit lands after the first page, stamped with the second the read began: inside the read's frozen
    # window (its upper bound is that moment). Stamped "now" on a loaded machine it could fall after the
    # bound, and then it is next night's read, rightly: not what this test is about.
    began = int(time.time())
    sim.on_request(1, lambda: sim.move_record("leads", moved, at=began), path="leads")
    records = records_of(make_source(sim, token_file).read("leads", None))
    assert {r["id"] for r in records} == set(order) and len(order) == 595  # nothing missed
    versions = [(r["id"], r["updated_at"]) for r in records]
    assert len(versions) == len(set(versions)), "no version is yielded twice"
    # the edit made during the scan is read in the same run (its version before the edit came first)
    moved_versions = [r["updated_at"] for r in records if r["id"] == moved]
    assert len(records) == 596 and moved_versions[-1] == max(moved_versions)
    current = next(lead for lead in sim.store["leads"] if lead["id"] == moved)["updated_at"]
    assert moved_versions[-1] == current
    # with page numbers the record that slid from 251st to 250th place would have been skipped
    assert order[250] in {r["id"] for r in records}


def test_a_bulk_edit_wider_than_a_page_is_read_whole(sim, store, token_file):
    source = make_source(sim, token_file, page_size=10, start_at=BULK_EDIT_AT - 3 * DAY)
    records = records_of(source.read("leads", None))
    expected = [r["id"] for r in visible(store, "leads") if r["updated_at"] >= BULK_EDIT_AT - 3 * DAY]
    assert sorted(r["id"] for r in records) == sorted(expected) and len(records) == len(expected)
    tied = [r for r in records if r["updated_at"] == BULK_EDIT_AT]
    assert len(tied) == 30  # three full pages share one updated_at


# ------------------------------------------------------------------------------ limits and faults
def test_a_429_burst_is_survived(sim, store, token_file, caplog):
    sim.faults.add("leads", kind="429", nth=2, times=3, retry_after=0)
    records = records_of(make_source(sim, token_file).read("leads", None))
    assert len(records) == 595 and len({r["id"] for r in records}) == 595
    assert [status for path, _, status in sim.requests if path == "leads"].count(429) == 3
    retries = [r.getMessage() for r in caplog.records if r.name == "salespipe.http"]
    assert len(retries) == 3 and all(m.startswith("amoCRM stream=leads GET ") and "429" in m for m in retries)


def test_client_stays_under_the_real_rate_limit(store, token_file):
    """The limiter keeps the default client below amoCRM's 7 requests/s: no 429 is ever provoked."""
    settings = dict(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH0)
    with AmoCrmSimulator(store, **settings, rate_limit=7, ban_after=20) as sim:
        started = time.monotonic()
        records = records_of(
            make_source(sim, token_file, rate=DEFAULT_RATE_PER_S, page_size=40).read("leads")
        )
        elapsed = time.monotonic() - started
    statuses = [status for _, _, status in sim.requests]
    assert len(records) == 595 and 429 not in statuses and len(statuses) >= 16
    assert elapsed >= (len(statuses) - 1) / DEFAULT_RATE_PER_S - 0.05


def test_an_ip_ban_says_so_and_stops_calling(store, token_file):
    settings = dict(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH0)
    with AmoCrmSimulator(store, **settings, rate_limit=1, ban_after=2) as sim:
        source = make_source(sim, token_file, rate=None, retries=10)
        with pytest.raises(IpBanned) as caught:
            list(source.read("leads", None))
        text = str(caught.value)
        assert not isinstance(caught.value, AuthError) and caught.value.status == 403 and "\n" not in text
        assert "403 Forbidden — amoCRM has banned this IP for exceeding its rate limit" in text
        assert "not a credentials problem" in text and "CLIENT_SECRET" not in text
        served = len(sim.requests)
        with pytest.raises(IpBanned, match="not called"):
            list(source.read("contacts", None))
        assert len(sim.requests) == served  # no request during the ban


# ---------------------------------------------------------------------------------------- tokens
class ObservedTokenStore(FileTokenStore):
    """The real file store; remembers what the simulator had served when each save happened."""

    def __init__(self, path, sim, **kwargs):
        super().__init__(path, **kwargs)
        self.sim, self.saved_after = sim, []

    def save(self, tokens):
        super().save(tokens)
        self.saved_after.append(self.sim.requests[-1][0])


def test_expired_access_token_is_refreshed_and_the_new_pair_saved_first(sim, token_file, caplog):
    caplog.set_level(logging.DEBUG)
    FileTokenStore(token_file).save(
        {"refresh_token": REFRESH0, "access_token": ACCESS0, "expires_at": int(time.time()) + 86400}
    )
    sim.expire_access_tokens()
    observed = ObservedTokenStore(token_file, sim)
    records = records_of(make_source(sim, token_file, token_store=observed).read("users"))
    assert len(records) == 4
    assert [(path, status) for path, _, status in sim.requests] == [
        ("users", 401),
        ("oauth2/access_token", 200),
        ("users", 200),
    ]
    assert observed.saved_after == ["oauth2/access_token"]  # on disk before the new token was used
    saved = json.loads(token_file.read_text())
    assert (
        saved["refresh_token"] == sim.current_refresh_token != REFRESH0 and saved["access_token"] != ACCESS0
    )
    assert saved["expires_at"] >= int(time.time()) + 86000
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    old = requests.post(
        f"{sim.base_url}oauth2/access_token",
        json={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": REFRESH0,
        },
        timeout=5,
    )
    assert old.status_code == 401 and old.json()["hint"] == "Token has been revoked"
    assert_no_secret(caplog.text, extra=(saved["refresh_token"], saved["access_token"]))


def test_two_runs_with_one_token_file_refresh_once_and_both_go_on(sim, token_file):
    # The refresh token is single-use: without the store's lock both runs would send REFRESH0 and the
    # slower one would be refused ("Token has been revoked"). With it, the second finds the first's pair.
    FileTokenStore(token_file).save({"refresh_token": REFRESH0, "access_token": ACCESS0, "expires_at": 0})
    sources = [make_source(sim, token_file, token_store=FileTokenStore(token_file)) for _ in range(2)]
    start, results = threading.Barrier(2), {}

    def run(number: int) -> None:
        start.wait()
        try:
            results[number] = len(records_of(sources[number].read("users")))
        except Exception as err:  # noqa: BLE001 — reported by the assertion below
            results[number] = repr(err)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == {0: 4, 1: 4}
    refreshes = [status for path, _, status in sim.requests if path == "oauth2/access_token"]
    assert refreshes == [200]
    assert json.loads(token_file.read_text())["refresh_token"] == sim.current_refresh_token


def test_first_run_uses_the_initial_refresh_token_then_the_file(sim, token_file):
    make_source(sim, token_file).read("users").__next__()
    first = json.loads(token_file.read_text())["refresh_token"]
    sim.expire_access_tokens()
    list(make_source(sim, token_file).read("users"))  # the env value REFRESH0 is spent: the file is used
    assert json.loads(token_file.read_text())["refresh_token"] == sim.current_refresh_token != first


def test_token_refresh_is_retried_only_when_amocrm_did_not_act(sim, token_file):
    sim.faults.add("oauth2/access_token", kind="503", retry_after=0)  # refused: safe to repeat
    assert len(records_of(make_source(sim, token_file).read("users"))) == 4
    assert [s for p, _, s in sim.requests if p == "oauth2/access_token"] == [503, 200]


def test_a_lost_refresh_answer_is_not_retried_and_the_next_run_says_why(sim, token_file):
    # amoCRM issued a new pair but the answer was cut: retrying would only present a revoked token
    sim.faults.add("oauth2/access_token", kind="cut")
    with pytest.raises(SourceError, match="cut short") as caught:
        list(make_source(sim, token_file).read("users"))
    assert caught.value.method == "POST" and not token_file.exists()
    assert [p for p, _, _ in sim.requests].count("oauth2/access_token") == 1
    with pytest.raises(AuthError, match="already used or revoked"):
        list(make_source(sim, token_file).read("users"))


def test_wrong_client_secret_is_one_auth_error_line_without_secrets(sim, token_file, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthError) as caught:
        list(make_source(sim, token_file, secret="wrong-Секрет").read("leads", None))
    text = str(caught.value)
    assert "\n" not in text and text == (
        f"amoCRM stream=leads POST {sim.base_url}oauth2/access_token : 401 Unauthorized — token refresh "
        "refused (Client authentication failed): "
        "check SALESPIPE_AMOCRM_CLIENT_ID / SALESPIPE_AMOCRM_CLIENT_SECRET"
    )
    assert_no_secret(text, repr(caught.value), caplog.text, extra=("wrong-Секрет",))
    assert not token_file.exists() and sim.current_refresh_token == REFRESH0  # nothing spent


def test_a_reused_refresh_token_says_to_re_authorize(sim, token_file):
    sim.tokens.exchange(
        {
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH0,
        }
    )
    with pytest.raises(AuthError) as caught:
        list(make_source(sim, token_file).read("users"))
    assert "already used or revoked — re-authorize the integration" in str(caught.value)
    assert_no_secret(str(caught.value))


def test_no_refresh_token_anywhere(sim, token_file):
    with pytest.raises(AuthError, match="set SALESPIPE_AMOCRM_REFRESH_TOKEN for the first run"):
        list(make_source(sim, token_file, token_store=FileTokenStore(token_file)).read("users"))


def test_long_lived_token_is_never_refreshed(store):
    settings = dict(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH0)
    with AmoCrmSimulator(store, **settings, access_token="long-lived-XYZ", rate_limit=None) as sim:
        http = amocrm_http_client(timeout=5, backoff_base=0.01, rate_limit_per_s=None)
        source = AmoCrmSource(sim.base_url, long_lived_token="long-lived-XYZ", http=http)
        assert len(records_of(source.read("users"))) == 4
        sim.expire_access_tokens()
        with pytest.raises(AuthError, match="issue a new SALESPIPE_AMOCRM_TOKEN") as caught:
            list(source.read("users"))
    assert "oauth2/access_token" not in [path for path, _, _ in sim.requests]
    assert "long-lived-XYZ" not in str(caught.value)


# ----------------------------------------------------------------------------------- token file
def test_token_file_load_fallbacks_and_atomic_save(tmp_path):
    path = tmp_path / "s" / "tokens.json"
    assert FileTokenStore(path).load() is None
    assert FileTokenStore(path, initial_refresh_token="r-env").load() == {"refresh_token": "r-env"}
    FileTokenStore(path).save({"refresh_token": "r-1", "access_token": "a-1"})
    assert FileTokenStore(path, initial_refresh_token="r-env").load()["refresh_token"] == "r-1"  # file wins
    FileTokenStore(path).save({"refresh_token": "r-2"})
    assert json.loads(path.read_text()) == {"refresh_token": "r-2"}
    assert [p.name for p in path.parent.iterdir()] == ["tokens.json"]  # no temp file left behind
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "r-2" not in repr(FileTokenStore(path))


def test_a_damaged_token_file_is_named_without_its_content(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text('{"refresh_token": "r-secret-9"')
    with pytest.raises(TokenFileError) as caught:
        FileTokenStore(path, initial_refresh_token="r-env").load()
    assert str(path) in str(caught.value) and "r-secret-9" not in str(caught.value)
