"""Issue 2 acceptance: the real pipeline against the sandbox 1C, marts checked against the truth.

One pipeline is run three nights in a row (first load, a night with no changes, a night of edits in
1C); the module-scoped fixtures keep that order explicit.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.verify.customers import compare_with_truth
from tests.conftest import TEST_SCALE, TEST_SEED
from tests.pipeline_harness import SandboxPipeline

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    from sandbox.world.company import generate_company

    company = generate_company(scale=TEST_SCALE, seed=TEST_SEED)  # own instance: this module edits it
    pipeline = SandboxPipeline(tmp_path_factory.mktemp("nightly"), store_of(company, "onec"))
    yield company, pipeline
    pipeline.close()


@pytest.fixture(scope="module")
def first_run(nightly):
    company, pipeline = nightly
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    return truth_for(company, ("onec",)), summary, pipeline.marts_snapshot()


def test_first_run_marts_equal_the_truth(nightly, first_run):
    company, pipeline = nightly
    truth, summary, _ = first_run
    assert compare_with_truth(pipeline.serving_file, truth) == []
    # A few headline numbers spelled out, so a failure reads like the business question it breaks.
    import duckdb

    with duckdb.connect(str(pipeline.serving_file), read_only=True) as con:
        customers = con.execute("select count(*) from marts.customer_portfolio").fetchone()[0]
        counterparties = con.execute(
            "select sum(counterparty_count) from marts.customer_portfolio"
        ).fetchone()[0]
        revenue = con.execute("select sum(revenue) from marts.repeat_sales").fetchone()[0]
    assert customers == truth["customers"]
    assert counterparties > customers, "the sandbox has people with two cards: they must have been merged"
    assert float(revenue) == pytest.approx(truth["revenue_total"], abs=0.005)


def test_the_marts_are_queryable_by_a_separate_process(nightly, first_run):
    _, pipeline = nightly
    script = textwrap.dedent(f"""
        import duckdb
        con = duckdb.connect({str(pipeline.serving_file)!r}, read_only=True)
        for mart in ("customer_portfolio", "customer_cohorts", "repeat_sales"):
            print(mart, con.execute(f"select count(*) from marts.{{mart}}").fetchone()[0])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    counts = dict(line.split() for line in out.splitlines())
    assert set(counts) == {"customer_portfolio", "customer_cohorts", "repeat_sales"}
    assert all(int(n) > 0 for n in counts.values())


@pytest.fixture(scope="module")
def second_run(nightly, first_run):
    company, pipeline = nightly
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    return summary, pipeline.marts_snapshot()


def test_a_second_run_without_changes_leaves_every_mart_identical(first_run, second_run):
    _, _, marts_before = first_run
    summary, marts_after = second_run
    assert marts_after == marts_before
    landed = sum(s["records_landed"] for src in summary["extract"]["sources"] for s in src["streams"])
    assert landed == 0, "unchanged records must not be landed again"


def test_the_next_run_reflects_exactly_the_nights_edits_in_1c(nightly, second_run):
    company, pipeline = nightly
    truth_before = truth_for(company, ("onec",))
    company.apply_nightly_changes()
    truth_after = truth_for(company, ("onec",))
    assert truth_after["monthly"] != truth_before["monthly"], "the sandbox night must change the truth"
    pipeline.replace_store(store_of(company, "onec"))
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    assert compare_with_truth(pipeline.serving_file, truth_after) == []
