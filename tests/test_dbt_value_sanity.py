"""An amount no DECIMAL(18, 2) holds (9.99e17) reaching dbt: the build fails on the source's data test with
a message naming the stream, the document's key and number and the value, and no model built on it runs
(it does not crash anonymously inside some table, nor turn into a NULL in a mart). A clean 1C passes."""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors.onec.streams import STREAMS
from flows.sources import ensure_raw_tables
from flows.transform import NIGHTLY_EXCLUDES, invoke_build
from tests.test_quality import shipment
from warehouse.landing import Landing, ensure_meta

SPECS = {spec.name: spec for spec in STREAMS}
# int_sales and all it is built from: the shipments source (and so its data tests), staging, the signed
# union of documents; a data test only when all its parents are (cautious).
ONEC_MODELS = ("+int_sales",)


def land(path: Path, records: list[dict]) -> None:
    con = duckdb.connect(str(path))
    ensure_meta(con)
    ensure_raw_tables(con)  # every other raw table, empty: dbt reads them all
    landing = Landing(con, run_id="r1", source="onec", schema="raw_onec")
    landing.open_stream("shipments")
    landing.land_page(SPECS["shipments"], records, None, version_field="DataVersion")
    con.close()


def build(tmp_path: Path, records: list[dict]):
    land(tmp_path / "w.duckdb", records)
    variables = {"as_of_date": "2026-09-30", "timezone": "Europe/Moscow"}
    result = invoke_build(
        tmp_path / "w.duckdb",
        tmp_path,
        variables,
        ("--select", *ONEC_MODELS, "--indirect-selection", "cautious", *NIGHTLY_EXCLUDES),
    )
    return {r.node.name: (str(r.status), " ".join((r.message or "").split())) for r in result.result}


def test_an_amount_over_decimal_fails_the_build_naming_the_document(tmp_path):
    good = shipment("a0000000-0000-0000-0000-000000000001", Number="ТД00-000001")
    huge = shipment("a0000000-0000-0000-0000-000000000002", Number="ТД00-000002", СуммаДокумента=9.99e17)
    huge["Товары"][0]["Цена"] = 1e20
    nodes = build(tmp_path, [good, huge])
    (status, message) = nodes["source_onec_values_fit_onec_shipments_shipments"]
    assert status == "error"
    assert (
        "onec.shipments: 2 value(s) do not fit DECIMAL: "
        "document a0000000-0000-0000-0000-000000000002 № ТД00-000002 СуммаДокумента=999000000000000000.0; "
        "document a0000000-0000-0000-0000-000000000002 № ТД00-000002 Цена=100000000000000000000.0"
    ) in message, message
    assert nodes["stg_onec__shipments"][0] == "skipped" and nodes["int_sales"][0] == "skipped"
    assert "Conversion Error" not in " ".join(m for _, m in nodes.values())


def test_clean_documents_pass_and_build(tmp_path):
    nodes = build(tmp_path, [shipment("a0000000-0000-0000-0000-000000000001")])
    assert nodes["source_onec_values_fit_onec_shipments_shipments"][0] == "pass"
    failed = {name: value for name, value in nodes.items() if value[0] not in ("success", "pass")}
    assert failed == {}
