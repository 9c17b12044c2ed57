"""What Yandex.Metrica's Reporting API (`GET /stat/v1/data`, docs/sources/metrica.md) computes from its
parameters: validation, the date range (`YYYY-MM-DD`, `today`, `yesterday`, `NdaysAgo` in the counter's
time zone), aggregation of the stored rows over the requested dimensions, sorting and the 1-based `offset`
page.

Only the dimensions and metrics salespipe reads are known; `filters` is accepted and ignored. Rows that tie
on the sort keys keep the store's order here; the real service gives ties no order at all, which is why a
client must not rely on offset paging across ties.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

MAX_METRICS, MAX_DIMENSIONS = 20, 10
DEFAULT_LIMIT, MAX_LIMIT = 100, 100_000
DIMENSIONS = {
    "ym:s:lastTrafficSource": "traffic_source_id",
    "ym:s:UTMSource": "utm_source",
    "ym:s:UTMMedium": "utm_medium",
    "ym:s:UTMCampaign": "utm_campaign",
    "ym:s:date": "date",
}
METRICS = {"ym:s:visits": "visits", "ym:s:users": "users"}
# id → (Russian name as the API returns it by default, icon_id). Icons of ad/organic/direct/referral/
# saved/social are seen in real responses; the rest follow Metrica's traffic-source numbering [inferred].
TRAFFIC_SOURCES = {
    "internal": ("Внутренние переходы", "-1"),
    "direct": ("Прямые заходы", "0"),
    "referral": ("Переходы по ссылкам на сайтах", "1"),
    "organic": ("Переходы из поисковых систем", "2"),
    "ad": ("Переходы по рекламе", "3"),
    "saved": ("Переходы с сохранённых страниц", "4"),
    "undefined": ("Не определено", "5"),
    "email": ("Переходы с почтовых рассылок", "7"),
    "social": ("Переходы из социальных сетей", "8"),
    "recommend": ("Переходы из рекомендательных систем", "9"),
    "messenger": ("Переходы из мессенджеров", "10"),
    "qrcode": ("Переходы по QR-коду", "11"),
}
# Parameters every real `query` echo carries whatever was asked.
QUERY_ECHO_DEFAULTS = {
    "group": "Week",
    "auto_group_size": "1",
    "attr_name": "",
    "quantile": "50",
    "offline_window": "21",
    "attribution": "LastSign",
    "currency": "RUB",
    "adfox_event_id": "0",
}
_DAYS_AGO = re.compile(r"^(\d+)daysAgo$")


class MetricaError(Exception):
    def __init__(self, status: int, error_type: str, message: str):
        self.status, self.error_type, self.message = status, error_type, message
        super().__init__(message)

    def body(self) -> dict:
        errors = [{"error_type": self.error_type, "message": self.message}]
        return {"errors": errors, "code": self.status, "message": self.message}


@dataclass
class ReportQuery:
    counter_id: int
    metrics: list[str]
    dimensions: list[str]
    date1: date
    date2: date
    limit: int
    offset: int
    sort: list[str]
    filters: str | None


def parse_report_query(params: dict[str, str], today: date) -> ReportQuery:
    ids = [part for part in params.get("ids", "").split(",") if part.strip()]
    if not ids:
        raise _invalid("missing_parameter", "Required parameter ids is missing")
    if not all(part.strip().isdigit() for part in ids):
        raise _invalid("invalid_parameter", f"Wrong parameter ids: {params['ids']}")
    metrics = _names(params.get("metrics", ""), METRICS, "metric", MAX_METRICS)
    if not metrics:
        raise _invalid("missing_parameter", "Required parameter metrics is missing")
    dimensions = _names(params.get("dimensions", ""), DIMENSIONS, "dimension", MAX_DIMENSIONS)
    date1 = _day(params.get("date1") or "6daysAgo", today, "date1")
    date2 = _day(params.get("date2") or "today", today, "date2")
    if date1 > date2:
        raise _invalid("invalid_parameter", f"date1 {date1} is later than date2 {date2}")
    limit = _bounded(params.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _bounded(params.get("offset"), "offset", 1, 1, None)
    sort = _sort(params.get("sort"), metrics, dimensions)
    return ReportQuery(
        int(ids[0]), metrics, dimensions, date1, date2, limit, offset, sort, params.get("filters")
    )


def build_report(rows: list[dict], query: ReportQuery, sample_share: float = 1.0) -> dict:
    groups, visits = _aggregate(rows, query)
    ordered = _sorted(groups, query)
    page = ordered[query.offset - 1 : query.offset - 1 + query.limit]
    sampled = sample_share < 1
    return {
        "query": _echo(query),
        "data": [_row(query, key, values) for key, values in page],
        "total_rows": len(ordered),
        "total_rows_rounded": False,
        "sampled": sampled,
        "contains_sensitive_data": False,
        "sample_share": sample_share if sampled else 1,
        "sample_size": int(visits * sample_share) if sampled else visits,
        "sample_space": visits,
        "data_lag": 47,
        **_statistics([values for _, values in ordered], len(query.metrics)),
    }


def _row(query: ReportQuery, key: tuple, values: list[float]) -> dict:
    # Metric values are doubles in real responses (e.g. 103424.0), whatever the metric counts.
    dimensions = [_dimension_value(name, key[i]) for i, name in enumerate(query.dimensions)]
    return {"dimensions": dimensions, "metrics": [float(value) for value in values]}


def _statistics(all_values: list[list[float]], width: int) -> dict:
    columns = [[values[i] for values in all_values] for i in range(width)]
    return {
        "totals": [float(sum(column)) for column in columns],
        "min": [float(min(column, default=0)) for column in columns],
        "max": [float(max(column, default=0)) for column in columns],
    }


def _aggregate(rows: list[dict], query: ReportQuery) -> tuple[list[tuple[tuple, list[float]]], int]:
    """(dimension values → metric sums) in first-appearance order, and the visits in the range."""
    first, last = query.date1.isoformat(), query.date2.isoformat()
    fields = [DIMENSIONS[name] for name in query.dimensions]
    columns = [METRICS[name] for name in query.metrics]
    groups: dict[tuple, list[float]] = {}
    visits = 0
    for row in rows:
        if not first <= str(row.get("date", "")) <= last:
            continue
        visits += int(row.get("visits") or 0)
        key = tuple(row.get(field) or None for field in fields)
        sums = groups.setdefault(key, [0.0] * len(columns))
        for i, column in enumerate(columns):
            sums[i] += row.get(column) or 0
    return list(groups.items()), visits


def _sorted(groups, query: ReportQuery):
    ordered = list(groups)
    for field in reversed(query.sort):  # stable sorts, least significant key first
        descending, name = field.startswith("-"), field.lstrip("-")
        if name in query.metrics:
            index = query.metrics.index(name)
            ordered.sort(key=lambda group, i=index: group[1][i], reverse=descending)
        else:
            index = query.dimensions.index(name)
            ordered.sort(
                key=lambda group, i=index: (group[0][i] is None, group[0][i] or ""), reverse=descending
            )
    return ordered


def _dimension_value(name: str, value) -> dict:
    if name == "ym:s:lastTrafficSource":
        if value is None:
            return {"name": None, "icon_id": None, "icon_type": "traffic-source", "id": None}
        label, icon = TRAFFIC_SOURCES.get(value, (value, "5"))
        return {"name": label, "icon_id": icon, "icon_type": "traffic-source", "id": value}
    return {"name": value}


def _echo(query: ReportQuery) -> dict:
    echo = {
        "ids": [query.counter_id],
        "dimensions": query.dimensions,
        "metrics": query.metrics,
        "sort": query.sort,
        "date1": query.date1.isoformat(),
        "date2": query.date2.isoformat(),
        "limit": query.limit,
        "offset": query.offset,
    }
    if query.filters:
        echo["filters"] = query.filters
    return {**echo, **QUERY_ECHO_DEFAULTS}


def _names(text: str, known: dict, kind: str, most: int) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if len(names) > most:
        raise _invalid("invalid_parameter", f"Too many {kind}s: {len(names)}, maximum {most}")
    for name in names:
        if name not in known:
            raise _invalid("invalid_parameter", f"Wrong parameter: '{kind}s', value: '{name}'")
    return names


def _day(text: str, today: date, name: str) -> date:
    text = text.strip()
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    match = _DAYS_AGO.match(text)
    if match:
        return today - timedelta(days=int(match.group(1)))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _invalid("invalid_parameter", f"Wrong parameter: '{name}', value: '{text}'") from None


def _bounded(text: str | None, name: str, default: int, low: int, high: int | None) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise _invalid("invalid_parameter", f"Wrong parameter: '{name}', value: '{text}'") from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise _invalid("invalid_parameter", f"Parameter {name} must be {bound}, got {value}")
    return value


def _sort(text: str | None, metrics: list[str], dimensions: list[str]) -> list[str]:
    fields = [part.strip() for part in (text or "").split(",") if part.strip()]
    for field in fields:
        if field.lstrip("-") not in metrics + dimensions:
            raise _invalid("invalid_parameter", f"Sort field {field.lstrip('-')} is not in the query")
    return fields or [f"-{metrics[0]}"]  # the service's default: the first metric, descending


def _invalid(error_type: str, message: str) -> MetricaError:
    return MetricaError(400, error_type, message)
