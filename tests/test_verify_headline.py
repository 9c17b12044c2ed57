"""The demo's headline lines, computed from hand-made serving files (values known by construction)."""

from __future__ import annotations

import duckdb
import pytest

from sandbox.verify import headlines


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
    assert headlines(serving) == [
        "customers 4 (3 bought, 1 regular, 1 lost); 2026-09: revenue 1,234,567.50 RUB, repeat sales 25%"
    ]


def test_headline_without_any_sale_says_so(tmp_path):
    # A demo of only amoCRM and Metrica publishes customers but no sales: no crash, a plain statement.
    assert headlines(_serving(tmp_path, "")) == ["customers 4 (3 bought, 1 regular, 1 lost); no sales"]


COLUMNS = "win_rate_count, median_cycle_days_to_date, open_deals, open_amount, weighted_amount"
AUGUST, SEPTEMBER = "(date '2026-08-01'", "(date '2026-09-01'"
TOTALS = f"{AUGUST}, 0.5, 10.0, 3, 1000.0, 500.0), {SEPTEMBER}, 0.25, 12.5, 4, 2000.0, 750.0)"
OPEN = "null, null, 4, 2000.0, 750.0)"  # a stage's or a pipeline's open deals in the latest month
PIPELINE_MARTS = {
    # month × pipeline × stage, month × pipeline and month in marts of their own
    "split": [
        f"create table marts.sales_pipeline_total as select * from (values {TOTALS}) as t(month, {COLUMNS})",
        f"create table marts.sales_pipeline_stages as select * from (values {SEPTEMBER}, 'Продажи', "
        f"'Новая заявка', {OPEN}) as t(month, pipeline_name, stage_name, {COLUMNS})",
        f"create table marts.sales_pipeline as select * from (values {SEPTEMBER}, 'Продажи', {OPEN}) "
        f"as t(month, pipeline_name, {COLUMNS})",
    ],
}


@pytest.mark.parametrize("layout", sorted(PIPELINE_MARTS))
def test_with_crm_marts_the_channels_and_the_latest_pipeline_month_follow(tmp_path, layout):
    serving = _serving(tmp_path, "('2026-09-01', 100.00, 0.5)")
    with duckdb.connect(serving) as con:
        con.execute(
            "create table marts.channel_conversion as select * from (values "
            "(date '2026-09-01', 'SEO', 10, 2, 5000.0), (date '2026-09-01', 'Direct', 4, 1, 1000.0), "
            "(date '2025-08-01', 'Email', 50, 40, 99000.0)) as t(month, channel, leads, won_deals, revenue)"
        )
        for sql in PIPELINE_MARTS[layout]:
            con.execute(sql)
        con.execute(
            "create table marts.lead_response as select * from (values (date '2026-09-01', 20.0, 3, 4)) "
            "as t(month, median_response_minutes, responded_within_sla, leads)"
        )
    assert headlines(serving)[1:] == [
        "last 12 months by channel: SEO 10 leads → 2 won, 5,000 RUB; Direct 4 leads → 1 won, 1,000 RUB",
        "pipeline: win rate 25%, median cycle 12.5 days, 4 open deals 2,000 RUB (weighted 750); "
        "last month's median first response 20 min, 75% within SLA",
    ]
