"""How amoCRM lists are walked without missing or doubling records while people keep editing them.

`fetch(params)` is one list request: (records, has a next page) or None for a 204 ("nothing found").

- `keyset_pages` (leads, contacts, notes — sortable by updated_at): a window [lower, upper] on the
  cursor field, ordered ascending; after each page the next request starts *at the last updated_at
  seen* instead of asking for page n+1. An edit during the scan moves a record out of the pages
  already read; with page numbers every later record would shift one place back and one would be
  skipped. Restarting from the last value cannot skip, and an (id, updated_at) already yielded in
  this run is dropped, so no version is doubled; the edited record's new version, met further on, is
  yielded too (landing appends it: the night's data holds the edit, not the version before it).
  Only when a whole page shares one value (a bulk edit) does it
  fall back to page n+1 within that value.
- `numbered_pages`: plain page numbers, for sets that do not shift while we read: immutable events in
  a frozen window, full catalogs, and tasks (which amoCRM cannot sort by updated_at: they are read by id
  with a lower bound only, so an edited task keeps its place instead of leaving the set).
- `merge_calls`: one record per call (`params.uniq`), the lead's note winning over the contact's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Fetch = Callable[[dict[str, Any]], "tuple[list[dict], bool] | None"]


def keyset_pages(
    fetch: Fetch, field: str, lower: int | None, upper: int, limit: int, extra: dict[str, Any]
) -> Iterator[list[dict]]:
    seen: set = set()
    start, page = lower, 1
    while True:
        params = {"limit": limit, "page": page, **extra}
        if start is not None:
            params[f"filter[{field}][from]"] = start
        params[f"filter[{field}][to]"] = upper
        params[f"order[{field}]"] = "asc"
        answer = fetch(params)
        if answer is None:
            return
        records, more = answer
        fresh = _unseen(records, seen, field)
        if fresh:
            yield fresh
        if not records or not more:
            return
        last = records[-1].get(field)
        if isinstance(last, int) and (start is None or last > start):
            start, page = last, 1
        else:  # the whole page had the value we started at: step through it by page number
            page += 1


def numbered_pages(fetch: Fetch, params: dict[str, Any], limit: int) -> Iterator[list[dict]]:
    seen: set = set()
    for page in itertools.count(1):
        answer = fetch({"limit": limit, "page": page, **params})
        if answer is None:
            return
        records, more = answer
        fresh = _unseen(records, seen)
        if fresh:
            yield fresh
        if not records or not more:
            return


def merge_calls(
    lead_pages: Iterable[list[dict]], contact_notes: Iterable[dict], chunk: int
) -> Iterator[list[dict]]:
    """Lead call notes, each with `lead_id` and the `contact_id` of the contact note of the same call;
    then the calls found only on a contact (`lead_id` None).

    The telephony integration writes one call on both the lead and the contact with one `params.uniq`
    (docs/sources/amocrm.md); counting both would double every call.
    """
    on_contacts: dict[str, dict] = {}
    for note in contact_notes:
        on_contacts.setdefault(call_uniq(note) or f"note:{note.get('id')}", note)
    emitted: set[str] = set()
    for notes in lead_pages:
        calls = []
        for note in notes:
            uniq = call_uniq(note)
            if uniq is not None and uniq in emitted:
                continue
            contact = on_contacts.pop(uniq, None) if uniq is not None else None
            contact_id = contact.get("entity_id") if contact else None
            calls.append({**note, "lead_id": note.get("entity_id"), "contact_id": contact_id})
            if uniq is not None:
                emitted.add(uniq)
        if calls:
            yield calls
    leftovers = [
        {**note, "lead_id": None, "contact_id": note.get("entity_id")} for note in on_contacts.values()
    ]
    for start in range(0, len(leftovers), chunk):
        yield leftovers[start : start + chunk]


def call_uniq(note: dict) -> str | None:
    params = note.get("params")
    uniq = params.get("uniq") if isinstance(params, dict) else None
    return uniq.strip() if isinstance(uniq, str) and uniq.strip() else None


def _unseen(records: list[dict], seen: set, version_field: str | None = None) -> list[dict]:
    fresh = []
    for record in records:
        key = record.get("id")
        if key is not None and version_field:
            key = (key, record.get(version_field))
        if record.get("id") is None:  # no id: landing rejects it with a reason instead of losing it
            fresh.append(record)
        elif key not in seen:
            seen.add(key)
            fresh.append(record)
    return fresh
