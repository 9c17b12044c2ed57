"""amoCRM's streams as data: each stream is a declaration plus a small object that knows how its list is
walked (connectors/amocrm/pages.py says why each walk is safe while people keep editing).

- users and loss_reasons: whole lists by page number, landing diffs them;
- pipelines: one answer, no paging;
- leads and contacts: keyset pages over an `updated_at` window;
- events: immutable, by page number inside a frozen `created_at` window, only the types staging reads;
- tasks: amoCRM sorts them by id, not by updated_at: id order with a lower bound only;
- calls: call notes on leads and on contacts, merged into one record per call (`params.uniq`).

A window stream's `read` gets `Window(floor, lower, upper)`: the cursor reached so far, the lower bound
(cursor − overlap) and the frozen upper bound (the moment the read started), all unix seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.amocrm.pages import Fetch, keyset_pages, merge_calls, numbered_pages
from contract.records import Page, StreamSpec

MAX_LIMIT = 250
EVENTS_MAX_LIMIT = 100
EVENT_TYPES = ("lead_status_changed", "lead_deleted", "contact_deleted")
CALL_NOTE_TYPES = ("call_in", "call_out")


@dataclass(frozen=True)
class Window:
    floor: int | None  # the cursor landed so far: a page's cursor never moves below it
    lower: int | None
    upper: int


class ListApi(Protocol):
    """What a stream needs from the client: a fetcher per list path, and the page size."""

    page_size: int

    def fetcher(self, stream: str, path: str) -> Fetch: ...


class AmoStream(Protocol):
    spec: StreamSpec

    def read(self, api: ListApi, window: Window | None) -> Iterator[Page]: ...


@dataclass(frozen=True)
class WholeList:
    spec: StreamSpec

    def read(self, api: ListApi, window: Window | None) -> Iterator[Page]:
        fetch = api.fetcher(self.spec.name, self.spec.entity_set)
        for records in numbered_pages(fetch, {}, api.page_size):
            yield Page(self.spec.name, records, None)


@dataclass(frozen=True)
class SingleAnswer:
    """A list amoCRM sends whole in one answer (`_total_items`, no paging)."""

    spec: StreamSpec

    def read(self, api: ListApi, window: Window | None) -> Iterator[Page]:
        answer = api.fetcher(self.spec.name, self.spec.entity_set)({})
        if answer is not None and answer[0]:
            yield Page(self.spec.name, answer[0], None)


@dataclass(frozen=True)
class WindowList:
    """A window stream whose cursor moves with every page: the latest cursor value landed so far."""

    spec: StreamSpec
    walk: Callable[[Fetch, StreamSpec, Window, int], Iterable[list[dict]]]

    def read(self, api: ListApi, window: Window | None) -> Iterator[Page]:
        assert window is not None, f"{self.spec.name} is a window stream"
        fetch = api.fetcher(self.spec.name, self.spec.entity_set)
        reached = window.floor
        for records in self.walk(fetch, self.spec, window, api.page_size):
            reached = latest(reached, records, self.spec.cursor_field)
            yield Page(self.spec.name, records, cursor_text(reached))


def keyset(extra: dict[str, Any]):
    def walk(fetch: Fetch, spec: StreamSpec, window: Window, limit: int) -> Iterable[list[dict]]:
        return keyset_pages(fetch, spec.cursor_field, window.lower, window.upper, limit, extra)

    return walk


def events_walk(fetch: Fetch, spec: StreamSpec, window: Window, limit: int) -> Iterable[list[dict]]:
    # Immutable, in a frozen window: page numbers cannot shift.
    params = {f"filter[type][{i}]": kind for i, kind in enumerate(EVENT_TYPES)}
    params |= bounds(spec.cursor_field, window.lower, window.upper)
    return numbered_pages(fetch, params, min(limit, EVENTS_MAX_LIMIT))


def tasks_walk(fetch: Fetch, spec: StreamSpec, window: Window, limit: int) -> Iterable[list[dict]]:
    # Ordered by id with no upper bound, an edited task keeps its place in the list (its updated_at
    # is still ≥ lower).
    params = {**bounds(spec.cursor_field, window.lower, None), "order[id]": "asc"}
    return numbered_pages(fetch, params, limit)


@dataclass(frozen=True)
class CallNotes:
    """Call notes on leads and on contacts, one record per call; the cursor moves only with the last page:
    the contact-only calls come last, and a crash before them must re-read the window, not skip them."""

    spec: StreamSpec
    paths: tuple[str, str] = ("leads/notes", "contacts/notes")
    note_types: dict[str, str] = field(
        default_factory=lambda: {f"filter[note_type][{i}]": kind for i, kind in enumerate(CALL_NOTE_TYPES)}
    )

    def read(self, api: ListApi, window: Window | None) -> Iterator[Page]:
        assert window is not None, f"{self.spec.name} is a window stream"
        name, cursor_field = self.spec.name, self.spec.cursor_field

        def notes(path: str) -> Iterator[list[dict]]:
            fetch = api.fetcher(name, path)
            return keyset_pages(
                fetch, cursor_field, window.lower, window.upper, api.page_size, self.note_types
            )

        on_leads, on_contacts_path = self.paths
        on_contacts = [note for records in notes(on_contacts_path) for note in records]
        reached = latest(window.floor, on_contacts, cursor_field)
        pending: list[dict] | None = None
        for records in merge_calls(notes(on_leads), on_contacts, api.page_size):
            if pending is not None:
                yield Page(name, pending, cursor_text(window.floor))
            reached, pending = latest(reached, records, cursor_field), records
        if pending is not None:
            yield Page(name, pending, cursor_text(reached))


_ID = ("id",)
STREAM_READERS: tuple[AmoStream, ...] = (
    WholeList(StreamSpec("users", "users", "full", _ID)),
    SingleAnswer(StreamSpec("pipelines", "leads/pipelines", "full", _ID)),
    WholeList(StreamSpec("loss_reasons", "leads/loss_reasons", "full", _ID)),
    WindowList(
        StreamSpec("leads", "leads", "window", _ID, "updated_at"), keyset({"with": "contacts,loss_reason"})
    ),
    WindowList(StreamSpec("contacts", "contacts", "window", _ID, "updated_at"), keyset({})),
    WindowList(StreamSpec("events", "events", "window", _ID, "created_at"), events_walk),
    CallNotes(StreamSpec("calls", "leads/notes,contacts/notes", "window", ("params.uniq",), "updated_at")),
    WindowList(StreamSpec("tasks", "tasks", "window", _ID, "updated_at"), tasks_walk),
)
STREAMS: tuple[StreamSpec, ...] = tuple(reader.spec for reader in STREAM_READERS)

# list path → the list's key inside `_embedded`
EMBEDDED = {
    "users": "users",
    "leads/pipelines": "pipelines",
    "leads/loss_reasons": "loss_reasons",
    "leads": "leads",
    "contacts": "contacts",
    "events": "events",
    "leads/notes": "notes",
    "contacts/notes": "notes",
    "tasks": "tasks",
}


def bounds(field_name: str, lower: int | None, upper: int | None) -> dict[str, int]:
    found = {}
    if lower is not None:
        found[f"filter[{field_name}][from]"] = lower
    if upper is not None:
        found[f"filter[{field_name}][to]"] = upper
    return found


def latest(current: int | None, records: Iterable[dict], field_name: str) -> int | None:
    values = [r.get(field_name) for r in records if isinstance(r.get(field_name), int)]
    return max([current, *values], key=lambda v: -1 if v is None else v) if values else current


def cursor_text(value: int | None) -> str | None:
    return None if value is None else str(value)
