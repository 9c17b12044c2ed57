"""The numbers a head of sales asks for first, from the published marts: the demo prints them."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sandbox.verify.marts import read_sales_pipeline


def headline(serving_file: Path) -> str:
    """Three numbers a head of sales asks for first, from the published marts."""
    with duckdb.connect(str(serving_file), read_only=True) as con:
        customers, buyers, regular, lost = con.execute(
            """select count(*), count(*) filter (where sales_count > 0),
                      count(*) filter (where status = 'regular'), count(*) filter (where status = 'lost')
               from marts.customer_portfolio"""
        ).fetchone()
        last_month = con.execute(
            "select strftime(month, '%Y-%m'), revenue, repeat_share_count from marts.repeat_sales "
            "order by month desc limit 1"
        ).fetchone()
    people = f"customers {customers} ({buyers} bought, {regular} regular, {lost} lost)"
    if last_month is None:  # no 1C and no site: nothing was sold that the marts know of
        return f"{people}; no sales"
    month, revenue, share = last_month
    share_text = f"{float(share):.0%}" if share is not None else "n/a"
    return f"{people}; {month}: revenue {revenue:,.2f} RUB, repeat sales {share_text}"


def crm_headline(serving_file: Path | str) -> str:
    """The channel and pipeline numbers a head of sales asks for first, from the published marts."""
    with duckdb.connect(str(serving_file), read_only=True) as con:
        channels = con.execute(
            """select channel, sum(leads), sum(won_deals), sum(revenue) from marts.channel_conversion
               where month > (select max(month) from marts.channel_conversion) - interval 12 month
               group by channel order by sum(revenue) desc nulls last limit 3"""
        ).fetchall()
        totals = read_sales_pipeline(con)["total"]
        response = con.execute(
            """select median(median_response_minutes), sum(responded_within_sla) / sum(leads)
               from marts.lead_response where month = (select max(month) from marts.lead_response)"""
        ).fetchone()
    top = "; ".join(
        f"{name} {leads} leads → {won} won, {float(rev or 0):,.0f} RUB" for name, leads, won, rev in channels
    )
    latest = max(totals, key=lambda row: row["month"], default={})
    fields = ("win_rate_count", "median_cycle_days_to_date", "open_deals", "open_amount", "weighted_amount")
    win_rate, cycle, open_deals, open_amount, weighted = (latest.get(field) for field in fields)
    return (
        f"last 12 months by channel: {top}\n"
        f"pipeline: win rate {float(win_rate or 0):.0%}, median cycle {float(cycle or 0):.1f} days, "
        f"{open_deals} open deals {float(open_amount or 0):,.0f} RUB (weighted {float(weighted or 0):,.0f}); "
        f"last month's median first response {float(response[0] or 0):.0f} min, "
        f"{float(response[1] or 0):.0%} within SLA"
    )


def headlines(serving_file: Path | str) -> list[str]:
    """The demo's headline lines: customers and the latest month; with CRM marts, channels and pipeline."""
    lines = [headline(serving_file)]
    with duckdb.connect(str(serving_file), read_only=True) as con:
        has_crm = bool(read_sales_pipeline(con)["total"])
    if has_crm:
        lines += crm_headline(serving_file).split("\n")
    return lines
