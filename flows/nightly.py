"""The `nightly_sync` Prefect flow: extract+land (one task run per source) → quality → dbt build → publish.

One run per home at a time (flows/lifecycle.py holds the home's lock): each stage opens the DuckDB
file, does its work and closes it before the next stage starts. The run and each stage are recorded
in the run log as they start and end (flows/runs.py), so a killed run is found and marked at the next
start. Settings are loaded once per run and handed to the tasks as
plain data without secrets (a connector resolves its secrets by name when it is built), so nothing
sensitive reaches the Prefect database, logs or artifacts. Each source is its own task run
(`extract-<source>`): its own state, timing and retries in the UI; a failed source does not stop the
others, and the run publishes with that source marked stale.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import asdict

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed

from connectors.settings import SettingsError
from flows.extract import sync_source
from flows.metering import StageMeasure
from flows.problems import RunRefused, explain
from flows.report import render_markdown
from flows.runs import Run, StageRecord
from flows.settings import Settings, how_to_configure, load_settings
from flows.sources import connect, ensure_raw_tables
from flows.transform import dbt_build
from quality.runner import run_quality
from warehouse.landing import ensure_meta
from warehouse.publish import publish


def new_run_id() -> str:
    """Sortable by time (snapshot folders are pruned by name) and unique within a second."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(settings.warehouse))
    ensure_meta(con)
    return con


@task(name="extract", task_run_name="extract-{source_id}", cache_policy=NO_CACHE, retry_delay_seconds=30)
def extract_source(settings: Settings, source_id: str, run_id: str):
    """Extract and land every stream of one source. A source that failed ends its task run Failed (with its
    summary as data, so the report still shows its streams): Prefect retries it if retries are set."""
    logger = get_run_logger()
    started = time.perf_counter()
    with _connect(settings) as con:  # landing creates this source's raw tables; dbt's task creates all
        source, options = connect(settings, source_id)
        try:
            result = sync_source(con, source, run_id=run_id, source_id=source_id, **options)
        finally:
            source.close()
    for stream in result.streams:
        logger.info(
            "%s.%s: %s read=%d landed=%d rejects=%d pages=%d",
            source_id, stream.stream, stream.status, stream.records_read, stream.records_landed,
            stream.rejects, stream.pages,
        )  # fmt: skip
    summary = {
        "source": source_id,
        "ok": result.ok,
        "usable": result.usable,
        "profile": result.profile,
        "error": result.error,
        "seconds": round(time.perf_counter() - started, 2),
        "streams": [{k: v for k, v in asdict(s).items() if k != "started_at"} for s in result.streams],
    }
    if not result.ok:
        return Failed(message=result.error, data=summary)
    return summary


def extract_all(settings: Settings, run_id: str, stage: StageRecord) -> dict:
    """Every configured source as its own task run, one after another (one writer of the warehouse)."""
    results = []
    for source_id in settings.sources:
        task_run = extract_source.with_options(retries=settings.extract_retries)
        state = task_run(settings, source_id, run_id, return_state=True)
        results.append(_source_summary(state, source_id, settings.home))
    # Extract and land interleave page by page; the landing calls are timed, the rest is the source.
    stage.other_seconds = sum(s["land_seconds"] for r in results for s in r["streams"])
    return {"sources": results}


def _source_summary(state, source_id: str, home) -> dict:
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, dict):
        return outcome
    # Anything else is a setting the connector refused, a full disk or a bug: one line; the source is
    # stale, the others go on.
    reason = explain(outcome, home) if isinstance(outcome, BaseException) else state.message
    message = f"{source_id}: {reason}"
    return {
        "source": source_id,
        "ok": False,
        "usable": False,
        "error": message,
        "seconds": 0.0,
        "streams": [],
    }


@task(name="quality", cache_policy=NO_CACHE)
def check_quality(settings: Settings, run_id: str) -> dict:
    with _connect(settings) as con:
        report = run_quality(con, run_id)
    return {
        "ok": report.ok,
        "checks": len(report.results),
        "errors": [r.line() for r in report.errors],
        "warnings": [r.line() for r in report.warnings],
    }


@task(name="dbt-build", cache_policy=NO_CACHE)
def build_models(settings: Settings, as_of: str | None) -> dict:
    with _connect(settings) as con:  # every registered source's raw tables, configured or not
        ensure_raw_tables(con)
    return asdict(dbt_build(settings, dt.date.fromisoformat(as_of) if as_of else None))


