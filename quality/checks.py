"""The vocabulary of the quality suites: a check, a stream's suite, and the SQL and expectation helpers
the per-source modules build their suites from.

A suite validates one narrow DataFrame that DuckDB builds from the latest live version of every landed
record of a stream (not just this run's batch: a bad record landed last night keeps blocking publish
until the source fixes it). The frame holds the record key (GX's index column: a failure names the
records) and only the columns checked. A column named `…_not_<kind>` holds the offending text itself and
is expected to be null, so a failure shows the bad value next to its key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# The earliest date any of our sources can hold: older values are typos (0024 for 2024) or zeros.
EARLIEST = dt.datetime(2000, 1, 1)


@dataclass(frozen=True)
class Check:
    """One expectation: GX class name, its kwargs, and whether a failure blocks publish."""

    expectation: str
    kwargs: dict[str, Any]
    severity: str = "error"
    why: str = ""

    @property
    def column(self) -> str:
        """The column checked; a pair check reads as "<column> <= <ceiling>"."""
        if "column" in self.kwargs:
            return self.kwargs["column"]
        return f"{self.kwargs['column_B']}<={self.kwargs['column_A']}"


@dataclass(frozen=True)
class StreamChecks:
    """One suite: `suite` is "<source>.<stream>", `sql` builds its frame, `key` is the frame's column that
    names a record (GX lists it for every failing row)."""

    suite: str
    sql: str
    checks: list[Check] = field(default_factory=list)
    key: str = "ref_key"


# ---- expectations --------------------------------------------------------------------------------------
def not_null(column: str, why: str, severity: str = "error") -> Check:
    return Check("ExpectColumnValuesToNotBeNull", {"column": column}, severity, why)


def is_null(column: str, why: str, severity: str = "error") -> Check:
    return Check("ExpectColumnValuesToBeNull", {"column": column}, severity, why)


def unique(column: str, why: str) -> Check:
    return Check("ExpectColumnValuesToBeUnique", {"column": column}, "error", why)


def in_set(column: str, values: list, why: str, severity: str = "error") -> Check:
    return Check("ExpectColumnValuesToBeInSet", {"column": column, "value_set": values}, severity, why)


def at_least(column: str, min_value: Any, why: str, severity: str = "error") -> Check:
    return Check("ExpectColumnValuesToBeBetween", {"column": column, "min_value": min_value}, severity, why)


def moment(column: str, now: dt.datetime, why: str) -> Check:
    """Between 2000 and `now` (the run's clock plus a day of slack: local clocks differ)."""
    kwargs = {"column": column, "min_value": EARLIEST, "max_value": now}
    return Check("ExpectColumnValuesToBeBetween", kwargs, "error", why)


def not_above(column: str, ceiling: str, why: str, severity: str = "error") -> Check:
    """column <= ceiling on every row where both are present (a missing value is another check's)."""
    kwargs = {
        "column_A": ceiling,
        "column_B": column,
        "or_equal": True,
        "ignore_row_if": "either_value_is_missing",
    }
    return Check("ExpectColumnPairValuesAToBeGreaterThanB", kwargs, severity, why)


# ---- SQL -----------------------------------------------------------------------------------------------
def latest(schema: str, stream: str) -> str:
    """The latest landed version of every record, tombstones dropped (what staging reads)."""
    return f"""(select _id, _data from {schema}.{stream}
               qualify row_number() over (partition by _id order by _loaded_seq desc) = 1
               and not _deleted)"""


def text(path: str, json: str = "_data") -> str:
    """A field as staging reads it: trimmed text, empty = null. `path` is a key or a JSONPath."""
    return f"nullif(trim({json} ->> '{path}'), '')"


def offending(paths: list[str], cast_to: str, json: str = "_data") -> str:
    """'field=value, …' for the present fields whose text does not cast to `cast_to`, else null.

    Staging casts these fields with a plain CAST: one such value fails the whole dbt build, so the check
    names it first, with its record."""
    parts = [
        f"case when {text(p, json)} is not null and try_cast({text(p, json)} as {cast_to}) is null "
        f"then '{p}=' || ({json} ->> '{p}') end"
        for p in paths
    ]
    return f"nullif(concat_ws(', ', {', '.join(parts)}), '')"


def number(path: str, json: str = "_data") -> str:
    return f"try_cast({text(path, json)} as double)"


def unix_time(path: str, json: str = "_data") -> str:
    """amoCRM unix seconds → a naive UTC timestamp; 0, negative or absent → null (as staging reads it).
    The upper bound keeps make_timestamp from overflowing on a garbage number (year 9999)."""
    seconds = f"try_cast({text(path, json)} as bigint)"
    return f"case when {seconds} between 1 and 253402300799 then make_timestamp({seconds} * 1000000) end"
