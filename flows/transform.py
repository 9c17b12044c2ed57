"""Run `dbt build` in-process (dbtRunner): ~1 s of overhead instead of ~5 s through the CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from flows.settings import REPO_ROOT, Settings

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILE_PATH_VARIABLE = "DBT_SALESPIPE_WAREHOUSE_PATH"
# dbt's file log (<home>/dbt/logs/dbt.log) is at debug level by default: every statement of every node,
# ~27 000 lines a night, and writing them is a sixth of the build's time (docs/BENCHMARKS.md §7). At info
# it keeps one line per node with its status and every error; DBT_LOG_LEVEL_FILE=debug (dbt's own
# variable) brings the statements back when one is needed.
FILE_LOG_LEVEL_VARIABLE, DEFAULT_FILE_LOG_LEVEL = "DBT_LOG_LEVEL_FILE", "info"


@dataclass
class DbtOutcome:
    success: bool
    failures: list[str] = field(default_factory=list)
    nodes: int = 0
    marts: list[str] = field(default_factory=list)


def dbt_vars(settings: Settings, as_of: dt.date | None) -> dict:
    values = {
        "timezone": settings.timezone,
        "lost_after_days": settings.lost_after_days,
        "default_payment_term_days": settings.default_payment_term_days,
    }
    if as_of is not None:
        values["as_of_date"] = as_of.isoformat()
    return values


def invoke_build(warehouse: Path, work: Path, dbt_vars_: dict, extra_args: list[str] | tuple = ()):
    """`dbt build` of the project in this process against `warehouse`; dbt's own result object.

    The nightly flow and the dbt tests both build through here, so they build the same way.
    """
    from dbt.cli.main import dbtRunner  # heavy import: only when the stage runs

    args = [
        "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"),
        "--log-path", str(work / "logs"),
        "--vars", json.dumps(dbt_vars_),
        "--quiet",
        *extra_args,
    ]  # fmt: skip
    if not os.environ.get(FILE_LOG_LEVEL_VARIABLE):
        args += ["--log-level-file", DEFAULT_FILE_LOG_LEVEL]
    # profiles.yml reads the path from the environment; set it only for this call, so it cannot leak
    # into the settings of a later run (or a child process) in the same worker.
    saved = os.environ.get(PROFILE_PATH_VARIABLE)
    os.environ[PROFILE_PATH_VARIABLE] = str(warehouse)
    try:
        return dbtRunner().invoke(args)
    finally:
        release_warehouse()
        if saved is None:
            os.environ.pop(PROFILE_PATH_VARIABLE, None)
        else:
            os.environ[PROFILE_PATH_VARIABLE] = saved


# dbt unit tests check the models' SQL on hand-made rows, not the night's data: CI and the test suite run
# them (tests/test_dbt_unit_tests.py); the nightly build skips them.
NIGHTLY_EXCLUDES = ("--exclude-resource-type", "unit_test")


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def dbt_build(settings: Settings, as_of: dt.date | None) -> DbtOutcome:
    work, variables = settings.home / "dbt", dbt_vars(settings, as_of)
    result = invoke_build(settings.warehouse, work, variables, NIGHTLY_EXCLUDES)
    if result.exception is not None:
        return DbtOutcome(False, [f"dbt could not run: {_one_line(str(result.exception))}"])
    failures = [  # one line each: dbt's messages span lines ("Runtime Error in test …\n  Invalid Input …")
        f"{node.node.resource_type} {node.node.name}: {node.status} — {_one_line(node.message)}"
        for node in result.result
        if str(node.status) in ("error", "fail", "runtime error")
    ]
    return DbtOutcome(result.success and not failures, failures, len(result.result), _marts(result.result))


def _marts(node_results) -> list[str]:
    # From dbt's own results, not information_schema: dbt-duckdb keeps its connection open in this
    # process, and DuckDB refuses a second one with another configuration (read_only) to the same file.
    return sorted(
        node.node.name
        for node in node_results
        if node.node.resource_type == "model"
        and node.node.schema == "marts"
        and str(node.status) == "success"
    )


def release_warehouse() -> None:
    """Close the DuckDB connection dbt-duckdb keeps for the life of the process.

    Left open, it holds the warehouse file's lock and its configuration: the publish step (and the next
    night's extract in a long-lived worker) could not open the same file read-only.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
