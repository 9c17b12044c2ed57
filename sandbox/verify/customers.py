"""Compare the customer marts with the truth: customers, buyers and their statuses
(marts.customer_portfolio), monthly sales, repeat share, new/returning/regular/lost customers
(marts.repeat_sales) and cohorts (marts.customer_cohorts).

The truth is computed by the sandbox from its clean model; the marts by the pipeline from the systems'
messy records. Every difference is returned as one readable line; an empty list means they agree exactly.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from sandbox.verify.rows import compare_rows, rows_as_dicts, same_named

MONTHLY_FIELDS = (
    "sales_count", "sales_amount", "returns_count", "returns_amount", "revenue", "cost", "gross_profit",
    "unknown_cost_revenue", "repeat_sales_count", "repeat_sales_amount", "repeat_share_count",
    "repeat_share_amount",
    "new_customers", "returning_customers", "regular_customers", "lost_customers",
    "new_customers_amount", "returning_customers_amount", "regular_customers_amount",
    "lost_customers_revenue",
)  # fmt: skip
COHORT_FIELDS = ("cohort_size", "active_customers", "retention", "revenue", "cumulative_revenue_per_customer")
RATIO_FIELDS = {"repeat_share_count", "repeat_share_amount", "retention"}  # the truth rounds them to 6 places


def compare_with_truth(serving_file: Path, truth: dict) -> list[str]:
    with duckdb.connect(str(serving_file), read_only=True) as con:
        customers, buyers = con.execute(
            "select count(*), count(*) filter (where sales_count > 0) from marts.customer_portfolio"
        ).fetchone()
        monthly = rows_as_dicts(
            con, "select strftime(month, '%Y-%m') as month, * exclude (month) from marts.repeat_sales"
        )
        cohorts = rows_as_dicts(
            con,
            "select strftime(cohort_month, '%Y-%m') as cohort_month, * exclude (cohort_month) "
            "from marts.customer_cohorts",
        )
        statuses = dict(
            con.execute("select status, count(*) from marts.customer_portfolio group by all").fetchall()
        )
    problems = []
    if statuses != truth["portfolio"]:
        problems.append(f"customers by status: mart {statuses} != truth {truth['portfolio']}")
    if customers != truth["customers"]:
        problems.append(f"unique customers: mart {customers} != truth {truth['customers']}")
    if buyers != truth["buyers"]:
        problems.append(f"buyers: mart {buyers} != truth {truth['buyers']}")
    problems += compare_rows(
        "month", truth["monthly"], monthly, lambda r: r["month"], same_named(MONTHLY_FIELDS, RATIO_FIELDS)
    )
    problems += compare_rows(
        "cohort",
        truth["cohorts"],
        cohorts,
        lambda r: (r["cohort_month"], r["month_number"]),
        same_named(COHORT_FIELDS, RATIO_FIELDS),
    )
    return problems
