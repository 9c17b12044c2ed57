"""Comparing mart rows with truth rows: one readable line per difference, money to the kopeck, ratios
within the truth's rounding."""

from __future__ import annotations

from decimal import Decimal

RATIO_TOLERANCE = 5.1e-7  # the truth rounds ratios to 6 places


def same(actual, expected, tolerance: float | None = None) -> bool:
    """Equal within `tolerance`; without one, money and other non-integers to the kopeck, the rest exactly."""
    if actual is None or expected is None:
        return actual is None and expected is None
    if tolerance is not None:
        return abs(float(actual) - float(expected)) < tolerance
    if isinstance(actual, (float, Decimal)) or isinstance(expected, (float, Decimal)):
        return Decimal(str(actual)).quantize(Decimal("0.01")) == Decimal(str(expected)).quantize(
            Decimal("0.01")
        )
    return actual == expected


def compare_rows(label: str, truth_rows, mart_rows: list[dict], key, fields: dict) -> list[str]:
    """`compare_keyed` for mart rows that `key` reads as it reads the truth's."""
    return compare_keyed(label, truth_rows, {key(row): row for row in mart_rows}, key, fields)


def rows_as_dicts(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def same_named(fields, ratio_fields=frozenset()) -> dict:
    """`compare_keyed` fields for marts that name a column as the truth does."""
    return {field: (field, RATIO_TOLERANCE if field in ratio_fields else None) for field in fields}


def compare_keyed(label: str, truth_rows, mart_rows: dict, key, fields: dict) -> list[str]:
    """One line per difference between the truth rows and the mart rows (a dict by the same key).
    fields: truth field -> (mart field, tolerance or None for exact / money)."""
    problems = []
    for expected in truth_rows:
        k = key(expected)
        actual = mart_rows.get(k)
        if actual is None:
            problems.append(f"{label} {k}: missing in the mart")
            continue
        for field, (mart_field, tolerance) in fields.items():
            if not same(actual[mart_field], expected[field], tolerance):
                problems.append(f"{label} {k} {field}: mart {actual[mart_field]} != truth {expected[field]}")
    known = {key(row) for row in truth_rows}
    problems += [f"{label} {k}: in the mart but not in the truth" for k in sorted(set(mart_rows) - known)]
    return problems
