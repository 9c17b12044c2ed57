"""The dbt unit tests (`unit_tests:` in dbt_project/models/**/_*__unit_tests.yml), run the way the nightly
flow runs dbt: `flows.transform.invoke_build` against a real DuckDB file whose raw tables exist and are empty.

The selector is "+test_type:unit", not "test_type:unit": `dbt build` runs a unit test just before building
its model, so unit tests selected alone build nothing ("Nothing to do"), and dbt reads the column types of a
unit test's inputs from their relations, which must exist. The "+" builds the tested models' ancestors on
the empty raw tables (cheap); data tests are excluded: they check data, and there is none here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from flows import transform
from flows.transform import invoke_build

VARS = {"as_of_date": "2024-03-31", "timezone": "Europe/Moscow"}
ALL_UNIT_TESTS = ("--select", "+test_type:unit", "--exclude", "test_type:data")
MIN_UNIT_TESTS = 15

# The switchboard rule: a phone on more than var('max_shared_contact') live 1C cards links nothing.
SWITCHBOARD_MODEL = Path("models/intermediate/int_identity_links.sql")
SWITCHBOARD_RULE = "contact_value_usage.onec_records <= {{ var('max_shared_contact') }}"
SWITCHBOARD_TEST = "int_identity_links__switchboard_phone_is_not_a_key"


def empty_warehouse(path: Path) -> None:
    from flows.sources import ensure_raw_tables
    from warehouse.landing import ensure_meta

    con = duckdb.connect(str(path))
    try:
        ensure_meta(con)
        ensure_raw_tables(con)
    finally:
        con.close()


def unit_test_statuses(result) -> dict[str, str]:
    return {r.node.name: str(r.status) for r in (result.result or []) if r.node.resource_type == "unit_test"}


def other_failures(result) -> list[str]:
    return [
        f"{r.node.resource_type} {r.node.name}: {r.status} {(r.message or '').strip()}"
        for r in (result.result or [])
        if r.node.resource_type != "unit_test" and str(r.status) not in ("success", "pass")
    ]


@pytest.fixture(scope="module")
def unit_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt_unit_tests")
    warehouse = tmp / "warehouse.duckdb"
    empty_warehouse(warehouse)
    return warehouse, invoke_build(warehouse, tmp / "dbt", VARS, ALL_UNIT_TESTS)


def test_every_unit_test_passes(unit_run):
    _, result = unit_run
    statuses = unit_test_statuses(result)
    assert result.exception is None, f"dbt could not run: {result.exception}"
    assert len(statuses) >= MIN_UNIT_TESTS, sorted(statuses)
    failed = {name: status for name, status in statuses.items() if status != "pass"}
    assert not failed and not other_failures(result), f"{failed} {other_failures(result)}"
    assert result.success


def test_a_broken_switchboard_rule_fails_its_unit_test(unit_run, tmp_path, monkeypatch):
    """Copy the project, let a switchboard phone (on 4 cards) link records again: its unit test fails."""
    warehouse, _ = unit_run  # its relations exist: the unit tests read their inputs' column types there
    project = tmp_path / "dbt_project"
    shutil.copytree(
        transform.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    model = project / SWITCHBOARD_MODEL
    sql = model.read_text(encoding="utf-8")
    assert sql.count(SWITCHBOARD_RULE) == 1, "the switchboard rule moved: update this test"
    model.write_text(sql.replace(SWITCHBOARD_RULE, "true"), encoding="utf-8")
    monkeypatch.setattr(transform, "DBT_PROJECT_DIR", project)

    select = ("--select", "int_identity_links", "--exclude", "test_type:data")
    result = invoke_build(warehouse, tmp_path / "dbt", VARS, select)

    statuses = unit_test_statuses(result)
    assert statuses.get(SWITCHBOARD_TEST) == "fail", statuses
    assert not result.success
