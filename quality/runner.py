"""Run the Great Expectations suites over landed data and keep the results in `meta.quality_results`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from connectors.registry import sources
from quality.checks import Check, StreamChecks
from warehouse.landing import utc_now


def suites_by_source() -> dict[str, tuple[str, Callable]]:
    """Source id → (raw schema, the function giving the suites for its landed streams), from the registry."""
    return {d.id: (d.raw_schema, d.quality_suites()) for d in sources() if d.quality}


@dataclass(frozen=True)
class CheckResult:
    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    details: str

    def line(self) -> str:
        examples = f": {self.details}" if self.details else ""
        return (
            f"{self.severity.upper()} {self.suite}: {self.expectation}({self.column}) failed for "
            f"{self.unexpected_count} rows{examples}"
        )


@dataclass(frozen=True)
class QualityReport:
    results: list[CheckResult]

    @property
    def errors(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def warnings(self) -> list[CheckResult]:
        return [r for r in self.results if not r.success and r.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors


def _gx_context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx  # 3-4 s to import: only when the quality step runs

    # GX logs "Created temporary directory … for ephemeral docs site" at INFO on every run, from a
    # module logger it pins to INFO itself: noise in the nightly log.
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    # One datasource, asset and batch definition for every frame: each one added re-saves the context's
    # whole config, which made up a sixth of the stage with one set per suite.
    asset = context.data_sources.add_pandas(name="landed").add_dataframe_asset(name="frames")
    return gx, asset.add_batch_definition_whole_dataframe("whole frame")


def _validate(gx, batch_definition, stream: StreamChecks, frame) -> list[CheckResult]:
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=stream.suite)
    for number, check in enumerate(stream.checks):
        # GX returns results grouped by kind (column-map checks before column-pair ones), not in the order
        # added: `meta` carries each check's position back.
        suite.add_expectation(
            getattr(gx.expectations, check.expectation)(**check.kwargs, meta={"check": number})
        )
    # COMPLETE + index columns: a failure names the records (their source keys), not just bad values.
    # A 1C document is also shown with its number (labels): that is what a user finds it by in 1C.
    names = [stream.key, *stream.labels]
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": names}
    validation = batch.validate(suite, result_format=result_format)
    outcomes = {outcome.expectation_config.meta["check"]: outcome for outcome in validation.results}
    return [_result(stream, check, outcomes[number]) for number, check in enumerate(stream.checks)]


def _result(stream: StreamChecks, check: Check, outcome) -> CheckResult:
    examples = (
        outcome.result.get("unexpected_index_list") or outcome.result.get("partial_unexpected_list") or []
    )
    failure = outcome.exception_info.get("exception_message") if not outcome.success else None
    return CheckResult(
        suite=stream.suite,
        expectation=check.expectation,
        column=check.column,
        severity=check.severity,
        success=bool(outcome.success),
        unexpected_count=outcome.result.get("unexpected_count"),
        details=failure or json.dumps(examples[:3], ensure_ascii=False, default=str),
    )


def all_suites(con: duckdb.DuckDBPyConnection, now: dt.datetime) -> list[StreamChecks]:
    """Every source's suites, for the streams that hold landed records."""
    landed = landed_streams(con)
    return [
        suite
        for source, (schema, suites_for) in suites_by_source().items()
        for suite in suites_for(now, landed.get(schema, set()))
    ]


def landed_streams(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Raw schema → its tables that hold at least one row. The flow creates every known raw table up
    front (empty), so an unconfigured source has tables but nothing to check."""
    schemas = [schema for schema, _ in suites_by_source().values()]
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables where list_contains(?, table_schema)",
        [schemas],
    ).fetchall()
    landed: dict[str, set[str]] = {}
    for schema, table in tables:
        if con.execute(f"select exists (from {schema}.{table})").fetchone()[0]:
            landed.setdefault(schema, set()).add(table)
    return landed


def run_quality(con: duckdb.DuckDBPyConnection, run_id: str, now: dt.datetime | None = None) -> QualityReport:
    """Validate every landed stream of every source; store and return the results."""
    now = now or (dt.datetime.now() + dt.timedelta(days=1))  # local clocks differ: one day of slack
    suites = all_suites(con, now)
    if not suites:
        return QualityReport([])
    gx, batch_definition = _gx_context()
    results: list[CheckResult] = []
    for stream in suites:
        frame = con.execute(stream.sql).df()
        results.extend(_validate(gx, batch_definition, stream, frame))
    _store(con, run_id, results)
    return QualityReport(results)


def _store(con: duckdb.DuckDBPyConnection, run_id: str, results: list[CheckResult]) -> None:
    checked_at = utc_now()
    con.executemany(  # a few dozen rows per run: executemany is fine here
        "insert into meta.quality_results values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                run_id,
                r.suite,
                r.expectation,
                r.column,
                r.severity,
                r.success,
                r.unexpected_count,
                r.details,
                checked_at,
            ]
            for r in results
        ],
    )
