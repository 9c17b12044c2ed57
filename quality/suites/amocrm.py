"""What is checked on landed amoCRM data (raw_amocrm.*; docs/sources/amocrm.md).

What the staging models and the pipeline marts rely on: integer ids (staging casts them, one bad value
fails the dbt build), unix-second timestamps that parse and are not in the future, non-negative deal
amounts, lead statuses that exist in a landed pipeline, the event and note types staging reads.
"""

from __future__ import annotations

import datetime as dt

from quality.checks import (
    StreamChecks,
    amount,
    at_least,
    garbled,
    in_set,
    is_null,
    latest,
    moment,
    not_above,
    not_null,
    number,
    offending,
    text,
    unique,
    unix_time,
)
from quality.suites.amocrm_fields import (
    SCHEMA,
    created,
    frame,
    integer_id,
    not_integer,
    not_unix,
    pipeline_statuses,
    unknown_status,
)

# The event types the connector asks for and staging reads (stg_amocrm__lead_status_changes,
# stg_amocrm__deleted_entities); docs/sources/amocrm.md.
EVENT_TYPES = ["lead_status_changed", "lead_deleted", "contact_deleted"]
CALL_NOTE_TYPES = ["call_in", "call_out"]
# Call statuses as amoCRM documents them and clients report them: 1 voicemail, 2 call back, 3 absent,
# 4 talked, 5 wrong number, 6 no answer, 7 busy. Only 4 means anything downstream (is_talked).
CALL_STATUSES = [1, 2, 3, 4, 5, 6, 7]
# Contact fields staging reads phones and emails from (stg_amocrm__contact_phones / _emails).
CONTACT_CODES = ["PHONE", "EMAIL"]
CONTACT_NAMES = ["телефон", "phone", "email", "e-mail"]
GARBLED_WHY = "names are text, not mojibake or U+FFFD (a wrong charset on the way)"


# Catalogs: stream → (key column, why a blank name matters).
CATALOGS = {
    "users": ("user_id", "managers have names (plan vs fact and lead response group by them)"),
    "pipelines": ("pipeline_id", "pipelines have names (the pipeline marts show them)"),
    "loss_reasons": ("loss_reason_id", "loss reasons have names (the loss_reasons mart groups by them)"),
}


def _catalog(stream: str) -> StreamChecks:
    key, name_why = CATALOGS[stream]
    id_column, id_checks = integer_id(f"{stream} are joined by it")
    checks = [*id_checks, not_null("name", name_why, "warning"), is_null("names_garbled", GARBLED_WHY)]
    columns = [id_column, f"{text('name')} as name", f"{garbled(['name'])} as names_garbled"]
    return StreamChecks(f"amocrm.{stream}", frame(stream, key, columns), checks, key)


def _pipeline_status_rows() -> StreamChecks:
    """One row per status of a live pipeline (the stages stage conversion walks through)."""
    sql = f"""
        select pipelines._id || '/' || coalesce(status ->> 'id', '?') as pipeline_status,
               try_cast({text("id", "status")} as bigint) as status_id,
               pipelines._id || '/' || try_cast({text("id", "status")} as bigint) as pipeline_status_id,
               {text("name", "status")} as name
        from {latest(SCHEMA, "pipelines")} as pipelines,
             unnest(coalesce(json_extract(pipelines._data, '$._embedded.statuses[*]'), [])) as s(status)"""
    checks = [
        not_null("status_id", "every stage has an integer id (leads and events point at it)"),
        unique("pipeline_status_id", "a stage is listed once per pipeline (else its leads count twice)"),
        not_null("name", "stages have names (stage conversion shows them)", "warning"),
    ]
    return StreamChecks("amocrm.pipeline_statuses", sql, checks, key="pipeline_status")


