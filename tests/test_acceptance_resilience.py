"""Issue 2 acceptance: faults, a crash between two pages, a record without a key, bad credentials.

A BI reader holding the serving file through publishes is tested in test_reliability_readers.py, and a
wrong record stopping publish in test_reliability_bad_inputs.py.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.verify.customers import compare_with_truth
from tests.pipeline_harness import PASSWORD

pytestmark = pytest.mark.integration

SHIPMENTS = "Document_РеализацияТоваровУслуг"
ALL_SETS = (
    "Catalog_Контрагенты", "Catalog_Номенклатура", "Catalog_Пользователи", "Catalog_ВидыЦен",
    "InformationRegister_ЦеныНоменклатуры", "Document_ЗаказКлиента", SHIPMENTS,
    "Document_ВозвратТоваровОтКлиента",
)  # fmt: skip


def test_run_survives_rate_limits_server_errors_and_a_timeout_per_stream(company, pipeline_factory):
    pipeline = pipeline_factory(store_of(company, "onec"), http_timeout=1.0)
    for number, entity_set in enumerate(ALL_SETS):
        kind = "429" if number % 2 == 0 else "503"
        pipeline.simulator.faults.add(entity_set=entity_set, kind=kind, nth=2, times=1, retry_after=1)
        pipeline.simulator.faults.add(entity_set=entity_set, kind="timeout", nth=1, times=1, delay=2.0)
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    served = [status for _, _, status in pipeline.simulator.requests]
    assert served.count(429) == 4 and served.count(503) == 4, "every fault must really have been served"
    assert compare_with_truth(pipeline.serving_file, truth_for(company, ("onec",))) == []


def test_a_crash_between_two_pages_then_a_new_run_ends_with_the_same_marts(
    company, pipeline_factory, tmp_path
):
    pipeline = pipeline_factory(store_of(company, "onec"))
    # The 3rd page request of shipments blocks; the process is killed while pages 1-2 are landed.
    pipeline.simulator.faults.add(entity_set=SHIPMENTS, kind="hold", nth=3, times=1)
    process = pipeline.run_cli(
        ["run", "--as-of", company.as_of_date.isoformat()], prefect_home=tmp_path / "ph"
    )
    deadline = time.monotonic() + 120
    while not _held_request_arrived(pipeline) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    assert _held_request_arrived(pipeline), "the run never reached the third page of shipments"
    os.killpg(process.pid, signal.SIGKILL)  # the whole worker dies: the CLI and its Prefect server
    process.wait(timeout=30)
    pipeline.simulator.faults.release()
    pipeline.simulator.faults.clear()

    landed, cursor = pipeline.query_warehouse(
        """select (select count(*) from raw_onec.shipments),
                  (select cursor from meta.sync_state where source = 'onec' and stream = 'shipments')"""
    )[0]
    assert landed == 2 * 200 and cursor is not None, "the crash must leave two pages and their cursor"

    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    assert compare_with_truth(pipeline.serving_file, truth_for(company, ("onec",))) == []
    duplicates = pipeline.query_warehouse(
        "select count(*) - count(distinct (_id, _hash)) from raw_onec.shipments"
    )[0][0]
    assert duplicates == 0


def _held_request_arrived(pipeline) -> bool:
    return pipeline.simulator.faults.holding()


def test_a_record_without_a_key_is_rejected_with_its_reason_and_the_run_goes_on(company, pipeline_factory):
    store = store_of(company, "onec")
    keyless = {"DataVersion": "AAAAAQ==", "DeletionMark": False, "Code": "999", "Description": "Без ключа"}
    store["Catalog_Контрагенты"].append(keyless)
    pipeline = pipeline_factory(store)
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    rejects = pipeline.query_warehouse("select source, stream, reason, raw_text from meta.rejects")
    assert len(rejects) == 1
    source, stream, reason, raw_text = rejects[0]
    assert (source, stream) == ("onec", "counterparties")
    assert "no key" in reason and "Ref_Key" in reason
    assert "Без ключа" in raw_text
    assert compare_with_truth(pipeline.serving_file, truth_for(company, ("onec",))) == []


def test_wrong_credentials_give_one_clear_line_and_no_password_anywhere(company, pipeline_factory, tmp_path):
    pipeline = pipeline_factory(store_of(company, "onec"))
    wrong = "wrong-" + PASSWORD
    process = pipeline.run_cli(["run"], prefect_home=tmp_path / "ph", SALESPIPE_ONEC_PASSWORD=wrong)
    out, err = process.communicate(timeout=180)
    assert process.returncode == 1
    assert "Traceback" not in out + err
    error_lines = [line for line in (out + err).splitlines() if "401" in line]
    assert error_lines, out + err
    assert any("1C" in line and pipeline.url.split("/trade")[0] in line for line in error_lines)
    for text in (out, err, *_all_text_under(pipeline.home), *_all_text_under(tmp_path / "ph")):
        assert wrong not in text and PASSWORD not in text


def _all_text_under(folder) -> list[str]:
    texts = []
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                texts.append(handle.read().decode("utf-8", errors="replace"))
    return texts
