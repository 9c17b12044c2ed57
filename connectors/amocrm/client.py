"""amoCRM API v4 source (docs/sources/amocrm.md): the streams as data, read through
HAL lists that answer 204 when empty, under a 7 requests/s limit, with rotating OAuth tokens.

- users, pipelines, loss_reasons are read whole every run (landing diffs them);
- leads, contacts, tasks and calls are read over a window on `updated_at`, events on `created_at`: from
  the last cursor minus `overlap_seconds` (late commits, clock skew) up to the moment the read started
  (frozen, so records edited during the run are left to the next one). Tasks, which amoCRM cannot sort
  by updated_at, are the exception: id order, no upper bound. Each stream's walk is its own object in
  connectors/amocrm/streams.py; why the walks neither skip nor double records while people edit is in
  connectors/amocrm/pages.py; tokens and error wording are in connectors/amocrm/auth.py.
- Page.cursor is the latest updated_at/created_at landed so far, unix seconds as a string; it never
  moves back. A run that finds nothing (amoCRM answers 204) yields no page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from connectors.amocrm.auth import SOURCE_NAME, AmoTokens, error_classifier
from connectors.amocrm.pages import Fetch
from connectors.amocrm.streams import (
    EMBEDDED,
    EVENT_TYPES,  # noqa: F401 (re-exported for tests)
    MAX_LIMIT,
    STREAM_READERS,
    STREAMS,
    Window,
)
from connectors.errors import AuthError, BadResponse, IpBanned
from connectors.http import HttpClient, with_query
from connectors.oauth_tokens import TokenStore
from connectors.source import Ability
from contract.records import Page, StreamSpec

log = logging.getLogger("salespipe.amocrm")

# The server allows 7/s; the client stays below it instead of bouncing off 429s (every 429 counts
# towards an IP ban).
DEFAULT_RATE_PER_S = 6.5
AUTH_HINT = "check SALESPIPE_AMOCRM_* credentials"
URL_HINT = "check SALESPIPE_AMOCRM_URL"  # amoCRM's API is UTF-8 only: no fallback charset


def amocrm_http_client(*, rate_limit_per_s: float | None = DEFAULT_RATE_PER_S, **options: Any) -> HttpClient:
    """The HTTP client AmoCrmSource uses by default; tests pass their own options (short backoff)."""
    return HttpClient(
        SOURCE_NAME, auth_hint=AUTH_HINT, url_hint=URL_HINT, rate_limit_per_s=rate_limit_per_s, **options
    )


class AmoCrmSource:
    """Reads one amoCRM account (`https://<subdomain>.amocrm.ru/`).

    Credentials: `long_lived_token`, or `client_id` + `client_secret` + `token_store` (which holds the
    rotating refresh token; see connectors/oauth_tokens.py). `http` replaces the default client (build
    it with `amocrm_http_client`); timeout, max_retries and rate_limit_per_s then go unused.
    """

    name = SOURCE_NAME
    abilities: frozenset[Ability] = frozenset()

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
        self._readers = {reader.spec.name: reader for reader in STREAM_READERS}
        self._banned: IpBanned | None = None

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return STREAMS

    def stream(self, name: str) -> StreamSpec:
        try:
            return self._readers[name].spec
        except KeyError:
            raise ValueError(f"amoCRM has no stream {name!r}; known: {', '.join(self._readers)}") from None

    def read(self, stream_name: str, cursor: str | None = None) -> Iterator[Page]:
        """Pages of records as amoCRM sent them (calls: merged per call). Full streams ignore `cursor`;
        window streams take and give the cursor as unix seconds in a string."""
        spec = self.stream(stream_name)
        if spec.mode == "full":
            return self._readers[stream_name].read(self, None)
        floor = _parse_cursor(cursor)
        window = Window(floor, self.window_start(floor), int(self._clock()))
        return self._readers[stream_name].read(self, window)

    def window_start(self, cursor: int | None) -> int | None:
        """The lower bound of a window read: the cursor − overlap, never before start_at."""
        lower = None if cursor is None else cursor - self.overlap_seconds
        if self.start_at is not None:
            lower = self.start_at if lower is None else max(lower, self.start_at)
        return lower

    def close(self) -> None:
        self.http.close()

    # ----------------------------------------------------------------------------- requests
    def fetcher(self, stream: str, path: str) -> Fetch:
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