def _leads(now: dt.datetime, landed: set[str]) -> StreamChecks:
    created_columns, created_checks = created(now, "leads are counted in the month they were created")
    integers, integers_check = not_integer(
        ["pipeline_id", "status_id", "responsible_user_id", "loss_reason_id", "created_by", "updated_by"]
    )
    times, times_check = not_unix(["created_at", "updated_at", "closed_at"])
    id_column, id_checks = integer_id("events, notes and tasks point at a lead by it")
    columns = [
        id_column,
        f"{offending(['price'], 'decimal(18, 2)')} as price_not_numeric",
        # As staging casts it: a price too big for DECIMAL(18, 2) is price_not_numeric's (one line, not two).
        f"try_cast({text('price')} as decimal(18, 2)) as price",
        *created_columns,
        f"{unix_time('closed_at')} as closed_at",
        integers,
        times,
        f"{unknown_status('pipeline_id', 'status_id')} as unknown_status",
    ]
    checks = [
        *id_checks,
        is_null("price_not_numeric", "price is a number: won revenue and win rate by amount sum it"),
        amount("price", "price is ≥ 0 and ≤ MAX_AMOUNT_RUB: a deal amount cannot be negative or that big"),
        *created_checks,
        moment("closed_at", now, "closed_at is not in the future (win rate and cycle length by month)"),
        not_above(
            "created_at", "closed_at", "a lead is not closed before it was created (cycle length)", "warning"
        ),
        integers_check,
        times_check,
        is_null(
            "unknown_status",
            "pipeline_id/status_id is a stage of a landed pipeline: stage conversion and the pipeline marts "
            "join leads to their stage",
        ),
    ]
    if "users" in landed:
        manager = text("responsible_user_id", "latest._data")
        columns.append(
            f"""case when {text("responsible_user_id")} <> '0'
                      and not exists (select 1 from {latest(SCHEMA, "users")} as users
                                      where {text("id", "users._data")} = {manager})
                 then {manager} end as unknown_manager"""
        )
        checks.append(
            is_null(
                "unknown_manager", "the responsible user is a landed user (else no manager name)", "warning"
            )
        )
    prefix = f"with {pipeline_statuses(landed)}"
    return StreamChecks("amocrm.leads", frame("leads", "lead_id", columns, prefix), checks, key="lead_id")


def _contacts(now: dt.datetime, landed: set[str]) -> StreamChecks:
    created_columns, created_checks = created(now, "a contact's creation can be a customer's first contact")
    integers, integers_check = not_integer(["responsible_user_id", "created_by"])
    times, times_check = not_unix(["created_at", "updated_at"])
    codes = ", ".join(f"'{c}'" for c in CONTACT_CODES)
    names = ", ".join(f"'{n}'" for n in CONTACT_NAMES)
    reachable = f"""len(list_filter(
            coalesce(json_extract(_data, '$.custom_fields_values[*]'), []),
            lambda custom_field: (upper(custom_field ->> 'field_code') in ({codes})
                                  or lower(trim(custom_field ->> 'field_name')) in ({names}))
                                 and {text("$.values[0].value", "custom_field")} is not null)) > 0"""
    id_column, id_checks = integer_id("leads and calls point at a contact by it")
    names = f"{garbled(['name', 'first_name', 'last_name'])} as names_garbled"
    columns = [id_column, *created_columns, integers, times, f"{reachable} as has_phone_or_email", names]
    checks = [
        *id_checks,
        *created_checks,
        integers_check,
        times_check,
        in_set(
            "has_phone_or_email",
            [True],
            "a contact has a phone or an email (else identity resolution cannot link it: it stays a customer "
            "of its own)",
            "warning",
        ),
        is_null("names_garbled", GARBLED_WHY),
    ]
    return StreamChecks("amocrm.contacts", frame("contacts", "contact_id", columns), checks, key="contact_id")


