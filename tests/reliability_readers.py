"""A BI reader in its own process, for tests/test_reliability_readers.py.

    python tests/reliability_readers.py KIND SERVING_DIR STOP_FILE INTERVAL_SECONDS

KIND is how a BI tool connects: `duckdb-fresh` (a new connection per read), `duckdb-held` (one connection
for the whole run), `sqlalchemy-fresh` (duckdb-engine with NullPool), `sqlalchemy-held` (one SQLAlchemy
connection, in the transaction SQLAlchemy begins) or `parquet-current` (resolves `current` once per read
and reads that folder's Parquet files). Each read checks the generation invariant of the test warehouse
inside one statement and across three statements on the same connection, as a dashboard does. It prints
`ready` after its first read and, once STOP_FILE exists, one JSON line with its counts.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

PER_CUSTOMER = 5  # sales rows per customer; each carries revenue generation + 1
ONE_STATEMENT = """
with s as (select min(generation) g0, max(generation) g1, sum(revenue) revenue from {sales}),
     c as (select min(generation) g0, max(generation) g1, count(*) customers from {customers}),
     m as (select min(generation) g0, max(generation) g1, sum(revenue) revenue, sum(customers) customers,
                  count(*) n from {monthly})
select s.g0, s.g1, c.g0, c.g1, m.g0, m.g1, s.revenue, c.customers, m.revenue, m.customers, m.n from s, c, m
"""
DASHBOARD = [
    "select min(generation), max(generation), sum(revenue) from {sales}",
    "select min(generation), max(generation), count(*) from {customers}",
    "select min(generation), max(generation), sum(revenue), sum(customers), count(*) from {monthly}",
]
TABLES = {name: f"marts.{name}" for name in ("sales", "customers", "monthly")}


def consistent(s_g0, s_g1, c_g0, c_g1, m_g0, m_g1, revenue, customers, m_revenue, m_customers, m_n):
    """The generation every row of every mart carries, or None when the marts mix snapshots."""
    if len({s_g0, s_g1, c_g0, c_g1, m_g0, m_g1}) != 1 or m_n != 1:
        return None
    if revenue != customers * PER_CUSTOMER * (s_g0 + 1) or (m_revenue, m_customers) != (revenue, customers):
        return None
    return s_g0


def read_once(execute, tables: dict[str, str]) -> tuple[int | None, int | None]:
    single = consistent(*execute(ONE_STATEMENT.format(**tables)))
    sales, customers, monthly = (execute(sql.format(**tables)) for sql in DASHBOARD)
    dashboard = consistent(*sales[:2], *customers[:2], *monthly[:2], sales[2], customers[2], *monthly[2:])
    return single, dashboard


def reader(kind: str, serving_dir: Path):
    """A function that does one read and returns (generation of the one statement, of the dashboard)."""
    serving_file = str(serving_dir / "serving.duckdb")
    if kind == "duckdb-fresh":

        def read():
            with duckdb.connect(serving_file, read_only=True) as con:
                return read_once(lambda sql: con.execute(sql).fetchone(), TABLES)

        return read
    if kind == "duckdb-held":
        held = duckdb.connect(serving_file, read_only=True)
        return lambda: read_once(lambda sql: held.execute(sql).fetchone(), TABLES)
    if kind.startswith("sqlalchemy-"):
        import sqlalchemy
        from sqlalchemy.pool import NullPool

        url = sqlalchemy.URL.create("duckdb", database=serving_file)
        engine = sqlalchemy.create_engine(url, poolclass=NullPool, connect_args={"read_only": True})
        if kind == "sqlalchemy-held":
            held = engine.connect()
            return lambda: read_once(lambda sql: tuple(held.execute(sqlalchemy.text(sql)).one()), TABLES)

        def read():
            with engine.connect() as con:
                return read_once(lambda sql: tuple(con.execute(sqlalchemy.text(sql)).one()), TABLES)

        return read
    if kind == "parquet-current":
        con = duckdb.connect()

        def read():
            # Resolved once, then only this folder's files: an immutable snapshot kept for the grace period.
            folder = os.path.realpath(serving_dir / "current")
            tables = {
                name: "read_parquet('" + os.path.join(folder, f"{name}.parquet").replace("'", "''") + "')"
                for name in TABLES
            }
            return read_once(lambda sql: con.execute(sql).fetchone(), tables)

        return read
    raise SystemExit(f"unknown reader kind {kind!r}")


def main(kind: str, serving_dir: str, stop_file: str, interval: str) -> None:
    read = reader(kind, Path(serving_dir))
    counts = {"kind": kind, "reads": 0, "errors": 0, "mixed": 0, "generations": set(), "samples": []}
    deadline = time.monotonic() + 300  # never outlive a test that died without writing STOP_FILE
    while True:
        stop = os.path.exists(stop_file) or time.monotonic() > deadline
        try:
            single, dashboard = read()
            counts["mixed"] += (single is None) + (dashboard is None)
            counts["generations"].update(g for g in (single, dashboard) if g is not None)
            if None in (single, dashboard) and len(counts["samples"]) < 5:
                counts["samples"].append(f"mixed: one statement {single}, dashboard {dashboard}")
        except Exception as error:  # what a BI tool would show the user; counted, not fatal
            counts["errors"] += 1
            if len(counts["samples"]) < 5:
                counts["samples"].append(f"{type(error).__name__}: {error}"[:300])
        counts["reads"] += 1
        if counts["reads"] == 1:
            print("ready", flush=True)
        if stop:
            break
        time.sleep(float(interval))
    counts["generations"] = sorted(counts["generations"])
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
