"""The `nightly_sync` Prefect flow: extract+land (one task run per source) → quality → dbt build → publish.

One process writes the warehouse at a time: each stage opens the DuckDB file, does its work and
closes it before the next stage starts. Settings are loaded once per run and handed to the tasks as
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

from connectors.registry import sources
from connectors.settings import SettingsError
from flows.extract import sync_source
from flows.metering import StageMeasure, measured
from flows.report import render_markdown
from flows.settings import Settings, load_settings
from flows.sources import connect, ensure_raw_tables
from flows.transform import dbt_build
from quality.runner import run_quality
from warehouse.landing import ensure_meta
from warehouse.publish import publish
from warehouse.runlog import record_stage_timing


def new_run_id() -> str:
    """Sortable by time (snapshot folders are pruned by name) and unique within a second."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def _connect(settings: Settings) -> duckdb.DuckDBPyConnection:
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse))
    ensure_meta(con)
    return con


def _timed(settings: Settings, run_id: str, measure) -> dict:
    with _connect(settings) as con:
        record_stage_timing(con, run_id, measure.stage, measure.seconds, measure.peak_rss_mb)
    return {"seconds": round(measure.seconds, 2), "peak_rss_mb": round(measure.peak_rss_mb, 1)}


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
        "error": result.error,
        "seconds": round(time.perf_counter() - started, 2),
        "streams": [{k: v for k, v in asdict(s).items() if k != "started_at"} for s in result.streams],
    }
    if not result.ok:
        return Failed(message=result.error, data=summary)
    return summary


def extract_all(settings: Settings, run_id: str) -> dict:
    """Every configured source as its own task run, one after another (one writer of the warehouse)."""
    results = []
    with measured("extract") as measure:
        for source_id in settings.sources:
            task_run = extract_source.with_options(retries=settings.extract_retries)
            state = task_run(settings, source_id, run_id, return_state=True)
            results.append(_source_summary(state, source_id))
    # Extract and land interleave page by page; the landing calls are timed, the rest is the source.
    # Both share one peak memory figure: they run in the same moments.
    land = StageMeasure(
        "land", sum(s["land_seconds"] for r in results for s in r["streams"]), measure.peak_rss_mb
    )
    extract = StageMeasure("extract", measure.seconds - land.seconds, measure.peak_rss_mb)
    return {
        "sources": results,
        "timing": _timed(settings, run_id, extract),
        "land_timing": _timed(settings, run_id, land),
    }


def _source_summary(state, source_id: str) -> dict:
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, dict):
        return outcome
    # Anything else is a bug or a setting the connector refused: the source is stale, the others go on.
    reason = f"{type(outcome).__name__}: {outcome}" if isinstance(outcome, Exception) else state.message
    message = f"{source_id}: {reason}"
    return {"source": source_id, "ok": False, "error": message, "seconds": 0.0, "streams": []}


@task(name="quality", cache_policy=NO_CACHE)
def check_quality(settings: Settings, run_id: str) -> dict:
    with measured("quality") as measure, _connect(settings) as con:
        report = run_quality(con, run_id)
    return {
        "ok": report.ok,
        "checks": len(report.results),
        "errors": [r.line() for r in report.errors],
        "warnings": [r.line() for r in report.warnings],
        "timing": _timed(settings, run_id, measure),
    }


@task(name="dbt-build", cache_policy=NO_CACHE)
def build_models(settings: Settings, run_id: str, as_of: str | None) -> dict:
    with measured("dbt") as measure:
        with _connect(settings) as con:  # every registered source's raw tables, configured or not
            ensure_raw_tables(con)
        outcome = dbt_build(settings, dt.date.fromisoformat(as_of) if as_of else None)
    return {**asdict(outcome), "timing": _timed(settings, run_id, measure)}


@task(name="publish", cache_policy=NO_CACHE)
def publish_marts(settings: Settings, run_id: str, marts: list[str]) -> dict:
    with measured("publish") as measure:
        published = publish(
            settings.warehouse, settings.serving_dir, run_id, marts, keep=settings.keep_snapshots
        )
    return {
        "serving_file": str(published.serving_file),
        "snapshot": str(published.snapshot_dir),
        "rows": published.rows,
        "timing": _timed(settings, run_id, measure),
    }


@flow(name="nightly_sync", log_prints=False)
def nightly_sync(as_of_date: str | None = None):
    """Sync every configured source, check it, build the marts and publish them for BI."""
    try:
        settings = load_settings()
    except SettingsError as err:  # named in one line, not a traceback (the CLI checks before this)
        get_run_logger().error("bad setting: %s", err)
        return Failed(
            message=f"bad setting: {err}", data={"run_id": "?", "status": "failed", "problem": str(err)}
        )
    as_of = as_of_date or (settings.as_of_date.isoformat() if settings.as_of_date else None)
    run_id = new_run_id()
    summary: dict = {"run_id": run_id, "as_of_date": as_of, "stale_sources": []}
    summary["extract"] = extract_all(settings, run_id)
    failed = [s for s in summary["extract"]["sources"] if not s["ok"]]
    summary["stale_sources"] = [s["source"] for s in failed]
    if not summary["extract"]["sources"]:
        return _finish(summary, "no sources configured: " + _how_to_configure())
    if len(failed) == len(summary["extract"]["sources"]):
        return _finish(summary, "; ".join(s["error"] for s in failed))
    summary["quality"] = check_quality(settings, run_id)
    if not summary["quality"]["ok"]:
        return _finish(
            summary, "quality errors, publish stopped: " + " | ".join(summary["quality"]["errors"])
        )
    summary["dbt"] = build_models(settings, run_id, as_of)
    if not summary["dbt"]["success"]:
        return _finish(
            summary, "dbt build failed, publish stopped: " + " | ".join(summary["dbt"]["failures"])
        )
    summary["publish"] = publish_marts(settings, run_id, summary["dbt"]["marts"])
    stale = "; ".join(s["error"] for s in failed)
    return _finish(summary, f"published with stale sources: {stale}" if failed else None)


def _finish(summary: dict, problem: str | None):
    summary["status"] = "failed" if problem else "ok"
    summary["problem"] = problem
    create_markdown_artifact(markdown=render_markdown(summary), key="nightly-sync-report")
    if problem:
        get_run_logger().error(problem)
        return Failed(message=problem, data=summary)
    return Completed(message="published", data=summary)


def _how_to_configure() -> str:
    switches = [f"{d.settings.prefix()}{d.settings.switch} ({d.label})" for d in sources()]
    return "set " + " or ".join(switches) + " (see .env.example)"
