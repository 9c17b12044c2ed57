"""The customer and sales numbers computed from the clean model with the definitions of docs/METRICS.md.

`compute_truth` is a pure function over facts (customer, local date, ref key, amount, sale|return,
cost), so a test can hand it four sales and check every number by hand. `truth_from_model` walks the
true people and their documents - it never looks at phones. Money is summed in integer kopecks and only
turned into 2-decimal numbers at the end; ratios are rounded to 6 decimals. A cost that is not known
(goods without a purchase price, a site-only sale) is None, never 0: profit is taken over the revenue
whose cost is known, and the rest is reported as unknown_cost_revenue (docs/METRICS.md — Profit).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

TIMEZONE = "Europe/Moscow"


@dataclass(frozen=True, slots=True)
class Fact:
    customer_id: str
    date: datetime  # the document's local Date
    ref_key: str
    amount: int  # kopecks, positive for sales and returns alike (kind gives the sign)
    kind: str  # "sale" | "return"
    cost: int | None = 0  # kopecks, positive: Σ cost of the lines whose cost is known; None: no line's is
    unknown_cost_amount: int = 0  # kopecks, positive: Σ amount of the lines whose cost is unknown


def fact(
    customer_id: str, when: str | datetime, ref_key: str, amount, kind: str = "sale", cost=0, unknown=0
) -> Fact:
    """Convenience constructor: fact("ann", "2024-01-05T10:00:00", "r1", "1500.50"); cost=None: unknown."""
    moment = datetime.fromisoformat(when) if isinstance(when, str) else when
    known = None if cost is None else _kopecks(cost)
    return Fact(customer_id, moment, ref_key, _kopecks(amount), kind, known, _kopecks(unknown))


def _kopecks(amount) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal(1), ROUND_HALF_UP))


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_end(index: int) -> date:
    return date((index + 1) // 12, (index + 1) % 12 + 1, 1) - timedelta(days=1)


def rub(kopecks: int) -> float:
    return round(kopecks / 100, 2)


def ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else round(numerator / denominator, 6)


def per_unit(kopecks: int, customers: int) -> float:
    return float((Decimal(kopecks) / customers / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


MONTH_FIELDS = (
    "sales_count",
    "sales_amount",
    "returns_count",
    "returns_amount",
    "cost",
    "costed_documents",  # documents with a line of known cost: without one, the month's cost is unknown
    "unknown_cost_revenue",
    "repeat_sales_count",
    "repeat_sales_amount",
    "new_customers",
    "new_customers_amount",
    "returning_customers",
    "returning_customers_amount",
    "regular_customers",
    "regular_customers_amount",
    "lost_customers",
    "lost_customers_revenue",
)


def regular_months(days: list[date], min_sales: int, window_days: int) -> set[int]:
    """Months whose last day E has >= min_sales sale dates in (E - window, E].

    A window holds min_sales sales iff it holds some min_sales consecutive ones d[i]..d[j]; that is
    E >= d[j] and E <= d[i] + window - 1 day, so each run gives a range of month ends."""
    months: set[int] = set()
    for i in range(len(days) - min_sales + 1):
        low, high = days[i + min_sales - 1], days[i] + timedelta(days=window_days - 1)
        first, last = month_index(low), month_index(high)
        if month_end(last) > high:
            last -= 1
        months.update(range(first, last + 1))
    return months


def compute_truth(
    facts,
    customers: int,
    as_of_date: date,
    *,
    lost_after_days: int = 180,
    regular_window_days: int = 365,
    regular_min_sales: int = 2,
    timezone: str = TIMEZONE,
) -> dict:
    """The customer and sales numbers. `customers` counts every customer, buyers or not (prospects)."""
    as_of_month = month_index(as_of_date)
    sales: dict[str, list[Fact]] = defaultdict(list)
    returns: dict[str, list[Fact]] = defaultdict(list)
    for f in facts:
        if f.date.date() <= as_of_date:
            (sales if f.kind == "sale" else returns)[f.customer_id].append(f)
    month = defaultdict(lambda: dict.fromkeys(MONTH_FIELDS, 0))
    cohort_size: dict[int, int] = defaultdict(int)
    cohort_active: dict[tuple[int, int], int] = defaultdict(int)
    cohort_revenue: dict[tuple[int, int], int] = defaultdict(int)
    first_month: dict[str, int] = {}
    status = dict.fromkeys(("prospect", "lost", "regular", "new", "active"), 0)
    for customer, own in sales.items():
        own.sort(key=lambda f: (f.date, f.ref_key))  # the sale ordinal: by date, then ref key
        amount_in: dict[int, int] = defaultdict(int)
        for ordinal, sale in enumerate(own, start=1):
            row, m = month[month_index(sale.date)], month_index(sale.date)
            row["sales_count"] += 1
            row["sales_amount"] += sale.amount
            _add_cost(row, sale, 1)
            amount_in[m] += sale.amount
            if ordinal >= 2:
                row["repeat_sales_count"] += 1
                row["repeat_sales_amount"] += sale.amount
        first = first_month[customer] = month_index(own[0].date)
        cohort_size[first] += 1
        for m, amount in amount_in.items():
            kind = "new_customers" if m == first else "returning_customers"
            month[m][kind] += 1
            month[m][kind + "_amount"] += amount
            cohort_active[first, m - first] += 1
            cohort_revenue[first, m - first] += amount
        days = [s.date.date() for s in own]
        for m in regular_months(days, regular_min_sales, regular_window_days):
            if m <= as_of_month:
                month[m]["regular_customers"] += 1
                month[m]["regular_customers_amount"] += amount_in.get(m, 0)
        lifetime = sum(s.amount for s in own) - sum(r.amount for r in returns.get(customer, []))
        lost_on = days[-1] + timedelta(days=lost_after_days)
        if lost_on <= as_of_date:
            month[month_index(lost_on)]["lost_customers"] += 1
            month[month_index(lost_on)]["lost_customers_revenue"] += lifetime
        status[_status(days, as_of_date, lost_after_days, regular_window_days, regular_min_sales)] += 1
    for customer, own in returns.items():
        for ret in own:
            m = month_index(ret.date)
            month[m]["returns_count"] += 1
            month[m]["returns_amount"] += ret.amount
            _add_cost(month[m], ret, -1)  # returned goods come back at the cost of the return date
            if customer in first_month:
                cohort_revenue[first_month[customer], m - first_month[customer]] -= ret.amount
    status["prospect"] = customers - len(sales)
    return _assemble(
        month,
        cohort_size,
        cohort_active,
        cohort_revenue,
        status,
        customers,
        len(sales),
        as_of_date,
        as_of_month,
        lost_after_days,
        regular_window_days,
        regular_min_sales,
        timezone,
    )


def _add_cost(row: dict, document: Fact, sign: int) -> None:
    row["unknown_cost_revenue"] += sign * document.unknown_cost_amount
    if document.cost is not None:
        row["cost"] += sign * document.cost
        row["costed_documents"] += 1


def _cost_and_profit(revenue: int, row: dict) -> tuple[float | None, float | None]:
    """Σ known cost, and profit over the revenue whose cost is known; both None when no cost is known."""
    if not row["costed_documents"]:
        return None, None
    return rub(row["cost"]), rub(revenue - row["unknown_cost_revenue"] - row["cost"])


def _status(days: list[date], as_of: date, lost_after: int, window: int, min_sales: int) -> str:
    if (as_of - days[-1]).days >= lost_after:
        return "lost"
    if sum(1 for d in days if as_of - timedelta(days=window) < d <= as_of) >= min_sales:
        return "regular"
    if month_index(days[0]) == month_index(as_of):
        return "new"
    return "active"


def _monthly_row(index: int, row: dict) -> dict:
    revenue = row["sales_amount"] - row["returns_amount"]
    cost, gross_profit = _cost_and_profit(revenue, row)
    return {
        "month": month_label(index),
        "sales_count": row["sales_count"],
        "sales_amount": rub(row["sales_amount"]),
        "returns_count": row["returns_count"],
        "returns_amount": rub(row["returns_amount"]),
        "revenue": rub(revenue),
        "cost": cost,
        "gross_profit": gross_profit,
        "unknown_cost_revenue": rub(row["unknown_cost_revenue"]),
        "repeat_sales_count": row["repeat_sales_count"],
        "repeat_sales_amount": rub(row["repeat_sales_amount"]),
        "repeat_share_count": ratio(row["repeat_sales_count"], row["sales_count"]),
        "repeat_share_amount": ratio(row["repeat_sales_amount"], row["sales_amount"]),
        **{
            key: row[key]
            for key in ("new_customers", "returning_customers", "regular_customers", "lost_customers")
        },
        **{
            key: rub(row[key])
            for key in (
                "new_customers_amount",
                "returning_customers_amount",
                "regular_customers_amount",
                "lost_customers_revenue",
            )
        },
    }


def _assemble(
    month,
    cohort_size,
    cohort_active,
    cohort_revenue,
    status,
    customers,
    buyers,
    as_of_date,
    as_of_month,
    lost_after_days,
    window,
    min_sales,
    timezone,
) -> dict:
    first = min(cohort_size, default=None)
    monthly = [_monthly_row(m, month[m]) for m in range(first, as_of_month + 1)] if first is not None else []
    cohorts = []
    for start in sorted(cohort_size):
        size, cumulative = cohort_size[start], 0
        for k in range(as_of_month - start + 1):
            cumulative += cohort_revenue.get((start, k), 0)
            active = cohort_active.get((start, k), 0)
            cohorts.append(
                {
                    "cohort_month": month_label(start),
                    "month_number": k,
                    "cohort_size": size,
                    "active_customers": active,
                    "retention": ratio(active, size),
                    "revenue": rub(cohort_revenue.get((start, k), 0)),
                    "cumulative_revenue_per_customer": per_unit(cumulative, size),
                }
            )
    totals = {key: sum(row[key] for row in month.values()) for key in MONTH_FIELDS}
    revenue = totals["sales_amount"] - totals["returns_amount"]
    cost_total, gross_profit_total = _cost_and_profit(revenue, totals)
    return {
        "as_of_date": as_of_date.isoformat(),
        "timezone": timezone,
        "lost_after_days": lost_after_days,
        "regular_window_days": window,
        "regular_min_sales": min_sales,
        "customers": customers,
        "buyers": buyers,
        "revenue_total": rub(revenue),
        "sales_total": totals["sales_count"],
        "sales_amount_total": rub(totals["sales_amount"]),
        "returns_total": totals["returns_count"],
        "returns_amount_total": rub(totals["returns_amount"]),
        "cost_total": cost_total,
        "gross_profit_total": gross_profit_total,
        "unknown_cost_revenue_total": rub(totals["unknown_cost_revenue"]),
        "average_check": per_unit(revenue, totals["sales_count"]) if totals["sales_count"] else None,
        "portfolio": status,
        "monthly": monthly,
        "cohorts": cohorts,
    }
