"""A 1C base without a price list (docs/METRICS.md — Profit): its sales are published with cost and gross
profit NULL and flagged, never computed from a zero (which would make the profit equal the revenue).

A hand-made УТ 11 warehouse with NO purchase price (no price rows, no price types) is landed the way the
flow lands it (warehouse.landing.Landing) and built with dbt (models and their data tests). As of
2024-06-30, Europe/Moscow:
  April  sh1 Анна:  2 × Чайник at 1 500 (goods) + Доставка 500 (a service: no goods move, so it costs
                    0 without a price) = 3 500 → cost unknown; its costed part is the service: 500 at 0
  May    sh2 Борис: Чашка 800 → unknown
  June   sh3 Анна:  3 × Чашка at 800 = 2 400; sh4 Борис: Чайник 1 500; r1 Борис returns sh2's Чашка −800
                    → all unknown
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from connectors.onec.streams import STREAMS
from flows.sources import ensure_raw_tables
from sandbox.truth.sales import compute_truth, fact
from tests.dbt_harness import build_and_open
from tests.test_dbt_models import catalog, document, person, ref, shipment
from warehouse.landing import Landing, ensure_meta

SPECS = {spec.name: spec for spec in STREAMS}
ANNA, BORIS = ref("c", 1), ref("c", 2)
KETTLE, CUP, DELIVERY = ref("a", 1), ref("a", 2), ref("a", 3)
SH1, SH2, SH3, SH4, R1 = ref("d", 1), ref("d", 2), ref("d", 3), ref("d", 4), ref("e", 1)
MARTS = ("--select", "+repeat_sales", "+customer_portfolio", "+customer_cohorts")


def D(value) -> Decimal:  # noqa: N802 - reads like a literal
    return Decimal(str(value)).quantize(Decimal("0.01"))


def product(key: str, name: str, kind: str) -> dict:
    return catalog(key, name, Артикул="", Parent_Key=ref("a", 0), IsFolder=False, ТипНоменклатуры=kind)


RECORDS = {
    "counterparties": [
        person(ANNA, "Анна Иванова", [("Телефон", "+7 (912) 345-67-89")]),
        person(BORIS, "Борис Смирнов", [("Телефон", "+7 (903) 111-22-33")]),
    ],
    "products": [
        product(KETTLE, "Чайник", "Товар"),
        product(CUP, "Чашка", "Товар"),
        product(DELIVERY, "Доставка", "Услуга"),
    ],
    "shipments": [
        shipment(1, "2024-04-10T10:00:00", ANNA, [(KETTLE, 2, 1500)], services=[(DELIVERY, 1, 500)]),
        shipment(2, "2024-05-20T10:00:00", BORIS, [(CUP, 1, 800)]),
        shipment(3, "2024-06-05T10:00:00", ANNA, [(CUP, 3, 800)]),
        shipment(4, "2024-06-20T10:00:00", BORIS, [(KETTLE, 1, 1500)]),
    ],
    "returns": [
        document(R1, "0000-000001", "2024-06-10T10:00:00", BORIS, [(CUP, 1, 800)], ДокументРеализации_Key=SH2)
    ],
}


def land(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        ensure_meta(con)
        ensure_raw_tables(con)  # prices and price_types among them: empty, as a base without a price list
        landing = Landing(con, run_id="r1", source="onec", schema="raw_onec")
        for stream, records in RECORDS.items():
            landing.open_stream(stream)
            landing.land_page(SPECS[stream], records, None, version_field="DataVersion")
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("unknown_cost")
    land(tmp / "warehouse.duckdb")
    variables = {"as_of_date": "2024-06-30", "timezone": "Europe/Moscow"}
    # the customer marts and everything they read, with every data test whose parents are all built
    con = build_and_open(
        tmp / "warehouse.duckdb", tmp, variables, (*MARTS, "--indirect-selection", "buildable")
    )
    yield con
    con.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_the_base_really_has_no_price(built):
    assert rows(built, "select count(*) from transform.stg_onec__prices") == [(0,)]


def test_every_goods_line_has_an_unknown_cost_and_a_service_costs_zero(built):
    got = rows(
        built,
        """select document_id, product_type, amount, purchase_price, cost, is_cost_known, gross_profit
           from transform.int_sale_lines order by document_id, section, line_number""",
    )
    assert got == [
        (SH1, "goods", D(3000), None, None, False, None),
        (SH1, "service", D(500), None, D(0), True, D(500)),
        (SH2, "goods", D(800), None, None, False, None),
        (SH3, "goods", D(2400), None, None, False, None),
        (SH4, "goods", D(1500), None, None, False, None),
        (R1, "goods", D(-800), None, None, False, None),
    ]


def test_every_sale_has_cost_and_profit_null_flagged_never_its_revenue(built):
    got = rows(
        built,
        """select document_id, amount, cost, gross_profit, is_cost_known, costed_amount, known_cost
           from transform.int_sales order by document_id""",
    )
    assert got == [
        (SH1, D(3500), None, None, False, D(500), D(0)),  # only the service's cost is known
        (SH2, D(800), None, None, False, D(0), None),
        (SH3, D(2400), None, None, False, D(0), None),
        (SH4, D(1500), None, None, False, D(0), None),
        (R1, D(-800), None, None, False, D(0), None),
    ]
    assert rows(built, "select count(*) from transform.int_sales where gross_profit = amount") == [(0,)]


def test_months_report_the_revenue_of_unknown_cost_instead_of_profit(built):
    got = rows(
        built,
        """select month, revenue, cost, gross_profit, unknown_cost_revenue
           from marts.repeat_sales order by month""",
    )
    assert got == [
        # April: profit over the service alone (500 at cost 0); the kettles' 3 000 is of unknown cost
        (dt.date(2024, 4, 1), D(3500), D(0), D(500), D(3000)),
        (dt.date(2024, 5, 1), D(800), None, None, D(800)),
        (dt.date(2024, 6, 1), D(2400 + 1500 - 800), None, None, D(3100)),
    ]
    assert all(profit is None or profit != revenue for _, revenue, _, profit, _ in got)


def test_customers_profit_is_never_their_revenue(built):
    got = rows(
        built,
        """select customer_id, revenue, cost, gross_profit, unknown_cost_revenue
           from marts.customer_portfolio order by customer_id""",
    )
    assert got == [
        (ANNA, D(3500 + 2400), D(0), D(500), D(3000 + 2400)),
        (BORIS, D(800 + 1500 - 800), None, None, D(1500)),
    ]


def test_the_truth_takes_profit_over_the_revenue_whose_cost_is_known():
    """The sandbox truth, by the same rule, on the facts of the repeat_sales unit test
    (dbt_project/models/marts/_customers__unit_tests.yml): the same hand-computed numbers."""
    facts = [
        fact("a", "2024-01-10T10:00:00", "s1", 100, cost=60),
        fact("b", "2024-01-11T10:00:00", "s2", 200, cost=30, unknown=150),  # one line without a price
        fact("c", "2024-01-12T10:00:00", "site:1", 70, cost=None, unknown=70),
        fact("a", "2024-01-20T10:00:00", "r1", 40, "return", cost=24),
        fact("c", "2024-02-05T10:00:00", "site:2", 50, cost=None, unknown=50),
    ]
    truth = compute_truth(facts, 3, dt.date(2024, 3, 31))
    fields = ("month", "revenue", "cost", "gross_profit", "unknown_cost_revenue")
    assert [tuple(row[f] for f in fields) for row in truth["monthly"]] == [
        ("2024-01", 330.0, 66.0, 44.0, 220.0),
        ("2024-02", 50.0, None, None, 50.0),
        ("2024-03", 0.0, None, None, 0.0),
    ]
    totals = ("revenue_total", "cost_total", "gross_profit_total", "unknown_cost_revenue_total")
    assert [truth[key] for key in totals] == [380.0, 66.0, 44.0, 270.0]
