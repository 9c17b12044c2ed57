"""A source registered through the registry alone — nothing else edited — is extracted, landed and
quality-checked by the real nightly flow: the registry is the only list of sources there is.

The source is a shop's tills, with its records held in this file (no HTTP): two tills read whole, and
receipts read over a window on `closed_at`, three to a page. One receipt has no key (a reject) and one has
a negative amount (a quality warning naming it).
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest
from pydantic_settings import SettingsConfigDict

from connectors.declaration import SourceDeclaration
from connectors.registry import registered, source_ids
from connectors.settings import ConnectContext, SourceSettings
from contract.records import Page, StreamSpec
from quality.checks import StreamChecks, at_least, latest, text

TOKEN = "till-token-" + "7f3a"
TILLS = [{"id": "A", "place": "Тверская"}, {"id": "B", "place": "Арбат"}]
RECEIPTS = [
    {"id": 1, "till": "A", "closed_at": "2026-11-01T10:00:00", "amount": "1200.00"},
    {"id": 2, "till": "A", "closed_at": "2026-11-01T11:30:00", "amount": "350.50"},
    {"id": 3, "till": "B", "closed_at": "2026-11-02T09:15:00", "amount": "-90.00"},
    {"till": "B", "closed_at": "2026-11-02T09:20:00", "amount": "10.00"},
    {"id": 5, "till": "B", "closed_at": "2026-11-03T18:00:00", "amount": "4999.99"},
    {"id": 6, "till": "A", "closed_at": "2026-11-04T12:00:00", "amount": "75.00"},
    {"id": 7, "till": "A", "closed_at": "2026-11-04T12:05:00", "amount": "75.00"},
]
STREAMS = (
    StreamSpec("tills", "tills", "full", ("id",)),
    StreamSpec("receipts", "receipts", "window", ("id",), "closed_at"),
)


class TillSettings(SourceSettings):
    url_schemes = ("file",)
    model_config = SettingsConfigDict(env_prefix="SALESPIPE_TILLS_")
    secret_names = ("TOKEN",)

    url: str
    page_size: int = 3


class TillSource:
    abilities = frozenset()
    streams = STREAMS

    def __init__(self, token: str, page_size: int):
        assert token == TOKEN, "the secret is resolved by name when the connector is built"
        self.page_size = page_size

    def read(self, stream_name: str, cursor: str | None = None) -> Iterator[Page]:
        if stream_name == "tills":
            yield Page("tills", list(TILLS), None)
            return
        fresh = [r for r in RECEIPTS if cursor is None or r["closed_at"] > cursor]
        for start in range(0, len(fresh), self.page_size):
            records = fresh[start : start + self.page_size]
            yield Page("receipts", records, max(r["closed_at"] for r in records))

    def close(self) -> None:
        pass


def connect(settings: TillSettings, context: ConnectContext) -> TillSource:
    return TillSource(settings.secret("TOKEN"), settings.page_size)


def till_suites(now, landed_streams: set[str]) -> list[StreamChecks]:
    if "receipts" not in landed_streams:
        return []
    sql = f"""select _id as receipt_id, cast({text("amount")} as decimal(18, 2)) as amount
              from {latest("raw_tills", "receipts")}"""
    checks = [at_least("amount", 0, "a receipt is money taken", "warning")]
    return [StreamChecks("tills.receipts", sql, checks, key="receipt_id")]


TILLS_SOURCE = SourceDeclaration(
    id="tills",
    label="Shop tills",
    streams=STREAMS,
    settings=TillSettings,
    connect=connect,
    quality=f"{__name__}:till_suites",
)


@pytest.fixture
def configured_tills(tmp_path, monkeypatch):
    monkeypatch.setenv("SALESPIPE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SALESPIPE_AS_OF_DATE", "2026-11-05")
    monkeypatch.setenv("SALESPIPE_TILLS_URL", "file:///tills")
    monkeypatch.setenv("SALESPIPE_TILLS_TOKEN", TOKEN)
    with registered(TILLS_SOURCE):
        yield tmp_path / "home" / "warehouse.duckdb"


def test_a_source_added_through_the_registry_alone_runs_through_the_real_flow(configured_tills):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import TaskRunSort

    from flows.run import run_flow

    assert "tills" in source_ids()
    ok, summary = run_flow("2026-11-05")

    assert ok, summary.get("problem")
    [tills] = summary["extract"]["sources"]
    streams = {s["stream"]: (s["records_read"], s["records_landed"], s["rejects"]) for s in tills["streams"]}
    assert tills["source"] == "tills" and streams == {"tills": (2, 2, 0), "receipts": (7, 6, 1)}
    with duckdb.connect(str(configured_tills), read_only=True) as con:
        landed = con.execute("select _id from raw_tills.receipts order by _id::int").fetchall()
        cursor = con.execute(
            "select cursor from meta.sync_state where source = 'tills' and stream = 'receipts'"
        ).fetchone()
        rejects = con.execute("select stream, reason from meta.rejects where source = 'tills'").fetchall()
        quality = con.execute(
            "select suite, success, unexpected_count, details from meta.quality_results"
        ).fetchall()
    assert [key for (key,) in landed] == ["1", "2", "3", "5", "6", "7"]
    assert cursor == ("2026-11-04T12:05:00",)
    assert len(rejects) == 1 and rejects[0][0] == "receipts" and "no key" in rejects[0][1]
    [(suite, success, unexpected, details)] = quality
    assert (suite, success, unexpected) == ("tills.receipts", False, 1) and '"3"' in details
    assert summary["quality"]["warnings"] and not summary["quality"]["errors"]

    # The next night reads receipts from the cursor: nothing new. Each night the source was a task run.
    ok, summary = run_flow("2026-11-05")
    assert ok, summary.get("problem")
    receipts = next(s for s in summary["extract"]["sources"][0]["streams"] if s["stream"] == "receipts")
    assert (receipts["records_read"], receipts["records_landed"]) == (0, 0)
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(limit=100, sort=TaskRunSort.EXPECTED_START_TIME_DESC)
    names = [run.name for run in runs if run.state and run.state.is_completed()]
    assert names.count("extract-tills") == 2
