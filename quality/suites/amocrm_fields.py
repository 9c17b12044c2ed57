"""SQL and checks every amoCRM suite shares (quality/crm_checks.py): the frame of a raw_amocrm stream,
integer ids, unix-second times, and a lead status looked up in the landed pipelines."""

from __future__ import annotations

import datetime as dt

from quality.checks import Check, is_null, latest, moment, not_null, offending, text, unique, unix_time

SCHEMA = "raw_amocrm"
INTEGER_WHY = "ids and counts are integers: staging casts them, one bad value fails the dbt build"
UNIX_WHY = "times are unix seconds: staging casts them, one bad value fails the dbt build"


def frame(stream: str, key: str, columns: list[str], prefix: str = "") -> str:
    return f"{prefix} select _id as {key}, {', '.join(columns)} from {latest(SCHEMA, stream)} as latest"


def integer_id(what: str) -> tuple[str, list[Check]]:
    """amoCRM's integer id, unique as a number (two keys "7" and "07" would be one id twice in staging)."""
    return f"try_cast({text('id')} as bigint) as id", [
        not_null("id", f"the key is amoCRM's integer id ({what})"),
        unique("id", "one record per id: two keys that are one number would be two rows in staging"),
    ]


def created(now: dt.datetime, what: str) -> tuple[list[str], list[Check]]:
    """created_at: present, unix seconds, not in the future."""
    columns = [f"{unix_time('created_at')} as created_at"]
    checks = [
        not_null("created_at", f"created_at is unix seconds > 0: {what}"),
        moment("created_at", now, "created_at is not in the future"),
    ]
    return columns, checks


def not_integer(paths: list[str]) -> tuple[str, Check]:
    return f"{offending(paths, 'bigint')} as fields_not_integer", is_null("fields_not_integer", INTEGER_WHY)


def not_unix(paths: list[str]) -> tuple[str, Check]:
    return f"{offending(paths, 'bigint')} as times_not_unix", is_null("times_not_unix", UNIX_WHY)


def pipeline_statuses(landed: set[str]) -> str:
    """(pipeline_id, status_id) of every status of the live pipelines; empty when none are landed."""
    if "pipelines" not in landed:
        return "statuses as (select null::bigint as pipeline_id, null::bigint as status_id where false)"
    return f"""statuses as (
        select try_cast({text("id")} as bigint) as pipeline_id,
               try_cast({text("id", "status")} as bigint) as status_id
        from {latest(SCHEMA, "pipelines")} as pipelines,
             unnest(coalesce(json_extract(pipelines._data, '$._embedded.statuses[*]'), [])) as s(status))"""


def unknown_status(pipeline_path: str, status_path: str) -> str:
    """'<pipeline>/<status>' when that pair is not a status of a landed pipeline, else null."""
    pipeline, status = text(pipeline_path, "latest._data"), text(status_path, "latest._data")
    pair = f"coalesce({pipeline}, '?') || '/' || coalesce({status}, '?')"
    return f"""case when not exists (select 1 from statuses
                                      where statuses.pipeline_id = try_cast({pipeline} as bigint)
                                        and statuses.status_id = try_cast({status} as bigint))
                    then {pair} end"""