@task(name="publish", cache_policy=NO_CACHE)
def publish_marts(settings: Settings, run_id: str, marts: list[str]) -> dict:
    published = publish(
        settings.warehouse, settings.serving_dir, run_id, marts, keep=settings.keep_snapshots,
        grace_seconds=settings.snapshot_grace_hours * 3600, file_mode=settings.serving_file_mode,
    )  # fmt: skip
    return {
        "serving_file": str(published.serving_file),
        "snapshot": str(published.snapshot_dir),
        "rows": published.rows,
    }


@flow(name="nightly_sync", log_prints=False)
def nightly_sync(as_of_date: str | None = None):
    """Sync every configured source, check it, build the marts and publish them for BI."""
    try:
        settings = load_settings()
    except SettingsError as err:  # named in one line, not a traceback (the CLI checks before this)
        return _refused(f"bad setting: {err}")
    as_of = as_of_date or (settings.as_of_date.isoformat() if settings.as_of_date else None)
    run = Run(settings, new_run_id(), as_of)
    try:
        run.begin(_flow_run_id())
    except RunRefused as err:
        return _refused(str(err))
    summary: dict = {"run_id": run.run_id, "as_of_date": as_of, "stale_sources": []}
    if run.abandoned:
        summary["abandoned"] = [f"{r} {status} during {stage}" for r, status, stage in run.abandoned]
    try:
        problem = _stages(settings, run, summary)
    except BaseException:
        run.finish("crashed", "the flow itself raised (see the log)")
        raise
    status = "failed" if problem else "ok"
    run.finish(status, problem)
    return _finish(summary, problem)


def _stages(settings: Settings, run: Run, summary: dict) -> str | None:
    """Run the stages in order; the first one that fails stops the run. Returns the run's problem."""
    with run.stage("extract") as stage:
        summary["extract"] = extract_all(settings, run.run_id, stage)
    summary.setdefault("extract", {"sources": []})
    sources_run = summary["extract"]["sources"]
    failed = [s for s in sources_run if not s["ok"]]
    summary["stale_sources"] = [s["source"] for s in failed]
    summary["extract"]["timing"] = stage.timing()
    summary["extract"]["land_timing"] = run.record(
        StageRecord(StageMeasure("land", stage.other_seconds, stage.measure.peak_rss_mb))
    )
    if stage.problem:
        return stage.problem
    if not sources_run:
        return how_to_configure()
    if not any(s["usable"] for s in sources_run):  # nothing publishable: keep yesterday's snapshot
        return "; ".join(s["error"] for s in failed)
    later = (
        ("quality", lambda: check_quality(settings, run.run_id), _quality_gate),
        ("dbt", lambda: build_models(settings, run.as_of), _dbt_gate),
        ("publish", lambda: publish_marts(settings, run.run_id, summary["dbt"]["marts"]), None),
    )
    for name, call, gate in later:
        problem = _stage(run, summary, name, call, gate)
        if problem:
            return problem
    stale = "; ".join(s["error"] for s in failed)
    return f"published with stale sources: {stale}" if failed else None


def _stage(run: Run, summary: dict, name: str, call, gate) -> str | None:
    """Run one stage into summary[name]; its problem (an exception, or what its gate says) or None."""
    with run.stage(name) as stage:
        summary[name] = call()
        stage.problem = gate(summary[name]) if gate else None
    if stage.problem:
        return stage.problem
    summary[name]["timing"] = stage.timing()
    return None


def _quality_gate(result: dict) -> str | None:
    return None if result["ok"] else "quality errors, publish stopped: " + " | ".join(result["errors"])


def _dbt_gate(result: dict) -> str | None:
    failures = " | ".join(result["failures"])
    return None if result["success"] else f"dbt build failed, publish stopped: {failures}"


def _flow_run_id() -> str | None:
    from prefect.runtime import flow_run

    return str(flow_run.id) if flow_run.id else None


def _refused(problem: str):
    get_run_logger().error("%s", problem)
    return Failed(message=problem, data={"run_id": "?", "status": "refused", "problem": problem})


def _finish(summary: dict, problem: str | None):
    summary["status"] = "failed" if problem else "ok"
    summary["problem"] = problem
    create_markdown_artifact(markdown=render_markdown(summary), key="nightly-sync-report")
    if problem:
        get_run_logger().error(problem)
        return Failed(message=problem, data=summary)
    return Completed(message="published", data=summary)
