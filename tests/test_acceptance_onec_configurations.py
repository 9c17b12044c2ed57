"""Issue 8 acceptance: the same company's 1C served as УТ 11, БП 3.0 and УНФ; the pipeline, told nothing,
finds the configuration, reads each one's own sets and names, and every mart equals the truth (the same
for all three but for receivables: only УТ 11's payments can name a customer order and pay its invoices).
A БП 3.0 base without a price list still publishes its sales, with cost and profit unknown, never computed
from a zero.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.verify.customers import compare_with_truth
from sandbox.verify.receivables import compare_receivables_with_truth

pytestmark = pytest.mark.integration

ABSENT = {"ut11": {"service_acts"}, "bp30": {"customer_orders", "service_acts"}, "unf": set()}
PRICE_SETS = ("InformationRegister_ЦеныНоменклатуры", "Catalog_ТипыЦенНоменклатуры")


@pytest.mark.parametrize("configuration", ["ut11", "bp30", "unf"])
def test_each_configuration_is_detected_and_its_marts_equal_the_truth(
    configuration, company_factory, pipeline_factory
):
    company = company_factory(configuration)
    pipeline = pipeline_factory(store_of(company, "onec"), name=configuration)
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")

    (onec,) = summary["extract"]["sources"]
    assert f"({configuration})" in onec["profile"] and "detected from $metadata" in onec["profile"]
    statuses = {stream["stream"]: stream["status"] for stream in onec["streams"]}
    assert {name for name, status in statuses.items() if status == "absent"} == ABSENT[configuration]
    assert all(status == "ok" for name, status in statuses.items() if name not in ABSENT[configuration])
    logged = pipeline.query_warehouse(
        "select profile, absent_streams from meta.source_profiles where source = 'onec'"
    )
    assert logged == [(configuration, sorted(ABSENT[configuration]))]

    truth = truth_for(company, ("onec",))
    assert compare_with_truth(pipeline.serving_file, truth) == []
    assert compare_receivables_with_truth(pipeline.serving_file, truth) == []

    # The next night confirms the remembered configuration with a few probes instead of $metadata. (Once:
    # what the probes are for each profile is tests/test_onec_detect.py's; a night costs ~40 s here.)
    if configuration != "ut11":
        return
    ok, summary = pipeline.run(company.as_of_date.isoformat())
    assert ok, summary.get("problem")
    assert "remembered from the last run" in summary["extract"]["sources"][0]["profile"]
    assert sum(path.endswith("$metadata") for path, _, _ in pipeline.simulator.requests) == 1


def test_a_bp30_base_without_its_price_list_publishes_sales_with_cost_unknown(
    company_factory, pipeline_factory
):
    company = company_factory("bp30")
    store = {name: records for name, records in store_of(company, "onec").items() if name not in PRICE_SETS}
    pipeline = pipeline_factory(store, name="no-prices")
    ok, summary = pipeline.run(company.as_of_date.isoformat())

    assert not ok and summary["problem"].startswith("published with stale sources")
    failed = {
        s["stream"]: s["error"]
        for s in summary["extract"]["sources"][0]["streams"]
        if s["status"] == "failed"
    }
    assert set(failed) == {"price_types", "prices"}
    assert (
        "no Catalog_ТипыЦенНоменклатуры in this base" in failed["price_types"]
        and "profile bp30 (detected from $metadata)" in failed["price_types"]
    )
    # what detection found: the base's sets of the profiles, the price list among none of them
    found = failed["price_types"].split("of the sets the profiles name, the base has: ")[1].split(", ")
    assert "Document_СчетНаОплатуПокупателю" in found and not {*PRICE_SETS, "Catalog_ВидыЦен"} & set(found)
    with duckdb.connect(str(pipeline.serving_file), read_only=True) as con:
        months = con.execute(
            "select revenue, cost, gross_profit, unknown_cost_revenue from marts.repeat_sales"
        ).fetchall()
        profit_equal_to_revenue = con.execute(
            "select count(*) from marts.customer_portfolio where gross_profit = revenue and revenue <> 0"
        ).fetchone()[0]
    # Goods have no purchase price, so their revenue is of unknown cost; services move no goods and cost 0.
    assert sum(row[3] for row in months) == _goods_revenue(company.model)
    assert all(profit is None or profit != revenue for revenue, _, profit, _ in months)
    assert profit_equal_to_revenue == 0


def _goods_revenue(model) -> Decimal:
    """Σ signed amount of the goods lines of live shipments and returns, in RUB, from the clean model."""
    kopecks = sum(
        (1 if doc.kind == "shipment" else -1) * line.amount
        for doc in [*model.shipments, *model.returns]
        if doc.is_live and doc.date.date() <= model.as_of_date
        for line in doc.lines
        if not line.is_service
    )
    return Decimal(kopecks) / 100
