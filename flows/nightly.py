"""The `nightly_sync` Prefect flow: extract+land → quality → dbt build → publish → report.

One process writes the warehouse at a time: each stage opens the DuckDB file, does its work and
closes it before the next stage starts. Tasks take and return plain data (no settings objects, no
secrets), so nothing sensitive reaches the Prefect database, logs or artifacts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import asdict

import duckdb
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed

from flows.extract import sync_source
from flows.metering import StageMeasure, measured
from flows.report import render_markdown
from flows.settings import Settings, load_settings
from flows.sources import configured_sources, ensure_raw_tables
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


@task(name="extract-and-land", cache_policy=NO_CACHE)
def extract_and_land(run_id: str) -> dict:
    settings = load_settings()
    logger = get_run_logger()
    results = []
    with measured("extract") as measure, _connect(settings) as con:
        ensure_raw_tables(con)
        for source_id, source, options in configured_sources(settings):
            result = sync_source(con, source, run_id=run_id, source_id=source_id, **options)
            for stream in result.streams:
                logger.info(
                    "%s.%s: %s read=%d landed=%d rejects=%d pages=%d",
                    source_id, stream.stream, stream.status, stream.records_read, stream.records_landed,
                    stream.rejects, stream.pages,
                )  # fmt: skip
            results.append(
                {
                    "source": source_id,
                    "ok": result.ok,
                    "error": result.error,
                    "streams": [
                        {k: v for k, v in asdict(s).items() if k != "started_at"} for s in result.streams
                    ],
                }
            )
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


@task(name="quality", cache_policy=NO_CACHE)
def check_quality(run_id: str) -> dict:
    settings = load_settings()
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
def build_models(run_id: str, as_of: str | None) -> dict:
    settings = load_settings()
    with measured("dbt") as measure:
        outcome = dbt_build(settings, dt.date.fromisoformat(as_of) if as_of else None)
    return {**asdict(outcome), "timing": _timed(settings, run_id, measure)}


@task(name="publish", cache_policy=NO_CACHE)
def publish_marts(run_id: str, marts: list[str]) -> dict:
    settings = load_settings()
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
    settings = load_settings()
    as_of = as_of_date or (settings.as_of_date.isoformat() if settings.as_of_date else None)
    run_id = new_run_id()
    summary: dict = {"run_id": run_id, "as_of_date": as_of, "stale_sources": []}
    summary["extract"] = extract_and_land(run_id)
    failed = [s for s in summary["extract"]["sources"] if not s["ok"]]
    summary["stale_sources"] = [s["source"] for s in failed]
    if not summary["extract"]["sources"]:
        return _finish(summary, "no sources configured: set SALESPIPE_ONEC_URL (see .env.example)")
    if len(failed) == len(summary["extract"]["sources"]):
        return _finish(summary, "; ".join(s["error"] for s in failed))
    summary["quality"] = check_quality(run_id)
    if not summary["quality"]["ok"]:
        return _finish(
            summary, "quality errors, publish stopped: " + " | ".join(summary["quality"]["errors"])
        )
    summary["dbt"] = build_models(run_id, as_of)
    if not summary["dbt"]["success"]:
        return _finish(
            summary, "dbt build failed, publish stopped: " + " | ".join(summary["dbt"]["failures"])
        )
    summary["publish"] = publish_marts(run_id, summary["dbt"]["marts"])
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
