"""The GX suite over landed 1C data: each error-level check fails on the record that breaks it, and
names that record; clean data passes; a failure from an earlier night keeps blocking."""

from __future__ import annotations

import datetime as dt

from connectors.onec.streams import STREAMS
from quality.runner import run_quality
from warehouse.landing import Landing

NOW = dt.datetime(2026, 9, 30, 12, 0)
SPECS = {spec.name: spec for spec in STREAMS}


def shipment(key: str, **changes) -> dict:
    record = {
        "Ref_Key": key,
        "DataVersion": "AAAAAQ==",
        "DeletionMark": False,
        "Number": "ТД00-000001",
        "Date": "2026-09-01T10:00:00",
        "Posted": True,
        "Контрагент_Key": "11111111-1111-1111-1111-111111111111",
        "СуммаДокумента": 1200,
        "Товары": [
            {
                "Ref_Key": key,
                "LineNumber": "1",
                "Номенклатура_Key": "22222222-2222-2222-2222-222222222222",
                "Количество": 1,
                "Цена": 1200,
                "Сумма": 1200,
                "СтавкаНДС": "НДС22",
                "СуммаНДС": 216.39,
            }
        ],
    }
    record.update(changes)
    return record


def land(con, records: list[dict], run_id: str = "r1") -> None:
    landing = Landing(con, run_id=run_id, source="onec", schema="raw_onec")
    landing.open_stream("shipments")
    landing.land_page(SPECS["shipments"], records, None, version_field="DataVersion")


def failed(report) -> dict[tuple[str, str | None], str]:
    return {(r.expectation, r.column): r.details for r in report.errors}


def test_clean_documents_pass_every_check(con):
    land(
        con,
        [shipment("a0000000-0000-0000-0000-000000000001"), shipment("a0000000-0000-0000-0000-000000000002")],
    )
    report = run_quality(con, "r1", now=NOW)
    # shipments 8 checks, their lines 4, the daily sales 2 (docs/QUALITY.md)
    assert report.ok and len(report.results) == 14
    stored = con.execute(
        "select count(*), count(*) filter (where success) from meta.quality_results"
    ).fetchone()
    assert stored == (14, 14)


def test_each_error_names_the_record_that_breaks_it(con):
    good = shipment("a0000000-0000-0000-0000-000000000001")
    future = shipment("b0000000-0000-0000-0000-000000000002", Date="2099-01-01T00:00:00")
    unparseable = shipment("c0000000-0000-0000-0000-000000000003", Date="31.12.2025")
    text_amount = shipment("d0000000-0000-0000-0000-000000000004", СуммаДокумента="1 200,00")
    catalog_row = {"Ref_Key": "e0000000-0000-0000-0000-000000000005", "DataVersion": "AAAAAQ==", "Code": "1"}
    land(con, [good, future, unparseable, text_amount, catalog_row])

    report = run_quality(con, "r1", now=NOW)

    errors = failed(report)
    assert not report.ok
    assert set(errors) == {
        ("ExpectColumnValuesToBeBetween", "doc_date"),
        ("ExpectColumnValuesToNotBeNull", "doc_date"),
        ("ExpectColumnValuesToBeNull", "amount_not_numeric"),
        ("ExpectColumnValuesToBeInSet", "doc_kind"),
    }
    assert "b0000000-0000-0000-0000-000000000002" in errors[("ExpectColumnValuesToBeBetween", "doc_date")]
    assert "c0000000-0000-0000-0000-000000000003" in errors[("ExpectColumnValuesToNotBeNull", "doc_date")]
    assert (
        "d0000000-0000-0000-0000-000000000004" in errors[("ExpectColumnValuesToBeNull", "amount_not_numeric")]
    )
    assert "e0000000-0000-0000-0000-000000000005" in errors[("ExpectColumnValuesToBeInSet", "doc_kind")]
    lines = [r.line() for r in report.errors]
    assert all(line.startswith("ERROR onec.shipments:") for line in lines), lines


def test_a_bad_record_from_an_earlier_night_keeps_blocking_until_1c_fixes_it(con):
    key = "b0000000-0000-0000-0000-000000000002"
    land(con, [shipment(key, Date="2099-01-01T00:00:00")], run_id="night-1")
    land(con, [], run_id="night-2")
    assert not run_quality(con, "night-2", now=NOW).ok
    land(con, [shipment(key, Date="2026-09-02T00:00:00", DataVersion="AAAAAg==")], run_id="night-3")
    assert run_quality(con, "night-3", now=NOW).ok
