"""`meta.runs` (one row per run × stream) and `meta.stage_timings` bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass, field

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


def record_stream_start(con: duckdb.DuckDBPyConnection, run: StreamRun) -> None:
    """Insert the row at the start, so a run killed mid-stream stays visible as 'running'."""
    con.execute(
        "insert into meta.runs (run_id, source, stream, started_at, status) values (?, ?, ?, ?, ?)",
        [run.run_id, run.source, run.stream, run.started_at, run.status],
    )


def record_stream_end(con: duckdb.DuckDBPyConnection, run: StreamRun) -> None:
    con.execute(
        """update meta.runs set finished_at = ?, status = ?, records_read = ?, records_landed = ?,
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


def record_stage_timing(
    con: duckdb.DuckDBPyConnection, run_id: str, stage: str, seconds: float, peak_rss_mb: float | None
) -> None:
    con.execute(
        "insert into meta.stage_timings values (?, ?, ?, ?, ?)",
        [run_id, stage, seconds, peak_rss_mb, utc_now()],
    )
