"""Landing on a real DuckDB file: dedupe by content, rejects, cursor atomicity, reconciliation."""

from __future__ import annotations

import duckdb
import pytest

from connectors.base import StreamSpec
from warehouse.landing import Landing

DOCS = StreamSpec("shipments", "Document_X", "window", ("Ref_Key",), "Date")
PRICES = StreamSpec("prices", "InformationRegister_X", "full", ("Period", "Номенклатура_Key", "ВидЦены_Key"))


def doc(key: str, date: str, amount: float, version: str = "v1") -> dict:
    return {"Ref_Key": key, "DataVersion": version, "Date": date, "СуммаДокумента": amount}


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as connection:
        yield connection


def landing(con, run_id: str = "r1") -> Landing:
    result = Landing(con, run_id=run_id, source="onec", schema="raw_onec")
    result.open_stream("shipments")
    return result


def test_a_page_lands_with_its_cursor_and_unchanged_records_are_not_landed_twice(con):
    first = landing(con).land_page(
        DOCS,
        [doc("a", "2024-01-01T10:00:00", 10), doc("b", "2024-01-02T10:00:00", 20)],
        "2024-01-02T10:00:00",
        version_field="DataVersion",
    )
    assert (first.read, first.landed, first.rejected) == (2, 2, 0)
    again = landing(con, "r2")
    second = again.land_page(
        DOCS,
        [doc("a", "2024-01-01T10:00:00", 10), doc("b", "2024-01-02T10:00:00", 25, "v2")],
        "2024-01-02T10:00:00",
        version_field="DataVersion",
    )
    assert (second.read, second.landed) == (2, 1)
    rows = con.execute(
        "select _id, _batch_id, _data->>'СуммаДокумента' from raw_onec.shipments order by _id, _loaded_seq"
    ).fetchall()
    assert rows == [("a", "r1", "10"), ("b", "r1", "20"), ("b", "r2", "25")]
    assert again.cursor("shipments") == "2024-01-02T10:00:00"


def test_a_key_repeated_within_a_page_lands_once_as_its_last_version(con):
    result = landing(con).land_page(
        DOCS, [doc("a", "2024-01-01T10:00:00", 1), doc("a", "2024-01-01T10:00:00", 2)], None
    )
    assert result.landed == 1
    assert con.execute("select _data->>'СуммаДокумента' from raw_onec.shipments").fetchall() == [("2",)]


def test_records_without_a_key_or_not_objects_are_rejected_with_reason_and_raw_text(con):
    records = [
        doc("a", "2024-01-01T10:00:00", 1),
        {"Date": "2024-01-01T00:00:00", "Описание": "без ключа"},
        doc("00000000-0000-0000-0000-000000000000", "2024-01-01T10:00:00", 3),
        ["not", "an", "object"],
    ]
    result = landing(con).land_page(DOCS, records, None)
    assert (result.read, result.landed, result.rejected) == (4, 1, 3)
    rejects = con.execute(
        "select record_no, reason, raw_text from meta.rejects order by record_no"
    ).fetchall()
    assert [r[0] for r in rejects] == [2, 3, 4]
    assert rejects[0][1] == "no key: Ref_Key missing or empty" and "без ключа" in rejects[0][2]
    assert rejects[2][1] == "not a JSON object"


def test_a_failing_page_leaves_neither_rows_nor_cursor(con, monkeypatch):
    target = landing(con)
    target.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1)], "2024-01-01T10:00:00")

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(target, "_save_cursor", explode)
    with pytest.raises(RuntimeError):
        target.land_page(DOCS, [doc("b", "2024-02-01T10:00:00", 2)], "2024-02-01T10:00:00")
    assert con.execute("select count(*) from raw_onec.shipments").fetchone()[0] == 1
    assert target.cursor("shipments") == "2024-01-01T10:00:00"


def test_a_version_scan_finds_changed_and_vanished_keys_and_tombstones_land_once(con):
    first = landing(con)
    first.land_page(
        DOCS,
        [
            doc("a", "2024-01-01T10:00:00", 1),
            doc("b", "2024-01-01T11:00:00", 2),
            doc("c", "2024-01-01T12:00:00", 3),
        ],
        None,
        version_field="DataVersion",
    )
    scan = landing(con, "r2")
    scan.note_versions("shipments", [("a", "v1"), ("b", "v9"), ("d", "v1")])
    assert scan.changed_keys("shipments") == ["b", "d"]
    assert scan.vanished_keys("shipments") == ["c"]
    assert scan.land_tombstones("shipments", ["c"]) == 1
    assert scan.vanished_keys("shipments") == []
    latest = con.execute(
        """select _id, _deleted from raw_onec.shipments
           qualify row_number() over (partition by _id order by _loaded_seq desc) = 1 order by _id"""
    ).fetchall()
    assert latest == [("a", False), ("b", False), ("c", True)]


def test_a_deleted_record_that_comes_back_is_landed_again(con):
    first = landing(con)
    first.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1)], None)
    first.land_tombstones("shipments", ["a"])
    again = landing(con, "r2").land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1)], None)
    assert again.landed == 1


def test_composite_keys_join_their_fields(con):
    target = Landing(con, run_id="r1", source="onec", schema="raw_onec")
    target.open_stream("prices")
    row = {"Period": "2024-01-01T00:00:00", "Номенклатура_Key": "p1", "ВидЦены_Key": "t1", "Цена": 10}
    assert target.land_page(PRICES, [row], None).landed == 1
    assert con.execute("select _id from raw_onec.prices").fetchone()[0] == "2024-01-01T00:00:00|p1|t1"
