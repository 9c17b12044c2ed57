"""What is checked on landed Yandex.Metrica visits (raw_metrica.visits; docs/sources/metrica.md).

One record per day × last traffic source × UTM source/medium/campaign, with `visits` and `users`. The
channel conversion mart sums `visits` per channel and month; the date is the counter's local date.
"""

from __future__ import annotations

import datetime as dt

from quality.checks import (
    StreamChecks,
    at_least,
    in_set,
    is_null,
    latest,
    moment,
    not_above,
    not_null,
    number,
    text,
    unique,
)

SCHEMA = "raw_metrica"
# Metrica's TrafficSource ids (yandex.ru/dev/metrika/en/management/table-source). The channel seed maps
# them; one it does not know becomes channel "unknown".
TRAFFIC_SOURCES = [
    "ad",
    "organic",
    "direct",
    "referral",
    "internal",
    "social",
    "email",
    "messenger",
    "recommend",
    "saved",
    "qrcode",
    "undefined",
]


def _visits(now: dt.datetime) -> StreamChecks:
    # The row's grain as staging sees it (trimmed, '' = null): two keys with one grain are a double count.
    grain = ", ".join(
        f"coalesce({text(field)}, '')"
        for field in ("traffic_source_id", "utm_source", "utm_medium", "utm_campaign")
    )
    visit_date = f"try_cast(try_cast({text('date')} as date) as timestamp)"
    sql = f"""
        select _id as visit_key,
               {visit_date} as visit_date,
               case when {visit_date} is not null
                    then concat_ws('|', {visit_date}::date, {grain}) end as grain,
               {text("traffic_source_id")} as traffic_source_id,
               {number("visits")} as visits,
               {number("users")} as users,
               case when {number("visits")} <> round({number("visits")}) then {number("visits")} end
                   as visits_fractional
        from {latest(SCHEMA, "visits")} as latest"""
    checks = [
        not_null("visit_date", "date parses as a date: visits are counted by month"),
        moment("visit_date", now, "the date is not in the future"),
        unique("grain", "one row per day, source and UTM tags: a repeat would count its visits twice"),
        not_null("visits", "visits is a number: the channel conversion mart sums it"),
        at_least("visits", 0, "visits are not negative"),
        at_least("users", 0, "users are not negative"),
        not_above(
            "users",
            "visits",
            "users ≤ visits: every user made a visit; more users means the metrics are not what we read",
        ),
        in_set(
            "traffic_source_id",
            TRAFFIC_SOURCES,
            "a traffic source Metrica documents (else channel unknown)",
            "warning",
        ),
        is_null(
            "visits_fractional",
            "visits are whole: a fraction is a sampled estimate (staging rounds it)",
            "warning",
        ),
    ]
    return StreamChecks("metrica.visits", sql, checks, key="visit_key")


def metrica_checks(now: dt.datetime, landed_streams: set[str]) -> list[StreamChecks]:
    """The suites for the Metrica streams that hold landed records."""
    return [_visits(now)] if "visits" in landed_streams else []