def _events(now: dt.datetime, landed: set[str]) -> StreamChecks:
    created_columns, created_checks = created(now, "status changes are ordered and dated by it")
    integers, integers_check = not_integer(
        [
            "entity_id",
            "created_by",
            "$.value_before[0].lead_status.id",
            "$.value_before[0].lead_status.pipeline_id",
            "$.value_after[0].lead_status.id",
            "$.value_after[0].lead_status.pipeline_id",
        ]
    )
    is_status_change = "_data ->> 'type' = 'lead_status_changed'"
    after = "$.value_after[0].lead_status"
    status_after = f"try_cast({text(after + '.id')} as bigint)"
    columns = [
        f"{text('type')} as type",
        f"try_cast({text('entity_id')} as bigint) as entity_id",
        *created_columns,
        integers,
        f"case when {is_status_change} and {status_after} is null "
        "then coalesce(_data ->> 'value_after', 'no value_after') end as status_change_without_status",
        # A missing status is the check above's: this one looks up the statuses that are there.
        f"case when {is_status_change} and {status_after} is not null "
        f"then {unknown_status(after + '.pipeline_id', after + '.id')} end as unknown_status_after",
    ]
    checks = [
        in_set("type", EVENT_TYPES, "the event types staging reads (any other is ignored)", "warning"),
        not_null("entity_id", "an event names its lead or contact by integer id (history and deletions)"),
        *created_checks,
        integers_check,
        is_null(
            "status_change_without_status",
            "a lead_status_changed event says which status the lead entered (its stage history)",
        ),
        is_null(
            "unknown_status_after",
            "a status change enters a stage of a landed pipeline (a deleted stage drops out of stage "
            "conversion)",
            "warning",
        ),
    ]
    prefix = f"with {pipeline_statuses(landed)}"
    return StreamChecks("amocrm.events", frame("events", "event_id", columns, prefix), checks, key="event_id")


def _calls(now: dt.datetime, landed: set[str]) -> StreamChecks:
    created_columns, created_checks = created(now, "lead response time and the calls mart are timed by it")
    integers, integers_check = not_integer(
        ["id", "lead_id", "contact_id", "created_by", "responsible_user_id", "$.params.duration",
         "$.params.call_status"]
    )  # fmt: skip
    times, times_check = not_unix(["created_at", "updated_at"])
    columns = [
        f"{text('note_type')} as note_type",
        *created_columns,
        f"{number('$.params.duration')} as duration",
        f"try_cast({text('$.params.call_status')} as bigint) as call_status",
        integers,
        times,
    ]
    checks = [
        in_set(
            "note_type",
            CALL_NOTE_TYPES,
            "calls are call_in/call_out notes: another type would be counted as a call of no direction",
        ),
        *created_checks,
        at_least("duration", 0, "talk time is not negative (the calls mart sums it)"),
        integers_check,
        times_check,
        in_set("call_status", CALL_STATUSES, "call_status is one amoCRM documents (4 = talked)", "warning"),
    ]
    return StreamChecks("amocrm.calls", frame("calls", "call_uniq", columns), checks, key="call_uniq")


def _tasks(now: dt.datetime, landed: set[str]) -> StreamChecks:
    created_columns, created_checks = created(now, "a completed task can be a lead's first response")
    integers, integers_check = not_integer(["entity_id", "task_type_id", "responsible_user_id", "created_by"])
    times, times_check = not_unix(["created_at", "updated_at", "complete_till"])
    id_column, id_checks = integer_id("a task is one record")
    columns = [
        id_column,
        *created_columns,
        f"{unix_time('updated_at')} as updated_at",
        f"{offending(['is_completed'], 'boolean')} as is_completed_not_boolean",
        integers,
        times,
    ]
    checks = [
        *id_checks,
        *created_checks,
        moment("updated_at", now, "updated_at (a completed task's completion) is not in the future"),
        is_null("is_completed_not_boolean", "is_completed is a boolean: staging casts it (first response)"),
        integers_check,
        times_check,
    ]
    return StreamChecks("amocrm.tasks", frame("tasks", "task_id", columns), checks, key="task_id")


def crm_checks(now: dt.datetime, landed_streams: set[str]) -> list[StreamChecks]:
    """The suites for the amoCRM streams that hold landed records."""
    activity = {"leads": _leads, "contacts": _contacts, "events": _events, "calls": _calls, "tasks": _tasks}
    suites = [_catalog(stream) for stream in CATALOGS if stream in landed_streams]
    if "pipelines" in landed_streams:
        suites.append(_pipeline_status_rows())
    suites += [build(now, landed_streams) for stream, build in activity.items() if stream in landed_streams]
    return suites
