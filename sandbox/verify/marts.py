"""Reading the sales pipeline marts: the one place verify (the comparisons and the headlines) reads them.

The pipeline marts come at three levels: month × pipeline × stage (marts.sales_pipeline_stages), month ×
pipeline (marts.sales_pipeline) and month (marts.sales_pipeline_total).
"""

from __future__ import annotations

from sandbox.verify.rows import rows_as_dicts

LEVEL_MARTS = {
    "stage": "sales_pipeline_stages",
    "pipeline": "sales_pipeline",
    "total": "sales_pipeline_total",
}


def read_sales_pipeline(con) -> dict[str, list[dict]]:
    """The open pipeline and funnel rows by level, each with its mart's columns and `month` as 'YYYY-MM':
    "stage" (month × pipeline × stage), "pipeline" (month × pipeline), "total" (month). A serving file
    without the marts (a hand-made one) has no rows at any level."""
    marts = _marts(con)
    return {level: _month_rows(con, mart) if mart in marts else [] for level, mart in LEVEL_MARTS.items()}


def _marts(con) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' "
            "union all select view_name from duckdb_views() where schema_name = 'marts'"
        ).fetchall()
    }


def _month_rows(con, mart: str) -> list[dict]:
    sql = f"select strftime(month, '%Y-%m') as month, * exclude (month) from marts.{mart}"
    return rows_as_dicts(con, sql)


def total(values) -> int | float | None:
    """SQL's sum: None when every value is None (or there are none)."""
    present = [value for value in values if value is not None]
    return sum(present) if present else None
