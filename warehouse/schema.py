"""DDL of the working warehouse: the `meta` schema and the append-only raw tables.

Kept apart from landing.py so the flow, the quality step and the tests share one definition.
"""

from __future__ import annotations

import datetime as dt
import re

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
create table if not exists meta.stage_timings (
    run_id varchar not null,
    stage varchar not null,
    seconds double not null,
    peak_rss_mb double,
    recorded_at timestamp not null
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
