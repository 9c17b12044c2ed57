"""Publish: Parquet snapshot per run, atomic `current` swap, serving file of views, pruning."""

from __future__ import annotations

import duckdb

from warehouse.publish import publish


def build_warehouse(path, revenue: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.repeat_sales as select 'm' as month, {revenue} as revenue"
        )
        con.execute("create or replace table marts.customer_portfolio as select range as id from range(3)")


def test_readers_see_each_published_snapshot_whole_through_an_open_connection(tmp_path):
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    build_warehouse(warehouse, 100)
    first = publish(warehouse, serving, "20260101T000000Z-0001", ["repeat_sales", "customer_portfolio"])
    assert first.rows == {"repeat_sales": 1, "customer_portfolio": 3}
    reader = duckdb.connect(str(first.serving_file), read_only=True)
    assert reader.execute("select revenue from marts.repeat_sales").fetchone()[0] == 100

    build_warehouse(warehouse, 200)  # the writer is not blocked by the open reader
    second = publish(warehouse, serving, "20260102T000000Z-0002", ["repeat_sales", "customer_portfolio"])
    assert second.serving_file == first.serving_file
    assert reader.execute("select revenue from marts.repeat_sales").fetchone()[0] == 200
    assert (serving / "current").resolve() == second.snapshot_dir
    reader.close()


def test_old_snapshots_are_pruned_but_the_current_one_stays(tmp_path):
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    build_warehouse(warehouse, 1)
    for day in range(1, 6):
        publish(warehouse, serving, f"2026010{day}T000000Z-000{day}", ["repeat_sales"], keep=2)
    kept = sorted(p.name for p in (serving / "runs").iterdir())
    assert kept == ["20260104T000000Z-0004", "20260105T000000Z-0005"]
    assert (serving / "current").resolve().name == "20260105T000000Z-0005"


def test_a_new_mart_rewrites_the_serving_file_with_its_view(tmp_path):
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving"
    build_warehouse(warehouse, 1)
    publish(warehouse, serving, "20260101T000000Z-0001", ["repeat_sales"])
    published = publish(warehouse, serving, "20260102T000000Z-0002", ["repeat_sales", "customer_portfolio"])
    with duckdb.connect(str(published.serving_file), read_only=True) as con:
        assert con.execute("select count(*) from marts.customer_portfolio").fetchone()[0] == 3
