"""Sane values only (issue 7): a 1C document whose amount has the wrong sign for its kind or no business
could have, a date outside 2000 … the run's clock, a name garbled by a wrong charset each stop publish with
one line naming the stream, the record (key and number) and the value; a jump in a day's sales is a
warning naming the day and the numbers, and never blocks. The sandbox company's 1C passes it all.

(amoCRM and website cases are in tests/test_quality_sources.py's BREAKS; the HTTP decoding in
tests/test_http_client.py; the dbt side in tests/test_dbt_value_sanity.py.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connectors.onec.streams import STREAMS
from quality.checks import MAX_AMOUNT_RUB
from quality.runner import run_quality
from sandbox.systems import store_of
from tests.test_quality import NOW, shipment
from warehouse.landing import Landing

SPECS = {spec.name: spec for spec in STREAMS}
COUNTERPARTY = "11111111-1111-1111-1111-111111111111"


def land(con, stream: str, records: list[dict]) -> None:
    landing = Landing(con, run_id="r1", source="onec", schema="raw_onec")
    landing.open_stream(stream)
    landing.land_page(SPECS[stream], records, None, version_field="DataVersion")


def key(number: int) -> str:
    return f"a0000000-0000-0000-0000-{number:012d}"


def document(number: int, amount, **changes) -> dict:
    """A posted document of `amount` RUB, one line of the same amount."""
    record = shipment(key(number), Number=f"ТД00-{number:06d}", СуммаДокумента=amount, **changes)
    record["Товары"] = [{**record["Товары"][0], "Ref_Key": key(number), "Цена": amount, "Сумма": amount}]
    return record


def lines(report, severity: str = "error") -> list[str]:
    return [r.line() for r in report.results if not r.success and r.severity == severity]


def named(line: str) -> list[dict]:
    return json.loads(line.split(" rows: ", 1)[1])


def test_a_negative_shipment_stops_publish_naming_document_number_and_value(con):
    land(con, "shipments", [document(1, 1200), document(2, -5_000_000)])
    report = run_quality(con, "r1", now=NOW)
    assert not report.ok
    document_line, line_line = lines(report)
    assert document_line.startswith(
        "ERROR onec.shipments: ExpectColumnValuesToBeBetween(amount) failed for 1 rows"
    )
    assert named(document_line) == [{"amount": -5_000_000.0, "ref_key": key(2), "number": "ТД00-000002"}]
    assert line_line.startswith("ERROR onec.shipments_lines: ExpectColumnValuesToBeBetween(line_amount)")
    assert named(line_line) == [{"line_amount": -5_000_000.0, "ref_key": key(2), "number": "ТД00-000002"}]


def test_a_return_is_positive_in_1c_so_a_negative_one_is_wrong_too(con):
    """1C keeps a return's amount positive; int_onec_documents makes it subtract. A negative return
    would add revenue."""
    land(con, "returns", [document(1, 300), document(2, -300)])
    [document_line, _] = lines(run_quality(con, "r1", now=NOW))
    assert document_line.startswith("ERROR onec.returns: ExpectColumnValuesToBeBetween(amount)")
    assert [row["ref_key"] for row in named(document_line)] == [key(2)]


def test_an_amount_no_business_has_is_one_error_line_before_dbt_sees_it(con):
    land(
        con, "shipments", [document(1, 1200), shipment(key(2), Number="ТД00-000002", СуммаДокумента=9.99e17)]
    )
    [line] = lines(run_quality(con, "r1", now=NOW))  # the line's own Сумма is fine: one problem, one line
    assert named(line) == [{"amount": 9.99e17, "ref_key": key(2), "number": "ТД00-000002"}]
    land(con, "shipments", [document(3, MAX_AMOUNT_RUB)])  # the bound itself is allowed
    assert len(lines(run_quality(con, "r2", now=NOW))) == 1


@pytest.mark.parametrize("date", ["1900-01-01T00:00:00", "2099-01-01T00:00:00", "0001-01-01T00:00:00"])
def test_a_date_before_2000_or_after_the_run_stops_publish(con, date):
    land(con, "shipments", [document(1, 1200), document(2, 1200, Date=date)])
    [line] = lines(run_quality(con, "r1", now=NOW))
    assert line.startswith("ERROR onec.shipments: ExpectColumnValuesToBeBetween(doc_date)")
    assert [row["ref_key"] for row in named(line)] == [key(2)]


GARBLED = {
    "U+FFFD (cp1251 read as UTF-8)": "\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd \ufffd\ufffd\ufffd\ufffd",
    "UTF-8 read as cp1251": "Сергей Петров".encode().decode("cp1251"),
    "UTF-8 read as latin-1": "Сергей Петров".encode().decode("latin-1"),
    "UTF-8 read as cp1252": "Сергей Петров".encode().decode("cp1252"),
    "Latin UTF-8 read as latin-1": "Café Müller".encode().decode("latin-1"),
    "cp1251 read as latin-1": "Иванов Иван".encode("cp1251").decode("latin-1"),
}
# Real names that look close: ё after Р/С, Ukrainian і, guillemets after С, Latin letters with accents.
REAL_NAMES = [
    "Рёрих Николай Константинович", "Сёмина Алёна", "ООО «ПРОГРЕСС»", "ТОВ «Рівне-Агро»", "España S.L.",
    "Müller GmbH", "Ёлкин", "ИП Сергеев С.С.", "Café Noël", "ООО «С-Трейд» №2",
]  # fmt: skip


def counterparty(number: int, name: str) -> dict:
    return {
        "Ref_Key": key(number),
        "DataVersion": "AAAAAQ==",
        "Description": name,
        "НаименованиеПолное": name,
    }


def test_a_garbled_name_stops_publish_naming_the_record_and_real_names_pass(con):
    records = [counterparty(n, name) for n, name in enumerate(REAL_NAMES, start=1)]
    garbled = {key(100 + n): text for n, text in enumerate(GARBLED.values())}
    records += [counterparty(int(k[-3:]), text) for k, text in garbled.items()]
    land(con, "counterparties", records)
    report = run_quality(con, "r1", now=NOW)
    [line] = lines(report)
    assert line.startswith(
        f"ERROR onec.counterparties: ExpectColumnValuesToBeNull(names_garbled) failed for {len(GARBLED)} rows"
    )
    failure = next(r for r in report.errors)
    assert failure.unexpected_count == len(GARBLED)
    shown = named(line)  # three examples; the count says how many
    assert {row["ref_key"] for row in shown} <= set(garbled)
    assert all(row["names_garbled"].startswith("Description=") for row in shown)


def test_a_jump_in_a_days_sales_is_a_warning_naming_the_day_and_the_numbers(con):
    days = [dt.date(2026, 8, 1) + dt.timedelta(days=n) for n in range(30)]
    buyers = [f"b0000000-0000-0000-0000-{n:012d}" for n in range(20)]
    records = [
        document(n, 10_000, Date=f"{day}T12:00:00", Контрагент_Key=buyers[n % 2])
        for n, day in enumerate(days)
    ]
    # Sept 1: one typo (1 000 000 for 10 000) and twenty buyers instead of one or two.
    spike = dt.date(2026, 9, 1)
    records.append(document(100, 1_000_000, Date=f"{spike}T12:00:00"))
    records += [
        document(200 + n, 1000, Date=f"{spike}T13:00:00", Контрагент_Key=b) for n, b in enumerate(buyers)
    ]
    land(con, "shipments", records)
    report = run_quality(con, "r1", now=NOW)
    assert report.ok, lines(report)  # a warning never blocks
    revenue, buyers_line = lines(report, "warning")
    assert revenue == (
        "WARNING onec.daily_sales: ExpectColumnValuesToBeNull(revenue_jump) failed for 1 rows: "
        '[{"revenue_jump": "revenue 1,020,000.00 RUB vs at most 10,000.00 a day in the 28 days before", '
        '"day": "2026-09-01"}]'
    )
    assert (
        '"buyers_jump": "21 buyers vs at most 1 a day in the 28 days before", "day": "2026-09-01"'
        in buyers_line
    )


def test_the_sandbox_companys_1c_passes_every_value_check(con, company):
    store = store_of(company, "onec")
    for spec in STREAMS:
        if spec.entity_set in store and spec.name in {
            "counterparties",
            "products",
            "users",
            "shipments",
            "returns",
        }:
            land(con, spec.name, store[spec.entity_set])
    now = dt.datetime.combine(company.as_of_date, dt.time()) + dt.timedelta(days=2)
    report = run_quality(con, "r1", now=now)
    assert [r.line() for r in report.results if not r.success] == []
    assert {r.suite for r in report.results} >= {"onec.daily_sales", "onec.counterparties", "onec.returns"}
