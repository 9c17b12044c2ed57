"""Issue 2 acceptance: faults, crashes, bad records, bad credentials and a BI reader holding the file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
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


def test_a_bi_reader_holding_the_serving_file_does_not_break_the_nightly_run(company, pipeline_factory):
    pipeline = pipeline_factory(store_of(company, "onec"))
    assert pipeline.run(company.as_of_date.isoformat())[0]
    reader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import duckdb, sys
            con = duckdb.connect({str(pipeline.serving_file)!r}, read_only=True)
            print(con.execute("select count(*) from marts.customer_portfolio").fetchone()[0], flush=True)
            sys.stdin.readline()   # hold the file open until the test says so
            print(con.execute("select count(*) from marts.customer_portfolio").fetchone()[0], flush=True)
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        before = int(reader.stdout.readline())
        store = store_of(company, "onec")
        store["Catalog_Контрагенты"].append(_new_counterparty())
        pipeline.replace_store(store)
        ok, summary = pipeline.run(company.as_of_date.isoformat())
        assert ok, summary.get("problem")
        reader.stdin.write("\n")
        reader.stdin.flush()
        after = int(reader.stdout.readline())
    finally:
        reader.kill()
        reader.wait()
    assert after == before, "a held connection keeps the whole snapshot it opened"
    with duckdb.connect(str(pipeline.serving_file), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.customer_portfolio").fetchone()[0] == before + 1


def _new_counterparty() -> dict:
    return {
        "Ref_Key": "ffffffff-0000-4000-8000-00000000bead",
        "DataVersion": "AAAAAQAAAAA=",
        "DeletionMark": False,
        "Code": "НФ-99999  ",
        "Description": "Новикова Анна Сергеевна",
        "НаименованиеПолное": "Новикова Анна Сергеевна",
        "ИНН": "",
        "ЮрФизЛицо": "ФизЛицо",
        "Parent_Key": "00000000-0000-0000-0000-000000000000",
        "IsFolder": False,
        "Predefined": False,
        "PredefinedDataName": "",
        "КонтактнаяИнформация": [
            {
                "Ref_Key": "ffffffff-0000-4000-8000-00000000bead",
                "LineNumber": "1",
                "Тип": "Телефон",
                "Вид": "Мобильный",
                "Представление": "+7 (999) 000-11-22",
                "НомерТелефона": "+7 (999) 000-11-22",
                "АдресЭП": "",
                "Город": "",
            }
        ],
    }


def test_an_error_level_quality_failure_stops_publish_and_says_why(company, pipeline_factory):
    pipeline = pipeline_factory(store_of(company, "onec"))
    assert pipeline.run(company.as_of_date.isoformat())[0]
    published_before = (pipeline.home / "serving" / "current").resolve()
    store = store_of(company, "onec")
    future = dict(
        store[SHIPMENTS][0], Ref_Key="eeeeeeee-0000-4000-8000-000000000001", Date="2099-01-01T10:00:00"
    )
    store[SHIPMENTS].append(future)
    pipeline.replace_store(store)
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert not ok
    assert "publish stopped" in summary["problem"]
    assert "doc_date" in summary["problem"] and "eeeeeeee-0000-4000-8000-000000000001" in summary["problem"]
    assert (pipeline.home / "serving" / "current").resolve() == published_before
    with duckdb.connect(str(pipeline.serving_file), read_only=True) as con:
        assert con.execute("select count(*) from marts.customer_portfolio").fetchone()[0] > 0
