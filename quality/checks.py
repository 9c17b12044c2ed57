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
# The most a single document, order, line or deal can be worth, in RUB: the one place to change it. A
# trillion roubles is no SMB's sale (a typo, a field mixed up with a barcode), and it keeps every amount
# that passes far inside DECIMAL(18, 2) (< 10^16), which staging casts to and the marts add up.
MAX_AMOUNT_RUB = 10**12
# A day's sales are flagged (a warning, never blocking) when they are over JUMP_FACTOR times the best
# day of the JUMP_DAYS before, and that by at least JUMP_MIN_RUB / JUMP_MIN_BUYERS: a typo in an amount
# or a batch of duplicate customers looks like that; a good day of a growing business does not.
JUMP_DAYS, JUMP_FACTOR, JUMP_MIN_RUB, JUMP_MIN_BUYERS = 28, 5, 100_000, 10
# Mojibake: Cyrillic UTF-8 bytes read as cp1251 ("Р°Р»" for "ал": Р/С before a sign no Russian word has
# there), as latin-1/cp1252 ("Ð¸", "Ñ\x81"; "Ã©" for Latin letters), cp1251 bytes read as latin-1 (runs of
# accented capitals and small letters: "Èâàíîâ"), and the replacement character a lossy decode leaves.
_CP1252_HIGH = "\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
GARBLED_TEXT = f"\ufffd|Р[°±µ¶·№ЂЃѓЉЊЌЋЏђљњќћџ]|С[ЂЃ‚ѓ„†‡€‰Љ‹ЊЌЋЏ]|[ÐÑÃ][{_CP1252_HIGH}]|[À-ÿ]{{4,}}"


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
    # Frame columns shown next to the key in a failure (a 1C document's number: what a user searches by).
    labels: tuple[str, ...] = ()


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


def amount(column: str, why: str, severity: str = "error") -> Check:
    """0 ≤ column ≤ MAX_AMOUNT_RUB: a negative amount where the source keeps amounts positive, or one no
    business of ours can have."""
    kwargs = {"column": column, "min_value": 0, "max_value": MAX_AMOUNT_RUB}
    return Check("ExpectColumnValuesToBeBetween", kwargs, severity, why)


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


def garbled(paths: list[str], json: str = "_data") -> str:
    """'field=value, …' for the fields whose text is mojibake or holds U+FFFD (GARBLED_TEXT), else null.

    Names are where a wrong charset shows: a garbled name publishes as is, and a garbled name with no phone
    or email is a customer of its own (issue 7: ten extra "customers")."""
    parts = [
        f"case when regexp_matches({json} ->> '{p}', '{GARBLED_TEXT}') then '{p}=' || ({json} ->> '{p}') end"
        for p in paths
    ]
    return f"nullif(concat_ws(', ', {', '.join(parts)}), '')"


def daily_jumps(daily: str) -> str:
    """The days of `daily` (a query of day, revenue, buyers) that jump over the weeks before: one row per
    day with `revenue_jump` / `buyers_jump` = what jumped, in words and numbers (null when nothing did)."""
    window = f"order by day range between interval {JUMP_DAYS} days preceding and interval 1 day preceding"
    before = f"a day in the {JUMP_DAYS} days before"
    return f"""
        with days as ({daily}),
        framed as (
            select day, revenue, buyers, count(*) over prior as prior_days,
                   max(revenue) over prior as best_revenue, max(buyers) over prior as most_buyers
            from days window prior as ({window}))
        select strftime(day, '%Y-%m-%d') as day,
               case when prior_days >= 10 and revenue > {JUMP_FACTOR} * greatest(best_revenue, 0)
                         and revenue - best_revenue >= {JUMP_MIN_RUB}
                    then format('revenue {{:,.2f}} RUB vs at most {{:,.2f}} {before}',
                                revenue, best_revenue) end as revenue_jump,
               case when prior_days >= 10 and buyers > {JUMP_FACTOR} * most_buyers
                         and buyers - most_buyers >= {JUMP_MIN_BUYERS}
                    then format('{{}} buyers vs at most {{}} {before}',
                                buyers, most_buyers) end as buyers_jump
        from framed"""


def jump_checks(what: str) -> list[Check]:
    """Warnings only: a jump may be real (a big contract), and blocking a true number is a wrong number."""
    return [
        is_null("revenue_jump", f"a day's {what} revenue is not far above every day of the weeks before "
                "(a typo in an amount)", "warning"),
        is_null("buyers_jump", f"a day's {what} buyers are not far more than on any day of the weeks before "
                "(duplicate customers)", "warning"),
    ]  # fmt: skip


def number(path: str, json: str = "_data") -> str:
    return f"try_cast({text(path, json)} as double)"


def unix_time(path: str, json: str = "_data") -> str:
    """amoCRM unix seconds → a naive UTC timestamp; 0 (amoCRM's "not set") or absent → null. A negative
    number stays a (pre-1970) moment, so the date range check names it: staging would read it as "not
    set" and quietly reopen a closed deal. The bounds keep make_timestamp from overflowing (years 1–9999)."""
    seconds = f"try_cast({text(path, json)} as bigint)"
    return (
        f"case when {seconds} <> 0 and {seconds} between -62135596800 and 253402300799 "
        f"then make_timestamp({seconds} * 1000000) end"
    )
