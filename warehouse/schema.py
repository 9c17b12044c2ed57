"""DDL of the working warehouse: the `meta` schema and the append-only raw tables.

Kept apart from landing.py so the flow, the quality step and the tests share one definition.
"""

from __future__ import annotations

import datetime as dt
import re

# Warehouses made before the run-level log kept one row per run × stream in meta.runs and the stage
# times in meta.stage_timings: move them to their new tables before META_DDL creates the new ones.
META_MIGRATIONS = (
    (
        "select 1 from duckdb_columns() where schema_name = 'meta' and table_name = 'runs'"
        " and column_name = 'stream'",
        "alter table meta.runs rename to stream_runs",
    ),
)
META_LATE_MIGRATIONS = (
    (
        "select 1 from duckdb_tables() where schema_name = 'meta' and table_name = 'stage_timings'",
        """insert into meta.run_stages (run_id, stage, status, started_at, finished_at, seconds, peak_rss_mb)
           select run_id, stage, 'ok', recorded_at, recorded_at, seconds, peak_rss_mb from meta.stage_timings;
           drop table meta.stage_timings""",
    ),
)

META_DDL = """
create schema if not exists meta;
create sequence if not exists meta.load_seq start 1;
create table if not exists meta.sync_state (
    source varchar not null,
    stream varchar not null,
    cursor varchar,
    updated_at timestamp not null,
    primary key (source, stream)
);
create table if not exists meta.record_state (
    source varchar not null,
    stream varchar not null,
    _id varchar not null,
    _hash varchar not null,
    _version varchar,
    _deleted boolean not null,
    primary key (source, stream, _id)
);
create table if not exists meta.rejects (
    run_id varchar not null,
    source varchar not null,
    stream varchar not null,
    record_no bigint,
    reason varchar not null,
    raw_text varchar,
    rejected_at timestamp not null
);
create table if not exists meta.runs (
    run_id varchar primary key,
    pid integer not null,
    host varchar,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,           -- running, ok, failed, cancelled, crashed
    stage varchar,                     -- the stage running now, or the one the run ended in
    problem varchar,
    as_of_date date,
    prefect_flow_run_id varchar,
    prefect_reconciled boolean default false
);
-- What a source found out about itself before reading (1C: its configuration), one row per run.
create table if not exists meta.source_profiles (
    run_id varchar not null,
    source varchar not null,
    profile varchar not null,
    summary varchar not null,
    absent_streams varchar[],
    memory json,                       -- handed back to the source next run (a cache, e.g. sets found)
    discovered_at timestamp not null
);
create table if not exists meta.stream_runs (
    run_id varchar not null,
    source varchar not null,
    stream varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,
    records_read bigint default 0,
    records_landed bigint default 0,
    rejects bigint default 0,
    pages bigint default 0,
    error varchar
);
create table if not exists meta.quality_results (
    run_id varchar not null,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    success boolean not null,
    unexpected_count bigint,
    details varchar,
    checked_at timestamp not null
);
create table if not exists meta.run_stages (
    run_id varchar not null,
    stage varchar not null,            -- extract, land, quality, dbt, publish
    status varchar not null,           -- running, ok, failed, cancelled, crashed
    started_at timestamp not null,
    finished_at timestamp,
    seconds double,
    peak_rss_mb double,
    error varchar
);
"""

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")


def identifier(name: str) -> str:
    """Return `name` if it is a safe lower-case SQL identifier; raw schema and table names come from code,
    but a typo should fail loudly rather than produce odd quoting."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a valid warehouse identifier: {name!r}")
    return name


def raw_table(source_schema: str, stream: str) -> str:
    return f"{identifier(source_schema)}.{identifier(stream)}"


def raw_table_ddl(source_schema: str, stream: str) -> str:
    return f"""
    create schema if not exists {identifier(source_schema)};
    create table if not exists {raw_table(source_schema, stream)} (
        _id varchar not null,
        _cursor varchar,
        _data json,
        _hash varchar not null,
        _deleted boolean not null,
        _batch_id varchar not null,
        _extracted_at timestamp not null,
        _loaded_seq bigint not null
    );
    """


def utc_now() -> dt.datetime:
    """Naive UTC, as every `*_at` column of the warehouse stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def create_meta(con) -> None:
    """Create the `meta` schema's tables, moving an older warehouse's bookkeeping to the current layout."""
    con.execute("create schema if not exists meta")
    for probe, statement in META_MIGRATIONS:
        if con.execute(probe).fetchall():
            con.execute(statement)
    con.execute(META_DDL)
    for probe, statement in META_LATE_MIGRATIONS:
        if con.execute(probe).fetchall():
            con.execute(statement)
