"""Build the dbt project over a hand-made warehouse, the way the nightly flow builds it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from flows.transform import NIGHTLY_EXCLUDES, invoke_build


def build_and_open(
    db_path: Path, work: Path, dbt_vars: dict, extra_args: tuple = ()
) -> duckdb.DuckDBPyConnection:
    """Build; fail the test naming every node that did not pass; open the result read-only."""
    # The models' unit tests run once, in tests/test_dbt_unit_tests.py; these builds check data.
    result = invoke_build(db_path, work, dbt_vars, (*extra_args, *NIGHTLY_EXCLUDES))
    failures = [
        f"{r.node.name}: {r.status} {r.message}"
        for r in (result.result or [])
        if str(r.status) not in ("success", "pass")
    ]
    assert result.success and not failures, f"dbt build failed: {result.exception} {failures}"
    return duckdb.connect(str(db_path), read_only=True)
