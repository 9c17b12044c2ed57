"""Metrica report answers as records: named fields from the positional rows, and the shape check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.errors import BadResponse
from connectors.http import with_query

SOURCE_NAME = "Metrica"
DIMENSIONS = ("ym:s:lastTrafficSource", "ym:s:UTMSource", "ym:s:UTMMedium", "ym:s:UTMCampaign", "ym:s:date")
METRICS = ("ym:s:visits", "ym:s:users")
UTM_FIELDS = {
    "ym:s:UTMSource": "utm_source",
    "ym:s:UTMMedium": "utm_medium",
    "ym:s:UTMCampaign": "utm_campaign",
}


def flat_records(payload: Mapping[str, Any]) -> list[dict]:
    """One flat record per report row. The raw row is unusable as a record: it is positional
    (`dimensions`/`metrics` lists in query order) and the traffic source is an object, while landing keys
    and staging read fields by name. So fields are named here from the response's own `query` echo; the
    only value changes are whole doubles → int and a missing UTM tag → "" (it is part of the key)."""
    dimensions, metrics = _columns(payload)
    return [
        _record(
            dict(zip(dimensions, row["dimensions"], strict=True)),
            dict(zip(metrics, row["metrics"], strict=True)),
        )
        for row in payload["data"]
    ]


def _columns(payload: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    # Airbyte-style: the response's own query echo says what each position holds.
    query = payload.get("query") if isinstance(payload.get("query"), dict) else {}
    return list(query.get("dimensions") or DIMENSIONS), list(query.get("metrics") or METRICS)


def _record(dimensions: dict, metrics: dict) -> dict:
    source = dimensions.get("ym:s:lastTrafficSource") or {}
    record = {
        "date": str((dimensions.get("ym:s:date") or {}).get("name") or ""),
        "traffic_source_id": str(source.get("id") or ""),
        "traffic_source_name": source.get("name"),
    }
    for dimension, field in UTM_FIELDS.items():
        record[field] = str((dimensions.get(dimension) or {}).get("name") or "")  # "" = no such tag
    record["visits"] = _count(metrics.get("ym:s:visits"))
    record["users"] = _count(metrics.get("ym:s:users"))
    return record


def _count(value: Any) -> Any:
    # Metric values arrive as doubles (41.0); counts are whole unless sampling scaled them.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def check_shape(payload: Any, url: str, params: Mapping[str, Any], stream: str) -> None:
    ok = isinstance(payload, dict) and isinstance(payload.get("data"), list)
    ok = ok and isinstance(payload.get("total_rows"), int)
    if ok:
        dimensions, metrics = _columns(payload)
        ok = all(_row_fits(row, len(dimensions), len(metrics)) for row in payload["data"])
    if not ok:
        raise BadResponse(
            SOURCE_NAME, stream, with_query(url, params), "response has no data/total_rows report"
        )


def _row_fits(row: Any, dimensions: int, metrics: int) -> bool:
    if not isinstance(row, dict):
        return False
    values, numbers = row.get("dimensions"), row.get("metrics")
    shape = (len(values), len(numbers)) if isinstance(values, list) and isinstance(numbers, list) else None
    return shape == (dimensions, metrics)
