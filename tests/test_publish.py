"""Publish: immutable snapshot per run, serving.duckdb swapped as a hard link, pruning by generations and
grace, file modes, odd and moved homes, and what a connection held across a publish sees
(docs/ARCHITECTURE.md, "Publish")."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import time

import duckdb
import pytest

from warehouse import publish as publish_module
from warehouse.publish import publish, sql_string

MARTS = ["repeat_sales", "customer_portfolio"]


def build_warehouse(path, revenue: int, customers: int = 3) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.repeat_sales as select 'm' as month, {revenue} as revenue"
        )
        con.execute(
            f"create or replace table marts.customer_portfolio as select range as id from range({customers})"
        )


def read_marts(serving_file) -> tuple[int, int]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        return con.execute(
            "select (select revenue from marts.repeat_sales), (select count(*) from marts.customer_portfolio)"
        ).fetchone()


def read_in_another_process(serving_file) -> tuple[int, int]:
    """What a BI process that opens the file now sees (this process's DuckDB may share an open one)."""
    code = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); print(*con.execute("
        "'select (select revenue from marts.repeat_sales), (select count(*) from marts.customer_portfolio)'"
        ").fetchone())"
    )
    out = subprocess.run([sys.executable, "-c", code, str(serving_file)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    revenue, customers = out.stdout.split()
    return int(revenue), int(customers)


def fingerprint(folder) -> dict[str, tuple[int, int, str]]:
    return {
        path.name: (
            path.stat().st_ino,
            path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest(),
        )
        for path in sorted(folder.iterdir())
    }


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_each_publish_is_a_whole_snapshot_that_is_never_written_again(tmp_path):
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    build_warehouse(warehouse, 100)
    first = publish(warehouse, serving, "20260101T000000Z-0001", MARTS)
    assert first.rows == {"repeat_sales": 1, "customer_portfolio": 3}
    assert first.snapshot_dir == serving.resolve() / "runs" / "20260101T000000Z-0001"
    assert sorted(p.name for p in first.snapshot_dir.iterdir()) == [
        "customer_portfolio.parquet",
        "marts.duckdb",
        "repeat_sales.parquet",
    ]
    assert first.serving_file.stat().st_ino == (first.snapshot_dir / "marts.duckdb").stat().st_ino
    assert read_marts(first.serving_file) == (100, 3)
    with duckdb.connect() as con:  # the Parquet copy holds the same values as the tables
        parquet = first.snapshot_dir / "repeat_sales.parquet"
        assert con.execute(f"select revenue from read_parquet({sql_string(parquet)})").fetchone() == (100,)
    before = fingerprint(first.snapshot_dir)

    build_warehouse(warehouse, 200, customers=5)
    second = publish(warehouse, serving, "20260102T000000Z-0002", MARTS)
    assert fingerprint(first.snapshot_dir) == before
    assert {mode(p) for p in first.snapshot_dir.iterdir()} == {0o400}
    assert second.serving_file == first.serving_file
    assert second.serving_file.stat().st_ino == (second.snapshot_dir / "marts.duckdb").stat().st_ino
    assert read_marts(second.serving_file) == (200, 5)
    assert os.readlink(serving / "current") == "runs/20260102T000000Z-0002"
    assert (serving / "CURRENT").read_text() == "20260102T000000Z-0002\n"
    assert not list(serving.glob("**/*.wal")) and not list(serving.glob("**/*.partial"))
    with pytest.raises(FileExistsError):
        publish(warehouse, serving, "20260102T000000Z-0002", MARTS)
    assert read_marts(second.serving_file) == (200, 5)


def test_a_connection_held_across_publish_and_prune_keeps_its_own_snapshot(tmp_path):
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    build_warehouse(warehouse, 100)
    first = publish(warehouse, serving, "20260101T000000Z-0001", MARTS)
    held = duckdb.connect(str(first.serving_file), read_only=True)
    try:
        assert held.execute("select revenue from marts.repeat_sales").fetchone() == (100,)
        build_warehouse(warehouse, 200, customers=5)
        publish(warehouse, serving, "20260102T000000Z-0002", MARTS, keep=1, grace_seconds=0)
        build_warehouse(warehouse, 300, customers=7)
        publish(warehouse, serving, "20260103T000000Z-0003", MARTS, keep=1, grace_seconds=0)
        assert not first.snapshot_dir.exists()  # pruned, yet its inode lives while the reader holds it
        assert held.execute("select revenue from marts.repeat_sales").fetchone() == (100,)
        assert held.execute("select count(*) from marts.customer_portfolio").fetchone() == (3,)
        assert read_in_another_process(first.serving_file) == (300, 7)
        # DuckDB shares one open database per path within a process: a connection opened here while
        # `held` is open gets the held snapshot, not the newest (the caveat docs/ARCHITECTURE.md states).
        assert read_marts(first.serving_file) == (100, 3)
    finally:
        held.close()
    assert read_marts(first.serving_file) == (300, 7)


def test_pruning_keeps_the_newest_generations_and_everything_inside_the_grace_period(tmp_path):
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    build_warehouse(warehouse, 1)
    names = [f"2026010{day}T000000Z-000{day}" for day in range(1, 6)]
    for name in names[:4]:
        publish(warehouse, serving, name, MARTS, keep=2, grace_seconds=3600)
    kept = sorted(p.name for p in (serving / "runs").iterdir())
    assert kept == names[:4], "superseded seconds ago: inside the grace period, so kept"
    # Runs 2 and 3 were published two hours ago: runs 1 and 2 were superseded that long ago.
    two_hours_ago = time.time() - 7200
    for name in names[1:3]:
        os.utime(serving / "runs" / name, (two_hours_ago, two_hours_ago))
    publish(warehouse, serving, names[4], MARTS, keep=2, grace_seconds=3600)
    kept = sorted(p.name for p in (serving / "runs").iterdir())
    assert kept == names[2:], "run 3 is beyond 2 generations but was superseded by run 4 just now"

    publish(warehouse, serving, "20260106T000000Z-0006", MARTS, keep=0, grace_seconds=0)
    assert [p.name for p in (serving / "runs").iterdir()] == ["20260106T000000Z-0006"]
    assert (serving / "current").resolve().name == "20260106T000000Z-0006"


def test_modes_are_owner_only_by_default_and_group_readable_when_asked(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    build_warehouse(warehouse, 1)
    own = publish(warehouse, tmp_path / "own", "20260101T000000Z-0001", MARTS)
    group = publish(warehouse, tmp_path / "group", "20260101T000000Z-0001", MARTS, file_mode=0o640)
    for published, files, folders in ((own, 0o400, 0o700), (group, 0o440, 0o750)):
        serving = published.serving_file.parent
        assert {mode(p) for p in published.snapshot_dir.iterdir()} == {files}
        assert mode(published.serving_file) == files and mode(serving / "CURRENT") == files
        assert {mode(serving), mode(serving / "runs"), mode(published.snapshot_dir)} == {folders}


def test_a_home_with_an_apostrophe_spaces_and_cyrillic_publishes_and_moves(tmp_path):
    home = tmp_path / "O'Brien продажи 2026"
    home.mkdir()
    warehouse = home / "warehouse.duckdb"
    build_warehouse(warehouse, 100)
    publish(warehouse, home / "serving", "20260101T000000Z-0001", MARTS)
    build_warehouse(warehouse, 200, customers=5)
    publish(warehouse, home / "serving", "20260102T000000Z-0002", MARTS)
    assert read_marts(home / "serving" / "serving.duckdb") == (200, 5)

    moved = tmp_path / "restored 'home' ёлка"
    shutil.move(home, moved)
    assert not home.exists()
    serving_file = moved / "serving" / "serving.duckdb"
    with duckdb.connect(str(serving_file), read_only=True) as con:
        assert con.execute("select month, revenue from marts.repeat_sales").fetchall() == [("m", 200)]
        assert con.execute("select list(id order by id) from marts.customer_portfolio").fetchone() == (
            [0, 1, 2, 3, 4],
        )
    current = (moved / "serving" / "current").resolve()
    assert current == (moved / "serving" / "runs" / "20260102T000000Z-0002").resolve()
    with duckdb.connect() as con:
        parquet = sql_string(current / "customer_portfolio.parquet")
        assert con.execute(f"select count(*) from read_parquet({parquet})").fetchone() == (5,)


def test_without_hard_links_the_serving_file_is_a_read_only_copy(tmp_path, monkeypatch):
    def no_links(*_):
        raise OSError("hard links are not supported here")

    monkeypatch.setattr(publish_module.os, "link", no_links)
    warehouse = tmp_path / "w.duckdb"
    build_warehouse(warehouse, 100)
    published = publish(warehouse, tmp_path / "serving", "20260101T000000Z-0001", MARTS)
    assert published.serving_file.stat().st_ino != (published.snapshot_dir / "marts.duckdb").stat().st_ino
    assert mode(published.serving_file) == 0o400
    assert read_marts(published.serving_file) == (100, 3)


def test_sql_string_doubles_single_quotes():
    assert sql_string("/srv/O'Brien/w.duckdb") == "'/srv/O''Brien/w.duckdb'"
    with duckdb.connect() as con:
        literal = sql_string("it's 'quoted'")
        assert con.execute(f"select {literal}").fetchone() == ("it's 'quoted'",)
