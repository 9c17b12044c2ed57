"""A run's life in the run log: begin (lock, private files, abandoned runs closed), stages, end.

`meta.runs` says for every run whether it is running, ok, failed, cancelled or crashed, and in which
stage; `meta.run_stages` has each stage's status, time and peak memory. A run that ended without
saying so (SIGKILL, power loss) is found by the next one — which holds the home's lock, so the old
process cannot still be alive — and marked crashed, here and in Prefect where Prefect still shows it
running.
"""

from __future__ import annotations

import logging
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

import duckdb
from prefect import get_client
from prefect.exceptions import ObjectNotFound
from prefect.states import Cancelled, Crashed

from flows.lifecycle import HomeLock, Stopper, clear_stop_notes, make_private, read_stop_notes
from flows.metering import StageMeasure, measured
from flows.problems import RunRefused, explain
from flows.settings import Settings
from warehouse.landing import ensure_meta
from warehouse.runlog import (
    mark_abandoned,
    record_run_end,
    record_run_start,
    record_stage_end,
    record_stage_start,
)

log = logging.getLogger("salespipe.runs")


@dataclass
class StageRecord:
    """What a stage block hands back: its measure, a problem that fails it without an exception (a quality
    gate), and seconds spent inside it that belong to another stage (landing, inside extract)."""

    measure: StageMeasure
    problem: str | None = None
    other_seconds: float = 0.0

    def timing(self) -> dict:
        return {"seconds": round(self.seconds, 2), "peak_rss_mb": round(self.measure.peak_rss_mb, 1)}

    @property
    def seconds(self) -> float:
        return self.measure.seconds - self.other_seconds


class Run:
    def __init__(self, settings: Settings, run_id: str, as_of: str | None):
        self.settings = settings
        self.run_id = run_id
        self.as_of = as_of
        self.abandoned: list[tuple[str, str, str]] = []
        self._lock: HomeLock | None = None
        self._stopper: Stopper | None = None

    def _db(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.settings.warehouse))
        ensure_meta(con)
        return con

    def begin(self, flow_run_id: str | None) -> None:
        """Raises RunRefused (one line) when the home is held by another run or cannot be written."""
        home = self.settings.home
        self._lock = HomeLock.hold(home)
        try:
            make_private(home, self.settings.warehouse, self.settings.serving_file_mode)
            self.settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as con:
                self.abandoned = mark_abandoned(con, read_stop_notes(home))
                clear_stop_notes(home)
                record_run_start(
                    con, self.run_id, pid=os.getpid(), host=socket.gethostname(), as_of=self.as_of,
                    flow_run_id=flow_run_id,
                )  # fmt: skip
                _reconcile_prefect(con)
        except (OSError, duckdb.Error) as err:
            self._lock.release()
            raise RunRefused(explain(err, self.settings.warehouse)) from err
        self._stopper = Stopper(home, self.settings.warehouse, self.run_id).__enter__()

    @contextmanager
    def stage(self, name: str):
        """Time the block and record its status. An exception ends the block and becomes the stage's
        one-line `problem` (the traceback goes to the log): the flow then finishes the run as failed."""
        self._write(record_stage_start, self.run_id, name)
        with measured(name) as measure:
            stage = StageRecord(measure)
            try:
                yield stage
            except Exception as err:
                stage.problem = f"{name}: {explain(err, self.settings.home)}"
                log.error("%s", stage.problem, exc_info=err)
        self.record(stage)

    def record(self, stage: StageRecord) -> dict:
        """Close a stage's row (or add one, for `land`, split out of extract's time)."""
        self._write(
            record_stage_end, self.run_id, stage.measure.stage, status="failed" if stage.problem else "ok",
            seconds=stage.seconds, peak_rss_mb=stage.measure.peak_rss_mb, error=stage.problem,
        )  # fmt: skip
        return stage.timing()

    def finish(self, status: str, problem: str | None) -> None:
        try:
            self._write(record_run_end, self.run_id, status, problem)
        finally:
            if self._stopper is not None:
                self._stopper.__exit__(None, None, None)
            if self._lock is not None:
                self._lock.release()

    def _write(self, record, *args, **kwargs) -> None:
        """Bookkeeping must not hide the run's own problem: a full disk is reported once, by the stage."""
        try:
            with self._db() as con:
                record(con, *args, **kwargs)
        except (OSError, duckdb.Error) as err:
            problem = explain(err, self.settings.warehouse)
            log.warning("run log not written (%s): %s", record.__name__, problem)


def _reconcile_prefect(con: duckdb.DuckDBPyConnection) -> None:
    """Runs this log knows ended (crashed, cancelled) but Prefect may still show as Running: set their
    Prefect state, where the flow run exists in this Prefect database (a temporary server keeps its
    database in PREFECT_HOME, so the next run sees the same runs)."""
    rows = con.execute(
        """select run_id, status, prefect_flow_run_id, problem from meta.runs
           where status in ('crashed', 'cancelled') and prefect_flow_run_id is not null
             and not coalesce(prefect_reconciled, false)"""
    ).fetchall()
    if not rows:
        return
    try:
        _set_prefect_states(con, rows)
    except Exception as err:  # Prefect's API is a nicety here: the run goes on, the next one tries again
        log.warning("Prefect states of earlier runs not corrected: %s", err)


def _set_prefect_states(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    with get_client(sync_client=True) as client:
        for run_id, status, flow_run_id, problem in rows:
            try:
                flow_run = client.read_flow_run(UUID(flow_run_id))
                if flow_run.state is None or not flow_run.state.is_final():
                    state = Cancelled(message=problem) if status == "cancelled" else Crashed(message=problem)
                    client.set_flow_run_state(flow_run.id, state, force=True)
            except ObjectNotFound:
                pass  # another Prefect database: nothing to correct here
            except Exception as err:  # the API may be down; try again next run
                log.warning("Prefect state of run %s not corrected: %s", run_id, err)
                continue
            con.execute("update meta.runs set prefect_reconciled = true where run_id = ?", [run_id])
