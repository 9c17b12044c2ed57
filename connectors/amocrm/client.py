"""amoCRM API v4 source (docs/CONTRACTS_CRM.md §4, SOURCES.md §2): the streams as data, read through
HAL lists that answer 204 when empty, under a 7 requests/s limit, with rotating OAuth tokens.

- users, pipelines, loss_reasons are read whole every run (landing diffs them);
- leads, contacts, tasks and calls are read over a window on `updated_at`, events on `created_at`: from
  the last cursor minus `overlap_seconds` (late commits, clock skew) up to the moment the read started
  (frozen, so records edited during the run are left to the next one). Tasks, which amoCRM cannot sort
  by updated_at, are the exception: id order, no upper bound. How each list is walked so that
  concurrent edits neither skip nor double records is in connectors/amocrm_pages.py; tokens and error
  wording are in connectors/amocrm_auth.py.
- Page.cursor is the latest updated_at/created_at landed so far, unix seconds as a string; it never
  moves back. A run that finds nothing (amoCRM answers 204) yields no page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from typing import Any

from connectors.amocrm.auth import SOURCE_NAME, AmoTokens, error_classifier
from connectors.amocrm.pages import keyset_pages, merge_calls, numbered_pages
from connectors.errors import AuthError, BadResponse, IpBanned
from connectors.http import HttpClient, with_query
from connectors.oauth_tokens import TokenStore
from contract.records import Page, StreamSpec

log = logging.getLogger("salespipe.amocrm")

MAX_LIMIT = 250
EVENTS_MAX_LIMIT = 100
# The server allows 7/s; the client stays below it instead of bouncing off 429s (every 429 counts
# towards an IP ban).
DEFAULT_RATE_PER_S = 6.5
EVENT_TYPES = ("lead_status_changed", "lead_deleted", "contact_deleted")
CALL_NOTE_TYPES = ("call_in", "call_out")
AUTH_HINT = "check SALESPIPE_AMOCRM_* credentials"


class DottedKeyStreamSpec(StreamSpec):
    """A StreamSpec whose key fields may name nested values ("params.uniq")."""

    def key_of(self, record: dict[str, Any]) -> str | None:
        return super().key_of({name: _dig(record, name) for name in self.key_fields})


_ID = ("id",)
STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("users", "users", "full", _ID),
    StreamSpec("pipelines", "leads/pipelines", "full", _ID),
    StreamSpec("loss_reasons", "leads/loss_reasons", "full", _ID),
    StreamSpec("leads", "leads", "window", _ID, "updated_at"),
    StreamSpec("contacts", "contacts", "window", _ID, "updated_at"),
    StreamSpec("events", "events", "window", _ID, "created_at"),
    DottedKeyStreamSpec("calls", "leads/notes,contacts/notes", "window", ("params.uniq",), "updated_at"),
    StreamSpec("tasks", "tasks", "window", _ID, "updated_at"),
)
# path → the list's key inside `_embedded`
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


def amocrm_http_client(*, rate_limit_per_s: float | None = DEFAULT_RATE_PER_S, **options: Any) -> HttpClient:
    """The HTTP client AmoCrmSource uses by default; tests pass their own options (short backoff)."""
    return HttpClient(SOURCE_NAME, auth_hint=AUTH_HINT, rate_limit_per_s=rate_limit_per_s, **options)


class AmoCrmSource:
    """Reads one amoCRM account (`https://<subdomain>.amocrm.ru/`).

    Credentials: `long_lived_token`, or `client_id` + `client_secret` + `token_store` (which holds the
    rotating refresh token; see connectors/oauth_tokens.py). `http` replaces the default client (build
    it with `amocrm_http_client`); timeout, max_retries and rate_limit_per_s then go unused.
    """

    name = SOURCE_NAME

    def __init__(
        self,
        base_url: str,
        *,
        token_store: TokenStore | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
        long_lived_token: str | None = None,
        page_size: int = MAX_LIMIT,
        overlap_seconds: int = 3600,
        start_at: int | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        rate_limit_per_s: float | None = DEFAULT_RATE_PER_S,
        http: HttpClient | None = None,
        clock=time.time,
    ):
        if not 1 <= page_size <= MAX_LIMIT or overlap_seconds < 0:
            raise ValueError(f"page_size must be 1…{MAX_LIMIT} and overlap_seconds ≥ 0")
        self.account_url = _account_url(base_url)
        self.api_url = self.account_url + "api/v4/"
        self.page_size, self.overlap_seconds, self.start_at = page_size, overlap_seconds, start_at
        self._clock = clock
        self.http = http or amocrm_http_client(
            timeout=timeout, max_retries=max_retries, rate_limit_per_s=rate_limit_per_s
        )
        self.http.classify_error = error_classifier(long_lived=long_lived_token is not None)
        self._tokens = AmoTokens(
            self.http,
            self.account_url + "oauth2/access_token",
            token_store=token_store,
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            long_lived_token=long_lived_token,
            clock=clock,
        )
        self._by_name = {spec.name: spec for spec in STREAMS}
        self._banned: IpBanned | None = None

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return STREAMS

    def stream(self, name: str) -> StreamSpec:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValueError(f"amoCRM has no stream {name!r}; known: {', '.join(self._by_name)}") from None

    def read(self, stream_name: str, cursor: str | None = None) -> Iterator[Page]:
        """Pages of records as amoCRM sent them (calls: merged per call). Full streams ignore `cursor`;
        window streams take and give the cursor as unix seconds in a string."""
        spec = self.stream(stream_name)
        if spec.mode == "full":
            return self._read_full(spec)
        return self._read_window(spec, _parse_cursor(cursor))

    def window_start(self, cursor: int | None) -> int | None:
        """The lower bound of a window read: the cursor − overlap, never before start_at."""
        lower = None if cursor is None else cursor - self.overlap_seconds
        if self.start_at is not None:
            lower = self.start_at if lower is None else max(lower, self.start_at)
        return lower

    def close(self) -> None:
        self.http.close()

    # ----------------------------------------------------------------------------- streams
    def _read_full(self, spec: StreamSpec) -> Iterator[Page]:
        fetch = self._fetcher(spec.name, spec.entity_set)
        if spec.entity_set == "leads/pipelines":  # one answer with `_total_items`, no paging
            answer = fetch({})
            if answer is not None and answer[0]:
                yield Page(spec.name, answer[0], None)
            return
        for records in numbered_pages(fetch, {}, self.page_size):
            yield Page(spec.name, records, None)

    def _read_window(self, spec: StreamSpec, floor: int | None) -> Iterator[Page]:
        lower, upper = self.window_start(floor), int(self._clock())
        if spec.name == "calls":
            yield from self._read_calls(spec, floor, lower, upper)
            return
        reached = floor
        for records in self._window_records(spec, lower, upper):
            reached = _latest(reached, records, spec.cursor_field)
            yield Page(spec.name, records, _text(reached))

    def _window_records(self, spec: StreamSpec, lower: int | None, upper: int) -> Iterable[list[dict]]:
        fetch, field = self._fetcher(spec.name, spec.entity_set), spec.cursor_field
        if spec.name == "leads":
            return keyset_pages(fetch, field, lower, upper, self.page_size, {"with": "contacts,loss_reason"})
        if spec.name == "contacts":
            return keyset_pages(fetch, field, lower, upper, self.page_size, {})
        if spec.name == "events":  # immutable, in a frozen window: page numbers cannot shift
            params = {f"filter[type][{i}]": kind for i, kind in enumerate(EVENT_TYPES)}
            params |= _bounds(field, lower, upper)
            return numbered_pages(fetch, params, min(self.page_size, EVENTS_MAX_LIMIT))
        # tasks: amoCRM sorts them by created_at, complete_till or id only. Ordered by id with no upper
        # bound, an edited task keeps its place in the list (its updated_at still ≥ lower).
        return numbered_pages(fetch, {**_bounds(field, lower, None), "order[id]": "asc"}, self.page_size)

    def _read_calls(
        self, spec: StreamSpec, floor: int | None, lower: int | None, upper: int
    ) -> Iterator[Page]:
        types = {f"filter[note_type][{i}]": kind for i, kind in enumerate(CALL_NOTE_TYPES)}

        def notes(path: str) -> Iterator[list[dict]]:
            fetch = self._fetcher(spec.name, path)
            return keyset_pages(fetch, spec.cursor_field, lower, upper, self.page_size, types)

        on_contacts = [note for records in notes("contacts/notes") for note in records]
        reached = _latest(floor, on_contacts, spec.cursor_field)
        # The cursor moves only with the last page: the contact-only calls come last, and a crash
        # before them must re-read the window rather than skip them.
        pending: list[dict] | None = None
        for records in merge_calls(notes("leads/notes"), on_contacts, self.page_size):
            if pending is not None:
                yield Page(spec.name, pending, _text(floor))
            reached, pending = _latest(reached, records, spec.cursor_field), records
        if pending is not None:
            yield Page(spec.name, pending, _text(reached))

    # ----------------------------------------------------------------------------- requests
    def _fetcher(self, stream: str, path: str):
        def fetch(params: dict[str, Any]) -> tuple[list[dict], bool] | None:
            payload = self._request(stream, path, params)
            if payload is None:
                return None
            embedded = payload.get("_embedded") if isinstance(payload, dict) else None
            records = embedded.get(EMBEDDED[path]) if isinstance(embedded, dict) else None
            if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
                message = f"response has no _embedded.{EMBEDDED[path]} list"
                raise BadResponse(SOURCE_NAME, stream, with_query(self.api_url + path, params), message)
            links = payload.get("_links")
            has_next = isinstance(links, dict) and isinstance(links.get("next"), dict)
            return records, has_next

        return fetch

    def _request(self, stream: str, path: str, params: dict[str, Any]) -> Any:
        """One GET; on a 401 the access token is refreshed once and the request repeated."""
        url = self.api_url + path
        if self._banned is not None:  # every further call during a ban may extend it
            raise IpBanned(
                SOURCE_NAME, stream, with_query(url, params), f"not called: {self._banned.message}"
            )
        try:
            self._tokens.ensure(stream)
            try:
                return self.http.get_json(url, params, stream=stream)[0]
            except AuthError as err:
                if err.status != 401 or not self._tokens.can_refresh:
                    raise
                log.info("amoCRM stream=%s: access token rejected, refreshing it once", stream)
            self._tokens.refresh(stream)
            return self.http.get_json(url, params, stream=stream)[0]
        except IpBanned as err:
            self._banned = err
            raise


def _bounds(field: str, lower: int | None, upper: int | None) -> dict[str, int]:
    bounds = {}
    if lower is not None:
        bounds[f"filter[{field}][from]"] = lower
    if upper is not None:
        bounds[f"filter[{field}][to]"] = upper
    return bounds


def _latest(current: int | None, records: Iterable[dict], field: str) -> int | None:
    values = [r.get(field) for r in records if isinstance(r.get(field), int)]
    return max([current, *values], key=lambda v: -1 if v is None else v) if values else current


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _parse_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        return int(str(cursor).strip())
    except ValueError:
        raise ValueError(f"an amoCRM cursor is unix seconds, not {cursor!r}") from None


def _account_url(base_url: str) -> str:
    url = base_url.rstrip("/") + "/"
    return url[: -len("api/v4/")] if url.endswith("/api/v4/") else url


def _dig(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
