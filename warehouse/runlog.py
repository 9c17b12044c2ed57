"""The run log: `meta.runs` (one row per run), `meta.run_stages` (run × stage), `meta.stream_runs`
(run × stream) and `meta.source_profiles` (run × source that discovers its shape, e.g. 1C's configuration).

Every row is inserted as `running` when its step starts and updated when it ends, so a run that was
killed stays visible. The next run (holding the home's lock, so no other run can be alive) turns what
was left `running` into `crashed` — or `cancelled`, when the stop was asked for — with `mark_abandoned`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from warehouse.landing import utc_now


@dataclass
class StreamRun:
    run_id: str
    source: str
    stream: str
    started_at: object = field(default_factory=utc_now)
    records_read: int = 0
    records_landed: int = 0
    rejects: int = 0
    pages: int = 0
    status: str = "running"
    error: str | None = None
    land_seconds: float = 0.0  # time spent writing to DuckDB; the rest of the stream's time is the source

    def add(self, read: int, landed: int, rejected: int) -> None:
        self.records_read += read
        self.records_landed += landed
        self.rejects += rejected
        self.pages += 1


def record_source_profile(
    con: duckdb.DuckDBPyConnection, run_id: str, source: str, profile: str, summary: str,
    absent: list[str], memory: Mapping[str, Any],
) -> None:  # fmt: skip
    con.execute(
        """insert into meta.source_profiles (run_id, source, profile, summary, absent_streams, memory,
               discovered_at) values (?, ?, ?, ?, ?, ?, ?)""",
        [run_id, source, profile, summary, absent, json.dumps(memory, ensure_ascii=False), utc_now()],
    )


def last_source_memory(con: duckdb.DuckDBPyConnection, source: str) -> dict[str, Any] | None:
    """What the source asked to remember at its latest discovery, or None (first run)."""
    row = con.execute(
        "select memory from meta.source_profiles where source = ? order by discovered_at desc limit 1",
        [source],
    ).fetchall()
    return json.loads(row[0][0]) if row and row[0][0] else None


def record_stream_start(con: duckdb.DuckDBPyConnection, run: StreamRun) -> None:
    """Insert the row at the start, so a run killed mid-stream stays visible as 'running'."""
    con.execute(
        "insert into meta.stream_runs (run_id, source, stream, started_at, status) values (?, ?, ?, ?, ?)",
        [run.run_id, run.source, run.stream, run.started_at, run.status],
    )


def record_stream_end(con: duckdb.DuckDBPyConnection, run: StreamRun) -> None:
    con.execute(
        """update meta.stream_runs set finished_at = ?, status = ?, records_read = ?, records_landed = ?,
               rejects = ?, pages = ?, error = ?
           where run_id = ? and source = ? and stream = ?""",
        [
            utc_now(),
            run.status,
            run.records_read,
            run.records_landed,
            run.rejects,
            run.pages,
            run.error,
            run.run_id,
            run.source,
            run.stream,
        ],
    )


def record_run_start(
    con: duckdb.DuckDBPyConnection, run_id: str, *, pid: int, host: str, as_of: str | None, flow_run_id
) -> None:
    con.execute(
        """insert into meta.runs
               (run_id, pid, host, started_at, status, stage, as_of_date, prefect_flow_run_id)
           values (?, ?, ?, ?, 'running', 'start', ?, ?)""",
        [run_id, pid, host, utc_now(), as_of, flow_run_id],
    )


def record_run_end(con: duckdb.DuckDBPyConnection, run_id: str, status: str, problem: str | None) -> None:
    con.execute(
        "update meta.runs set finished_at = ?, status = ?, problem = ? where run_id = ?",
        [utc_now(), status, problem, run_id],
    )


def record_stage_start(con: duckdb.DuckDBPyConnection, run_id: str, stage: str) -> None:
    con.execute("update meta.runs set stage = ? where run_id = ?", [stage, run_id])
    con.execute(
        "insert into meta.run_stages (run_id, stage, status, started_at) values (?, ?, 'running', ?)",
        [run_id, stage, utc_now()],
    )


def record_stage_end(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    stage: str,
    *,
    status: str,
    seconds: float,
    peak_rss_mb: float | None,
    error: str | None = None,
) -> None:
    """End the stage's row; a stage with no row yet (`land`, split out of extract's time) gets one."""
    updated = con.execute(
        """update meta.run_stages set status = ?, finished_at = ?, seconds = ?, peak_rss_mb = ?, error = ?
           where run_id = ? and stage = ? and status = 'running' returning 1""",
        [status, utc_now(), seconds, peak_rss_mb, error, run_id, stage],
    ).fetchall()
    if not updated:
        now = utc_now()
        con.execute(
            "insert into meta.run_stages values (?, ?, ?, ?, ?, ?, ?, ?)",
            [run_id, stage, status, now, now, seconds, peak_rss_mb, error],
        )


def mark_abandoned(con: duckdb.DuckDBPyConnection, cancelled: dict[str, str]) -> list[tuple[str, str, str]]:
    """Runs left `running` by a process that is gone: `cancelled` (run id → why) were asked to stop, the rest
    crashed. Their unfinished stages and streams get the same status. Returns (run_id, status, stage)."""
    left = con.execute("select run_id, stage from meta.runs where status = 'running' order by started_at")
    abandoned = []
    for run_id, stage in left.fetchall():
        status = "cancelled" if run_id in cancelled else "crashed"
        problem = cancelled.get(run_id) or f"the process ended without finishing (killed?) during {stage}"
        record_run_ended_early(con, run_id, status, problem)
        abandoned.append((run_id, status, stage))
    return abandoned


def record_run_ended_early(con: duckdb.DuckDBPyConnection, run_id: str, status: str, problem: str) -> None:
    """A run that stopped before its end (cancelled, crashed): it and its unfinished stages and streams."""
    record_run_end(con, run_id, status, problem)
    for table in ("run_stages", "stream_runs"):
        con.execute(
            f"update meta.{table} set status = ?, finished_at = ? where run_id = ? and status = 'running'",
            [status, utc_now(), run_id],
        )
