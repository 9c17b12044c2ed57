"""Landing on a real DuckDB file: dedupe by content, rejects, cursor atomicity, reconciliation."""

from __future__ import annotations

import duckdb
import pytest

from contract.records import StreamSpec
from warehouse.landing import Landing, PageResult

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


def record_state(con) -> list[tuple]:
    return con.execute("select * from meta.record_state order by all").fetchall()


def raw_rows(con) -> int:
    return con.execute("select count(*) from raw_onec.shipments").fetchone()[0]


def test_a_night_with_nothing_changed_appends_nothing_and_leaves_the_state_as_it_was(con):
    records = [doc(f"k{i}", f"2024-01-{i + 1:02}T10:00:00", i, f"v{i}") for i in range(20)]
    assert landing(con).land_page(DOCS, records, "2024-01-20", version_field="DataVersion").landed == 20
    state = record_state(con)
    again = landing(con, "r2").land_page(DOCS, records, "2024-01-21", version_field="DataVersion")
    assert again == PageResult(read=20, landed=0, rejected=0)
    assert record_state(con) == state and raw_rows(con) == 20
    assert landing(con, "r3").cursor("shipments") == "2024-01-21"


def test_a_changed_record_appends_one_row_and_a_new_version_alone_only_updates_the_state(con):
    landing(con).land_page(
        DOCS, [doc("a", "2024-01-01T10:00:00", 1), doc("b", "2024-01-01T11:00:00", 2)], None
    )
    assert [(row[2], row[4]) for row in record_state(con)] == [("a", None), ("b", None)]
    second = landing(con, "r2")
    changed = second.land_page(
        DOCS,
        [doc("a", "2024-01-01T10:00:00", 5, "v2"), doc("b", "2024-01-01T11:00:00", 2)],
        None,
        version_field="DataVersion",
    )
    assert changed.landed == 1
    rows = con.execute("select _id, _batch_id from raw_onec.shipments order by _batch_id, _id").fetchall()
    assert rows == [("a", "r1"), ("b", "r1"), ("a", "r2")]
    # b is unchanged but now has a version: the state learns it, the raw table gets nothing.
    assert [(row[2], row[4]) for row in record_state(con)] == [("a", "v2"), ("b", "v1")]


def test_within_one_run_a_record_changed_and_changed_back_lands_each_time(con):
    target = landing(con)
    landed = [
        target.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", amount)], None).landed
        for amount in (1, 2, 1, 1)
    ]
    assert landed == [1, 1, 1, 0]
    amounts = con.execute(
        "select _data->>'СуммаДокумента' from raw_onec.shipments order by _loaded_seq"
    ).fetchall()
    assert amounts == [("1",), ("2",), ("1",)]


def test_a_page_that_failed_lands_in_full_when_tried_again(con, monkeypatch):
    target = landing(con)

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(target, "_save_cursor", explode)
    page = [doc("a", "2024-01-01T10:00:00", 1), doc("b", "2024-01-02T10:00:00", 2)]
    with pytest.raises(RuntimeError):
        target.land_page(DOCS, page, "2024-01-02T10:00:00")
    monkeypatch.undo()
    assert record_state(con) == [] and raw_rows(con) == 0
    assert target.land_page(DOCS, page, "2024-01-02T10:00:00").landed == 2
    assert target.cursor("shipments") == "2024-01-02T10:00:00"


def test_a_key_tombstoned_in_this_run_is_landed_again_when_it_comes_back(con):
    target = landing(con)
    target.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1)], None)
    assert target.land_tombstones("shipments", ["a"]) == 1
    assert target.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1)], None).landed == 1
    assert [(row[2], row[5]) for row in record_state(con)] == [("a", False)]


def test_landing_a_stream_leaves_other_streams_and_sources_alone(con):
    elsewhere = Landing(con, run_id="r1", source="bp30", schema="raw_bp30")
    elsewhere.open_stream("shipments")
    elsewhere.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1), doc("z", "2024-01-01T10:00:00", 9)], "c1")
    prices = Landing(con, run_id="r1", source="onec", schema="raw_onec")
    prices.open_stream("prices")
    row = {"Period": "2024-01-01T00:00:00", "Номенклатура_Key": "p1", "ВидЦены_Key": "t1", "Цена": 10}
    prices.land_page(PRICES, [row], None)
    before = record_state(con)

    target = landing(con, "r2")
    page = [doc("a", "2024-01-01T10:00:00", 2)]
    assert target.land_page(DOCS, page, "c2", version_field="DataVersion").landed == 1
    target.note_versions("shipments", [("a", "v1")])
    assert target.vanished_keys("shipments") == []
    assert target.changed_keys("shipments") == []

    ours = [r for r in record_state(con) if (r[0], r[1]) == ("onec", "shipments")]
    assert [r for r in record_state(con) if r not in ours] == before
    assert elsewhere.cursor("shipments") == "c1" and target.cursor("shipments") == "c2"
    assert con.execute("select count(*) from raw_bp30.shipments").fetchone()[0] == 2


def test_a_later_version_scan_overrides_what_pages_and_earlier_scans_saw(con):
    target = landing(con)
    target.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1)], None, version_field="DataVersion")
    assert target.changed_keys("shipments") == []
    target.note_versions("shipments", [("a", "v2")])
    assert target.changed_keys("shipments") == ["a"]
    target.note_versions("shipments", [("a", "v1")])
    assert target.changed_keys("shipments") == []


def test_landing_checkpoints_once_per_stream_instead_of_every_16_mb(con):
    target = landing(con)
    assert con.execute("select current_setting('checkpoint_threshold')").fetchone()[0] == "244.1 MiB"
    target.land_page(DOCS, [doc("a", "2024-01-01T10:00:00", 1)], "2024-01-01T10:00:00")
    assert con.execute("select wal_size from pragma_database_size()").fetchone()[0] != "0 bytes"
    target.open_stream("prices")
    assert con.execute("select wal_size from pragma_database_size()").fetchone()[0] == "0 bytes"
