"""The demo's headline line, computed from a hand-made serving file (values known by construction)."""

from __future__ import annotations

import duckdb

from sandbox.verify import headline


def _serving(tmp_path, sales_rows: str) -> str:
    path = tmp_path / "serving.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.customer_portfolio as select * from (values "
            "(2, 'regular'), (1, 'new'), (0, null), (1, 'lost')) as t(sales_count, status)"
        )
        con.execute(
            "create table marts.repeat_sales (month date, revenue decimal(18, 2), repeat_share_count double)"
        )
        if sales_rows:
            con.execute(f"insert into marts.repeat_sales values {sales_rows}")
    return str(path)


def test_headline_reads_the_people_and_the_latest_month(tmp_path):
    serving = _serving(tmp_path, "('2026-08-01', 100.00, 0.5), ('2026-09-01', 1234567.5, 0.25)")
    assert headline(serving) == (
        "customers 4 (3 bought, 1 regular, 1 lost); 2026-09: revenue 1,234,567.50 RUB, repeat sales 25%"
    )


def test_headline_without_any_sale_says_so(tmp_path):
    # A demo of only amoCRM and Metrica publishes customers but no sales: no crash, a plain statement.
    assert headline(_serving(tmp_path, "")) == "customers 4 (3 bought, 1 regular, 1 lost); no sales"
