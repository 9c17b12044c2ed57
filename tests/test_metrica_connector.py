"""The Metrica simulator over real loopback HTTP (report envelope, 1-based offset, limits, auth, quota) and
MetricaSource against it: sums equal the store's, revisited days, small pages, sampling, clean errors."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import requests

from connectors.http import AuthError, RateLimited
from connectors.metrica.client import (
    MetricaSource,
    QuotaExhausted,
    classify_metrica_error,
    metrica_http_client,
    month_ranges,
)
from sandbox.systems.metrica.server import MetricaSimulator
from tests.web_fixtures import COUNTER_ID, metrica_store

TOKEN = "y0_AgAAAAB4f2a9Qe-secret"  # Yandex OAuth tokens are ASCII (a header is latin-1)
NOW = datetime(2024, 7, 1, 9, 0, tzinfo=UTC)  # 12:00 in Moscow: yesterday = 2024-06-30, the last stored day
STORE = metrica_store()
DIMENSIONS = "ym:s:lastTrafficSource,ym:s:UTMSource,ym:s:UTMMedium,ym:s:UTMCampaign,ym:s:date"
KEY = ("date", "traffic_source_id", "utm_source", "utm_medium", "utm_campaign")


@pytest.fixture
def store():
    return copy.deepcopy(STORE)


@pytest.fixture
def sim(store):
    with MetricaSimulator(store, token=TOKEN, clock=lambda: NOW) as simulator:
        yield simulator


def report(sim, token=TOKEN, **params):
    query = {"ids": COUNTER_ID, "metrics": "ym:s:visits,ym:s:users", "dimensions": DIMENSIONS, **params}
    headers = {"Authorization": f"OAuth {token}"} if token else {}
    return requests.get(f"{sim.base_url}stat/v1/data", params=query, headers=headers, timeout=5)


def make_source(sim, start="2022-07-01", sleeps=None, token=TOKEN, timeout=5.0, **options):
    sleep = sleeps.append if sleeps is not None else (lambda seconds: None)
    http = metrica_http_client(token, timeout=timeout, max_retries=6, backoff_base=0.01, sleep=sleep)
    return MetricaSource(
        sim.base_url, token, COUNTER_ID, start_date=start, http=http, clock=lambda: NOW, **options
    )


def read_all(source, cursor=None):
    pages = list(source.read("visits", cursor))
    return pages, [record for page in pages for record in page.records]


def keyed(rows) -> dict[tuple, tuple[int, int]]:
    return {tuple(row[k] or "" for k in KEY): (row["visits"], row["users"]) for row in rows}


def visits_by_day_and_source(rows) -> Counter:
    sums = Counter()
    for row in rows:
        sums[row["date"], row["traffic_source_id"]] += row["visits"]
    return sums


def ranges(sim):
    return [(q["date1"], q["date2"], q["offset"]) for name, q, status in sim.requests if status == 200]


# --------------------------------------------------------------------------------------- simulator
def test_report_envelope_and_dimension_values(sim, store):
    body = report(sim, date1="2024-01-15", date2="2024-01-15", metrics="ym:s:users,ym:s:visits").json()
    head = ["query", "data", "total_rows", "total_rows_rounded", "sampled", "contains_sensitive_data"]
    assert list(body)[:6] == head and {"data_lag", "totals", "min", "max", "sample_share"} <= set(body)
    query = body["query"]
    assert (query["ids"], query["metrics"], query["limit"], query["offset"], query["sort"]) == (
        [COUNTER_ID], ["ym:s:users", "ym:s:visits"], 100, 1, ["-ym:s:users"])  # fmt: skip
    day = [row for row in store["visits"] if row["date"] == "2024-01-15"]
    assert body["total_rows"] == len(day) and body["sampled"] is False and body["sample_share"] == 1
    assert body["totals"] == [float(sum(r["users"] for r in day)), float(sum(r["visits"] for r in day))]
    rows = {tuple(d["name"] for d in row["dimensions"][1:4]): row for row in body["data"]}
    brand = rows["yandex", "cpc", "brand"]
    ad = {"name": "Переходы по рекламе", "icon_id": "3", "icon_type": "traffic-source", "id": "ad"}
    assert brand["dimensions"][0] == ad and brand["dimensions"][4] == {"name": "2024-01-15"}
    stored = next(r for r in day if (r["utm_source"], r["utm_campaign"]) == ("yandex", "brand"))
    assert brand["metrics"] == [
        float(stored["users"]),
        float(stored["visits"]),
    ]  # doubles, in the order asked
    direct = next(r for r in body["data"] if r["dimensions"][0]["id"] == "direct")
    assert direct["dimensions"][1:4] == [{"name": None}] * 3
    users = [row["metrics"][0] for row in body["data"]]
    assert users == sorted(users, reverse=True)  # default sort: the first metric, descending


def test_offset_is_one_based_and_limits_are_checked(sim):
    day = {"date1": "2024-02-01", "date2": "2024-02-01", "sort": "ym:s:UTMCampaign"}
    rows = report(sim, limit=100, **day).json()["data"]
    assert report(sim, limit=3, offset=1, **day).json()["data"] == rows[0:3]
    assert report(sim, limit=3, offset=3, **day).json()["data"] == rows[2:5]
    for params, text in [
        ({"offset": 0}, "offset"),
        ({"limit": 100_001}, "limit"),
        ({"metrics": ",".join(["ym:s:visits"] * 21)}, "Too many metrics"),
        ({"dimensions": ",".join(["ym:s:date"] * 11)}, "Too many dimensions"),
        ({"metrics": "ym:s:bounceRateX"}, "ym:s:bounceRateX"),
    ]:
        response = report(sim, **day, **params)
        assert response.status_code == 400 and text in response.json()["errors"][0]["message"]
        assert response.json()["errors"][0]["error_type"] == "invalid_parameter"


def test_fewer_dimensions_sum_and_relative_dates_use_the_counter_zone(sim, store):
    body = report(sim, dimensions="ym:s:lastTrafficSource", date1="7daysAgo", date2="yesterday").json()
    assert (body["query"]["date1"], body["query"]["date2"]) == ("2024-06-24", "2024-06-30")
    expected = Counter()
    for row in store["visits"]:
        if "2024-06-24" <= row["date"] <= "2024-06-30":
            expected[row["traffic_source_id"]] += row["visits"]
    assert {r["dimensions"][0]["id"]: r["metrics"][0] for r in body["data"]} == expected


def test_auth_quota_and_unknown_counter_errors(store):
    with MetricaSimulator(store, token=TOKEN, daily_quota=2, clock=lambda: NOW) as sim:
        missing = report(sim, token=None)
        assert missing.status_code == 401 and missing.json() == {
            "errors": [{"error_type": "invalid_token", "message": "Invalid oauth_token"}],
            "code": 401,
            "message": "Invalid oauth_token",
        }
        assert report(sim, token="y0_wrong").status_code == 401
        assert report(sim, ids=1).json()["errors"][0]["error_type"] == "not_found"  # counts: 1 of 2
        assert report(sim).status_code == 200
        over = report(sim)
        assert over.status_code == 403 and over.json()["errors"][0]["error_type"] == "quota_requests_by_uid"
        sim.reset_quota()
        assert report(sim).status_code == 200 and sim.quota_used == 1


# --------------------------------------------------------------------------------------- connector
def test_stream_contract_and_blank_utm_keys():
    source = MetricaSource(None, TOKEN, COUNTER_ID, start_date="2024-01-01")
    [spec] = source.streams
    assert (source.name, source.base_url, spec.name, spec.mode, spec.key_fields, spec.cursor_field) == (
        "Metrica", "https://api-metrika.yandex.net/", "visits", "window", KEY, "date")  # fmt: skip
    organic = {"date": "2024-01-01", "traffic_source_id": "organic", "utm_source": "", "utm_medium": ""}
    assert spec.key_of(organic) == "2024-01-01|organic|||"
    assert spec.key_of({**organic, "traffic_source_id": ""}) is None
    months = [(date(2024, 1, 30), date(2024, 1, 31)), (date(2024, 2, 1), date(2024, 2, 29))]
    assert list(month_ranges(date(2024, 1, 30), date(2024, 3, 2))) == [
        *months,
        (date(2024, 3, 1), date(2024, 3, 2)),
    ]


def test_first_run_equals_the_store_month_by_month(sim, store):
    pages, records = read_all(make_source(sim))
    assert keyed(records) == keyed(store["visits"]) and len(records) == len(store["visits"])
    assert all(isinstance(r["visits"], int) and isinstance(r["utm_source"], str) for r in records)
    assert visits_by_day_and_source(records) == visits_by_day_and_source(store["visits"])
    assert ranges(sim)[:2] == [("2022-07-01", "2022-07-31", "1"), ("2022-08-01", "2022-08-31", "1")]
    assert len(sim.requests) == 24 and pages[-1].cursor == "2024-06-30" and pages[0].cursor == "2022-07-31"
    assert (
        next(r for r in records if r["traffic_source_id"] == "ad")["traffic_source_name"]
        == "Переходы по рекламе"
    )


def test_revisit_rereads_the_last_days_with_revised_numbers(sim, store):
    revised = next(
        r for r in store["visits"] if r["date"] == "2024-06-28" and r["traffic_source_id"] == "direct"
    )
    with sim.store_lock:
        revised["visits"] += 7  # Metrica revises recent days
    pages, records = read_all(make_source(sim, revisit_days=3), "2024-06-30")
    assert ranges(sim) == [("2024-06-27", "2024-06-30", "1")]
    assert {r["date"] for r in records} == {"2024-06-27", "2024-06-28", "2024-06-29", "2024-06-30"}
    direct = next(r for r in records if r["date"] == "2024-06-28" and r["traffic_source_id"] == "direct")
    assert direct["visits"] == revised["visits"] and pages[-1].cursor == "2024-06-30"


def test_month_bigger_than_a_page_is_split_and_a_day_paged_by_offset(sim, store):
    june = [r for r in store["visits"] if r["date"] >= "2024-06-01"]
    records = read_all(make_source(sim, start="2024-06-01", page_size=5))[1]
    assert keyed(records) == keyed(june) and len(records) == len(june)
    asked = ranges(sim)
    assert asked[0] == ("2024-06-01", "2024-06-30", "1")  # too big: cut into days
    june_30 = [offset for first, last, offset in asked if first == last == "2024-06-30"]
    rows_30 = sum(r["date"] == "2024-06-30" for r in june)
    assert june_30 == [str(o) for o in range(1, rows_30 + 1, 5)]


def test_sampled_response_is_a_warning_naming_the_range(sim, caplog):
    sim.sample_share = 0.1
    read_all(make_source(sim, start="2024-06-01"))
    assert "Metrica: 2024-06-01..2024-06-30 is sampled (sample_share=0.1)" in caplog.text


def test_end_date_defaults_to_yesterday_in_the_counter_zone():
    def source_at(hour, minute):  # UTC; Moscow is UTC+3
        clock = lambda: datetime(2024, 6, 30, hour, minute, tzinfo=UTC)  # noqa: E731
        return MetricaSource(None, TOKEN, COUNTER_ID, start_date="2024-06-01", clock=clock)

    assert source_at(20, 59).window(None) == (date(2024, 6, 1), date(2024, 6, 29))
    assert source_at(21, 1).window("2024-06-20") == (date(2024, 6, 17), date(2024, 6, 30))


@pytest.mark.parametrize("status", [429, 403])
def test_daily_quota_is_one_clear_error_not_retried(store, status, caplog):
    with MetricaSimulator(store, token=TOKEN, daily_quota=1, quota_status=status, clock=lambda: NOW) as sim:
        with pytest.raises(QuotaExhausted) as caught:
            read_all(make_source(sim, start="2024-05-01"))
        assert [s for _, _, s in sim.requests] == [200, status]
    text = str(caught.value)
    assert "\n" not in text and text.startswith("Metrica stream=visits GET ")
    assert "the Metrica daily request quota is exhausted (quota_requests_by_uid)" in text
    assert isinstance(caught.value, RateLimited) and TOKEN not in text + caplog.text


def test_wrong_token_is_one_line_without_the_token(sim, caplog):
    with pytest.raises(AuthError) as caught:
        read_all(make_source(sim, token="y0_wrong-token"))
    text = str(caught.value)
    assert "\n" not in text and text.endswith(
        ": 401 Unauthorized: Invalid oauth_token — check SALESPIPE_METRICA_TOKEN"
    )
    assert "y0_wrong-token" not in text + caplog.text and len(sim.requests) == 1


def test_invalid_token_as_403_is_still_an_auth_error_not_a_quota():
    # The error table lists invalid_token as 403, and real 403 bodies exist: classified by error_type.
    response = requests.Response()
    response.status_code = 403
    response._content = (
        b'{"errors":[{"error_type":"invalid_token","message":"Invalid oauth_token"}],"code":403}'
    )
    assert classify_metrica_error(response, "403 Forbidden") == (
        AuthError, "403 Forbidden: invalid_token — check SALESPIPE_METRICA_TOKEN")  # fmt: skip


def test_run_survives_429_503_and_a_timeout_honouring_retry_after(sim, store, caplog):
    sim.faults.add(entity_set="data", kind="429", nth=2, retry_after=1)
    sim.faults.add(entity_set="data", kind="503", nth=4, retry_after=3)
    # The timeout leaves a normal answer a full second (a loaded CI machine), the fault takes longer.
    sim.faults.add(entity_set="data", kind="timeout", nth=6, delay=2.5)
    sleeps: list[float] = []
    records = read_all(make_source(sim, start="2024-03-01", sleeps=sleeps, timeout=1.0))[1]
    assert keyed(records) == keyed(r for r in store["visits"] if r["date"] >= "2024-03-01")
    assert sleeps[:2] == [1.0, 3.0] and len(sleeps) == 3 and sleeps[2] < 0.1
    retries = [r.getMessage() for r in caplog.records if r.name == "salespipe.http"]
    causes = ["429 Too Many Requests: Quota exceeded", "503 Service Unavailable", "no answer within 1s"]
    assert all(cause in line for cause, line in zip(causes, retries, strict=True))
    assert all(line.startswith("Metrica stream=visits GET ") and TOKEN not in line for line in retries)


LIVE_KEYS = """select _id from raw_metrica.visits
               qualify row_number() over (partition by _id order by _loaded_seq desc) = 1 and not _deleted"""


def test_a_row_revised_away_inside_the_re_read_days_becomes_a_tombstone_and_older_rows_stay(
    sim, store, tmp_path
):
    # Through sync_source into a real DuckDB file. Metrica returns a range in full, so a (day, source,
    # UTM) row landed before and missing from tonight's re-read of the same days was revised away.
    import duckdb

    from flows.extract import sync_source

    def sync():
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            source = make_source(sim, start="2024-05-01")
            runs.append(sync_source(con, source, run_id=f"run{len(runs)}", source_id="metrica"))
            return {row[0] for row in con.execute(LIVE_KEYS).fetchall()}

    def key_of(row) -> str:
        return "|".join(str(row[k] or "") for k in KEY)

    runs: list = []
    landed = sync()
    window_start = "2024-06-27"  # the cursor 2024-06-30 minus revisit_days (3)
    recent = next(r for r in store["visits"] if r["date"] >= window_start)
    older = next(r for r in store["visits"] if "2024-05-01" <= r["date"] < window_start)
    assert {key_of(recent), key_of(older)} <= landed
    with sim.store_lock:
        store["visits"].remove(recent)
        store["visits"].remove(older)  # outside the re-read days: tonight's read cannot speak for it
    assert sync() == landed - {key_of(recent)}
    assert runs[-1].ok and sum(s.records_landed for s in runs[-1].streams) == 1  # the tombstone only
    assert sync() == landed - {key_of(recent)} and sum(s.records_landed for s in runs[-1].streams) == 0
