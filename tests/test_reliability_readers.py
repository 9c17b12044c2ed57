"""BI readers in other processes while the real publish() swaps snapshots (issue 7; docs/ARCHITECTURE.md,
"Publish"). Every mart of the test warehouse carries its generation g, and the marts agree with each
other for that g, so a read that mixes two snapshots is caught. Readers are tests/reliability_readers.py:
plain DuckDB and SQLAlchemy + duckdb-engine, fresh and held connections, and a Parquet reader of
`current`. Run with `-s` to see the counts the docs quote."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import sqlalchemy
from sqlalchemy.pool import NullPool

from tests.reliability_readers import PER_CUSTOMER, consistent
from warehouse.publish import publish

READER = Path(__file__).with_name("reliability_readers.py")
FRESH = ["duckdb-fresh", "sqlalchemy-fresh", "parquet-current"]
HELD = ["duckdb-held", "sqlalchemy-held"]
MARTS = ["sales", "customers", "monthly"]


def rewrite_marts(warehouse: Path, generation: int) -> None:
    """The warehouse's marts for one generation: 2000 + g customers, 5 sales of g + 1 each, one summary."""
    customers = 2000 + generation
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.customers as "
            f"select range as id, {generation} as generation from range({customers})"
        )
        con.execute(
            f"create or replace table marts.sales as select c.range as customer, {generation} as generation, "
            f"{generation + 1} as revenue from range({customers}) c, range({PER_CUSTOMER})"
        )
        con.execute(
            f"create or replace table marts.monthly as select {generation} as generation, "
            "sum(revenue) as revenue, count(distinct customer) as customers from marts.sales"
        )


def publish_generation(warehouse: Path, serving: Path, generation: int) -> None:
    rewrite_marts(warehouse, generation)
    # grace 2 s: longer than any read here takes, so a Parquet reader's folder outlives its read.
    publish(warehouse, serving, f"20260101T000000Z-{generation:05d}", MARTS, keep=3, grace_seconds=2)


def with_readers(tmp_path: Path, interval: float, publishing) -> tuple[dict[str, dict], int, float]:
    """Publish generation 0, start every reader, run `publishing(next_generation)` while they read, stop
    them and return their counts, how many publishes ran and how long that took."""
    warehouse, serving, stop = tmp_path / "warehouse.duckdb", tmp_path / "serving", tmp_path / "stop"
    publish_generation(warehouse, serving, 0)
    readers = {
        kind: subprocess.Popen(
            [sys.executable, str(READER), kind, str(serving), str(stop), str(interval)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for kind in FRESH + HELD
    }
    try:
        for kind, process in readers.items():
            assert process.stdout.readline().strip() == "ready", f"{kind}: {process.stderr.read()}"
        started = time.monotonic()
        generation = 0

        def next_generation() -> int:
            nonlocal generation
            generation += 1
            publish_generation(warehouse, serving, generation)
            return generation

        publishing(next_generation)
        seconds = time.monotonic() - started
        stop.touch()
        results = {}
        for kind, process in readers.items():
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, f"{kind}: {err}"
            results[kind] = json.loads(out.strip().splitlines()[-1])
    finally:
        for process in readers.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    return results, generation, seconds


def report(case: str, results: dict[str, dict], publishes: int, seconds: float) -> None:
    reads = sum(r["reads"] for r in results.values())
    errors = sum(r["errors"] for r in results.values())
    mixed = sum(r["mixed"] for r in results.values())
    print(
        f"\n{case}: {publishes} publishes in {seconds:.1f} s; {reads} reads, {errors} errors, {mixed} mixed"
    )
    for kind, r in results.items():
        generations = r["generations"]
        print(
            f"  {kind:17} reads {r['reads']:5}  errors {r['errors']}  mixed {r['mixed']}  "
            f"generations seen {len(generations)} ({generations[:1]}…{generations[-1:]}) {r['samples'][:1]}"
        )


def assert_whole_snapshots(results: dict[str, dict], fresh_generations_at_least: int) -> None:
    for kind, r in results.items():
        assert (r["errors"], r["mixed"]) == (0, 0), f"{kind}: {r['samples']}"
        assert r["reads"] >= 10, kind
    for kind in FRESH:
        assert len(results[kind]["generations"]) >= fresh_generations_at_least, results[kind]
    for kind in HELD:  # a held connection keeps the snapshot it opened: generation 0 (docs/ARCHITECTURE.md)
        assert results[kind]["generations"] == [0], results[kind]


def test_readers_polling_through_nightly_publishes_see_whole_snapshots(tmp_path):
    def eleven_nights(next_generation):
        for _ in range(11):
            next_generation()
            time.sleep(0.4)  # several 100 ms polls of every reader between two publishes

    results, publishes, seconds = with_readers(tmp_path, 0.1, eleven_nights)
    report("nightly publishes, readers polling every 100 ms", results, publishes, seconds)
    assert publishes == 11
    assert_whole_snapshots(results, fresh_generations_at_least=6)


def test_readers_hammering_while_snapshots_are_swapped_back_to_back(tmp_path):
    def swap_for_four_seconds(next_generation):
        deadline, done = time.monotonic() + 4, 0
        while time.monotonic() < deadline or done < 10:
            done = next_generation()

    results, publishes, seconds = with_readers(tmp_path, 0.0, swap_for_four_seconds)
    report("back-to-back publishes, readers without pause", results, publishes, seconds)
    assert publishes >= 10
    assert_whole_snapshots(results, fresh_generations_at_least=3)


def test_sqlalchemy_sees_the_next_snapshot_with_nullpool_or_after_pool_recycle(tmp_path):
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving"
    publish_generation(warehouse, serving, 0)
    url = sqlalchemy.URL.create("duckdb", database=str(serving / "serving.duckdb"))
    query = sqlalchemy.text("select max(generation) from marts.monthly")

    def generation(engine) -> int:
        with engine.connect() as con:
            return con.execute(query).scalar()

    # The default QueuePool keeps its DuckDB connection open between uses, so it keeps the old snapshot.
    pooled = sqlalchemy.create_engine(url, connect_args={"read_only": True})
    assert generation(pooled) == 0
    publish_generation(warehouse, serving, 1)
    assert generation(pooled) == 0
    pooled.dispose()
    assert generation(pooled) == 1
    pooled.dispose()

    recycled = sqlalchemy.create_engine(url, connect_args={"read_only": True}, pool_recycle=0.2)
    assert generation(recycled) == 1
    publish_generation(warehouse, serving, 2)
    time.sleep(0.3)
    assert generation(recycled) == 2
    recycled.dispose()

    unpooled = sqlalchemy.create_engine(url, connect_args={"read_only": True}, poolclass=NullPool)
    assert generation(unpooled) == 2
    publish_generation(warehouse, serving, 3)
    assert generation(unpooled) == 3
    unpooled.dispose()


def test_the_readers_invariant_catches_a_read_that_mixes_two_snapshots():
    generation_3 = (3, 3, 3, 3, 3, 3, 2003 * PER_CUSTOMER * 4, 2003, 2003 * PER_CUSTOMER * 4, 2003, 1)
    assert consistent(*generation_3) == 3
    revenue_of_4 = (4, 4, 3, 3, 3, 3, 2004 * PER_CUSTOMER * 5, 2003, 2003 * PER_CUSTOMER * 4, 2003, 1)
    assert consistent(*revenue_of_4) is None
    same_generation_wrong_total = (*generation_3[:6], 2003 * PER_CUSTOMER * 4, 2004, 2003 * 20, 2003, 1)
    assert consistent(*same_generation_wrong_total) is None
