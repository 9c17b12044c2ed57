"""OData v3 query options the way 1C's standard.odata reads them: $filter (see odata_filter),
$orderby, $select, $top, $skip, $inlinecount, and their execution over a list of records."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.systems.onec.odata_errors import QueryError, parse_error, unknown_name  # noqa: F401 (QueryError: for callers)
from sandbox.systems.onec.odata_filter import FilterParser


# ----------------------------------------------------------------------------- query options
@dataclass
class Query:
    predicate: Callable[[dict], bool] | None = None
    order: tuple[tuple[str, bool], ...] = ()  # (field, descending)
    select: frozenset[str] | None = None
    top: int | None = None
    skip: int = 0
    inline_count: bool = False


def parse_query(params: dict[str, str], has_field: Callable[[str], bool]) -> Query:
    """Validates the $-options of one request. Options it does not model ($expand, allowedOnly, …) are
    ignored: 1C silently ignores an $expand whose field is not also in $select, the common case."""
    query = Query()
    if "$filter" in params:
        parser = FilterParser(params["$filter"])
        query.predicate = parser.parse()
        _check_names(parser.fields, has_field)
    if params.get("$orderby", "").strip():
        query.order = _parse_orderby(params["$orderby"])
        _check_names([name for name, _ in query.order], has_field)
    if params.get("$select", "").strip() not in ("", "*"):
        names = [n.strip() for n in params["$select"].split(",")]
        if not all(names):
            raise parse_error("пустое имя в $select")
        _check_names(names, has_field)
        query.select = frozenset(names)
    query.top = _non_negative(params, "$top")
    query.skip = _non_negative(params, "$skip") or 0
    query.inline_count = _inline_count(params.get("$inlinecount", "none"))
    return query


def _check_names(names: list[str], has_field: Callable[[str], bool]) -> None:
    for name in names:
        if not has_field(name):
            raise unknown_name(name)


def _parse_orderby(text: str) -> tuple[tuple[str, bool], ...]:
    order = []
    for item in text.split(","):
        parts = item.split()
        if not 1 <= len(parts) <= 2 or (len(parts) == 2 and parts[1] not in ("asc", "desc")):
            raise parse_error(f"неверный элемент $orderby: '{item.strip()}'")
        order.append((parts[0], len(parts) == 2 and parts[1] == "desc"))
    return tuple(order)


def _non_negative(params: dict[str, str], option: str) -> int | None:
    text = params.get(option)
    if text is None:
        return None
    if not text.strip().isdigit():
        raise parse_error(f"{option} должен быть неотрицательным целым: '{text}'")
    return int(text)


def _inline_count(text: str) -> bool:
    if text not in ("allpages", "none"):
        raise parse_error(f"неверное значение $inlinecount: '{text}'")
    return text == "allpages"


# --------------------------------------------------------------------------------- execution
def _sort_value(value: Any) -> tuple:
    # Rank types so a column holding None or mixed types still sorts instead of raising.
    if value is None:
        return (0, 0)
    if isinstance(value, bool | int | float):
        return (1, value)
    return (2, value) if isinstance(value, str) else (3, repr(value))


def _sort(records: list[dict], order: tuple[tuple[str, bool], ...]) -> None:
    # list.sort is stable, so sorting by the last run of same-direction keys first and the first
    # run last yields the full multi-key order with mixed asc/desc; usually that is one sort.
    runs: list[tuple[list[str], bool]] = []
    for name, desc in order:
        if runs and runs[-1][1] == desc:
            runs[-1][0].append(name)
        else:
            runs.append(([name], desc))
    for names, desc in reversed(runs):
        records.sort(key=_sort_key(records, names), reverse=desc)


def _sort_key(records: list[dict], names: list[str]) -> Callable[[dict], Any]:
    # A C-level itemgetter is several times faster than a Python key function; it is safe when
    # every record has each field with values of one comparable kind (the usual case).
    for name in names:
        kinds = {type(r[name]) if name in r else None for r in records}
        if not (kinds <= {str} or kinds <= {int, float} or kinds == {bool}):
            return lambda r: tuple([_sort_value(r.get(n)) for n in names])
    return operator.itemgetter(*names)


def execute(query: Query, records: list[dict], ordered: bool = True) -> tuple[list[dict], int]:
    """Filter, order, then skip/top (1C applies paging after both). Returns (page, filtered count)."""
    rows = [r for r in records if query.predicate(r)] if query.predicate else list(records)
    total = len(rows)
    if ordered and query.order:
        _sort(rows, query.order)
    end = None if query.top is None else query.skip + query.top
    return rows[query.skip : end], total
