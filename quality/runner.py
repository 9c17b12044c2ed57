"""Run the Great Expectations suites over landed data and keep the results in `meta.quality_results`."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass

import duckdb

from quality.onec_checks import StreamChecks, onec_checks
from warehouse.landing import utc_now


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
    return gx, context


def _validate(gx, context, stream: StreamChecks, frame) -> list[CheckResult]:
    datasource = context.data_sources.add_or_update_pandas(name=f"ds_{stream.suite}")
    asset = datasource.add_dataframe_asset(name=stream.suite)
    batch = asset.add_batch_definition_whole_dataframe("all").get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=stream.suite)
    for check in stream.checks:
        expectation = getattr(gx.expectations, check.expectation)(**check.kwargs)
        suite.add_expectation(expectation)
    results = []
    # COMPLETE + index columns: a failure names the records (their 1C keys), not just bad values.
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": ["ref_key"]}
    validation = batch.validate(suite, result_format=result_format)
    for check, outcome in zip(stream.checks, validation.results, strict=True):
        examples = (
            outcome.result.get("unexpected_index_list") or outcome.result.get("partial_unexpected_list") or []
        )
        failure = outcome.exception_info.get("exception_message") if not outcome.success else None
        results.append(
            CheckResult(
                suite=stream.suite,
                expectation=check.expectation,
                column=check.kwargs.get("column"),
                severity=check.severity,
                success=bool(outcome.success),
                unexpected_count=outcome.result.get("unexpected_count"),
                details=failure or json.dumps(examples[:3], ensure_ascii=False, default=str),
            )
        )
    return results


def run_quality(con: duckdb.DuckDBPyConnection, run_id: str, now: dt.datetime | None = None) -> QualityReport:
    """Validate every landed 1C stream; store and return the results."""
    landed = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw_onec'"
        ).fetchall()
    }
    now = now or (dt.datetime.now() + dt.timedelta(days=1))  # local clocks differ: one day of slack
    suites = onec_checks(now, landed)
    if not suites:
        return QualityReport([])
    gx, context = _gx_context()
    results: list[CheckResult] = []
    for stream in suites:
        frame = con.execute(stream.sql).df()
        results.extend(_validate(gx, context, stream, frame))
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
