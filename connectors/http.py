"""The one HTTP client every connector uses: retries, backoff, rate limit, typed and redacted errors.

Sources misbehave in known ways (docs/sources/): 429s with Retry-After, 5xx while a 1C session starts,
connections dropped mid-body. The client retries those, gives up on the rest at once (a wrong password
stays wrong), and raises one error type per cause whose `str()` is a single line naming source, stream
and URL — with userinfo, secret-looking query values and credentials replaced by `***`, because these
lines end up in run reports and logs. A host that takes no connection at all is `Unreachable` after a
few seconds' tries (UNREACHABLE_DELAYS), not after the long backoff. A JSON body is decoded strictly:
the declared charset (UTF-8 when none), else the source's `fallback_charset`, else BadResponse.

A source with its own quirks plugs in `classify_error` (e.g. amoCRM's 403 HTML page is an IP ban, not
bad credentials); `get_json` returns None for a 204 (amoCRM's "nothing found"); `post_json` is for
token endpoints and is only retried when the server said it did not process the request.
"""

from __future__ import annotations

import http.client
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
import urllib3.exceptions

from connectors.errors import (
    AuthError,
    BadResponse,
    IpBanned,
    RateLimited,
    ServerError,
    SourceError,
    Timeout,
    Unreachable,
    parse_retry_after,
    redact_text,
    redact_url,
    server_error_text,
    standard_reason,
    structured_error_text,
)
from connectors.http_parts import (
    BodyProblem,
    MinIntervalLimiter,
    Utf8BasicAuth,
    collect_secrets,
    no_auth,
    read_json,
    transport_cause,
    unreachable_cause,
    with_query,
)

# The errors are part of this module's API (callers catch connectors.http.SourceError).
__all__ = [
    "AuthError", "BadResponse", "HttpClient", "IpBanned", "RateLimited", "ServerError", "SourceError",
    "Timeout", "Unreachable", "Utf8BasicAuth", "parse_retry_after", "server_error_text", "with_query",
]  # fmt: skip

log = logging.getLogger("salespipe.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
# A non-idempotent request (a token refresh) is retried only on these: the server says it did nothing.
# After a timeout or a cut body the server may have acted (and revoked the old refresh token).
NOT_PROCESSED_STATUSES = frozenset({429, 503})
NO_CONTENT = 204

# (response, "401 Unauthorized") → (error class, one-line message), or None for the default mapping.
ErrorClassifier = Callable[[requests.Response, str], tuple[type[SourceError], str] | None]
# A host that refuses connections (a 1C server restarting) is tried again after these pauses, then given
# up on: seconds, not the minutes of backoff a busy server gets.
UNREACHABLE_DELAYS = (1.5, 3.0)


class HttpClient:
    """One `requests.Session` per source with retries on transient failures and typed errors."""

    def __init__(
        self,
        source: str,
        *,
        auth=None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_retry_after: float = 120.0,
        rate_limit_per_s: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        auth_hint: str = "check the user and password",
        classify_error: ErrorClassifier | None = None,
        url_hint: str = "check the source's URL setting",
        fallback_charset: str | None = None,
        connect_timeout: float = 3.0,
        unreachable_delays: tuple[float, ...] = UNREACHABLE_DELAYS,
    ):
        self.source, self.timeout, self.max_retries = source, timeout, max_retries
        self.backoff_base, self.backoff_max, self.max_retry_after = backoff_base, backoff_max, max_retry_after
        self.auth_hint, self.url_hint = auth_hint, url_hint
        self.classify_error = classify_error
        # The charset the source is known to send when its answer is not in the one it declares (a 1C or an
        # old WordPress on a Windows server: cp1251); None = the declared one or nothing.
        self.fallback_charset = fallback_charset
        # A TCP connect takes milliseconds even across a VPN: waiting the read timeout for one only delays
        # the verdict that the host is down.
        self.connect_timeout, self.unreachable_delays = min(connect_timeout, timeout), unreachable_delays
        self._fallback_warned: set[str] = set()
        self._sleep = sleep
        # Seeded per source: jitter still spreads retries, yet a test run repeats exactly.
        self._jitter = random.Random(f"salespipe.http:{source}")
        self._limiter = MinIntervalLimiter(rate_limit_per_s, sleep) if rate_limit_per_s else None
        if isinstance(auth, tuple):
            auth = Utf8BasicAuth(*auth)
        self.session = requests.Session()
        self.session.auth = auth
        self.session.headers.update({"Accept": "application/json", "User-Agent": "salespipe"})
        self.session.headers.update(headers or {})
        self._extra_secrets: set[str] = set()

    def get(self, url: str, params: Mapping[str, Any] | None = None, *, stream: str) -> requests.Response:
        """A successful (< 400) response, after retries; raises a SourceError subclass otherwise."""
        return self._request_with_retries("GET", url, params, stream, parse_json=False)[1]

    def get_streamed(self, url: str, *, stream: str, read: Callable[[Iterator[bytes]], Any]) -> Any:
        """`read(chunks)` of a body never held whole (1C's $metadata: ~17 MB), retried and typed as get(): a
        body cut short or stalled mid-way is retried too, and `read` gets the fresh body from its start."""
        return self._request_with_retries("GET", url, None, stream, parse_json=read)[0]

    def get_json(
        self, url: str, params: Mapping[str, Any] | None = None, *, stream: str
    ) -> tuple[Any, requests.Response]:
        """The parsed JSON body and its response; a body cut short is retried like a 503.

        A 204 gives (None, response): "no content" is an answer (amoCRM: nothing matched), not an error.
        """
        return self._request_with_retries("GET", url, params, stream, parse_json=True)

    def post_json(
        self, url: str, body: Mapping[str, Any], *, stream: str, send_auth: bool = False
    ) -> tuple[Any, requests.Response]:
        """POST a JSON body, parse the JSON answer. Retried only on 429/503 (see NOT_PROCESSED_STATUSES).

        `send_auth=False` keeps the session's credentials (a Bearer token) off e.g. a token endpoint.
        """
        return self._request_with_retries(
            "POST", url, None, stream, parse_json=True, body=body, send_auth=send_auth, idempotent=False
        )

    def add_secret(self, *values: str | None) -> None:
        """Values that must never appear in an error or log line (tokens, client secrets)."""
        self._extra_secrets.update(value for value in values if value)

    def secrets(self) -> tuple[str, ...]:
        # Read at every error: a source may swap its token (OAuth refresh) after the client was built.
        headers = dict(self.session.headers)
        return (*collect_secrets(self.session.auth, headers), *self._extra_secrets)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _request_with_retries(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        stream: str,
        parse_json: bool | Callable[[Iterator[bytes]], Any],
        body: Mapping[str, Any] | None = None,
        send_auth: bool = True,
        idempotent: bool = True,
    ) -> tuple[Any, requests.Response]:
        full_url = with_query(url, params)
        attempts, attempt, refusals, started = self.max_retries + 1, 0, 0, time.monotonic()
        while True:
            try:
                return self._attempt(method, full_url, stream, parse_json, body, send_auth)
            except Unreachable as err:
                # Nothing was sent, so even a token refresh is safe to repeat; but only a few seconds' worth.
                if refusals == len(self.unreachable_delays):
                    elapsed = time.monotonic() - started
                    err.message += f" (gave up after {refusals + 1} attempts in {elapsed:.1f} s)"
                    raise
                delay, refusals = self.unreachable_delays[refusals], refusals + 1
                log.warning("%s — retry %d/%d in %.2fs", err, refusals, len(self.unreachable_delays), delay)
            except SourceError as err:
                attempt += 1
                retryable = err.transient and (idempotent or err.status in NOT_PROCESSED_STATUSES)
                if not retryable or attempt == attempts:
                    if retryable:
                        err.message += f" (gave up after {attempt} attempts)"
                    raise
                delay = self._retry_delay(attempt, err.retry_after)
                log.warning("%s — retry %d/%d in %.2fs", err, attempt, self.max_retries, delay)
            self._sleep(delay)

    def _attempt(
        self, method: str, url: str, stream: str, parse_json, body=None, send_auth: bool = True
    ) -> tuple[Any, requests.Response]:
        if self._limiter:
            self._limiter.wait()
        # An explicit no-op auth overrides the session's (requests falls back to it on auth=None).
        auth = None if send_auth else no_auth
        timeout, lazy = (self.connect_timeout, self.timeout), callable(parse_json)  # lazy: get_streamed
        try:
            response = self.session.request(method, url, json=body, auth=auth, timeout=timeout, stream=lazy)
            if lazy and response.status_code < 400:
                with response:  # a body that fails mid-way is mapped below like a failed request
                    return parse_json(response.iter_content(1 << 16)), response
        except (requests.RequestException, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
            # `from None`: the chained exception's text holds the raw URL with its query.
            raise self._transport_error(exc, url, stream, method) from None
        if response.status_code >= 400:
            raise self._status_error(response, url, stream, method)
        if not parse_json or response.status_code == NO_CONTENT:
            return None, response
        return self._parse_json(response, url, stream, method), response

    def _error(self, cls, url, stream, message, status=None, **kwargs) -> SourceError:
        return cls(self.source, stream, url, redact_text(message, self.secrets()), status, **kwargs)

    def _transport_error(self, exc: Exception, url: str, stream: str, method: str = "GET") -> SourceError:
        kw = {"method": method}
        unreachable = unreachable_cause(exc, self.connect_timeout)
        if unreachable is not None:
            origin = redact_url(url).split("/", 3)
            message = f"host unreachable: {'/'.join(origin[:3])} ({unreachable}) — {self.url_hint}"
            return self._error(Unreachable, url, stream, message, **kw)
        cause = transport_cause(exc)
        inner = exc.args[0] if exc.args else None
        if isinstance(exc, requests.Timeout) or isinstance(inner, urllib3.exceptions.ReadTimeoutError):
            return self._error(Timeout, url, stream, f"no answer within {self.timeout:g}s ({cause})", **kw)
        if isinstance(
            exc,
            requests.exceptions.ChunkedEncodingError
            | requests.exceptions.ContentDecodingError
            | http.client.IncompleteRead
            | urllib3.exceptions.ProtocolError,
        ):
            message = f"response body cut short ({cause})"
            return self._error(BadResponse, url, stream, message, transient=True, **kw)
        if isinstance(exc, requests.ConnectionError):
            return self._error(ServerError, url, stream, f"connection failed ({cause})", **kw)
        return self._error(SourceError, url, stream, f"request failed ({cause})", **kw)

    def _status_error(self, response: requests.Response, url: str, stream: str, method: str) -> SourceError:
        status = response.status_code
        phrase = f"{status} {response.reason or standard_reason(status)}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        kw = {"retry_after": retry_after, "method": method}
        verdict = self.classify_error(response, phrase) if self.classify_error else None
        if verdict is not None:
            cls, message = verdict
            return self._error(cls, url, stream, message, status, **kw)
        if status in AUTH_STATUSES:
            return self._error(AuthError, url, stream, f"{phrase} — {self.auth_hint}", status, method=method)
        if status == 429:
            return self._error(RateLimited, url, stream, phrase, status, **kw)
        transient = status in RETRY_STATUSES
        cls = ServerError if status >= 500 else BadResponse
        said = structured_error_text(response) if transient else server_error_text(response)
        detail = f": {said}" if said else ""
        return self._error(cls, url, stream, phrase + detail, status, transient=transient, **kw)

    def _parse_json(self, response: requests.Response, url: str, stream: str, method: str = "GET") -> Any:
        try:
            payload, charset, declared = read_json(response, self.fallback_charset)
        except BodyProblem as err:
            problem = err  # raised below, outside the except, so no decoder error is chained
        else:
            self._warn_on_fallback(charset, declared, url, stream, method)
            return payload
        kw = {"transient": problem.cut_short, "method": method}
        raise self._error(BadResponse, url, stream, problem.reason, response.status_code, **kw)

    def _warn_on_fallback(self, charset, declared, url: str, stream: str, method: str) -> None:
        """Once per stream: the body was not in the charset the server declared, and the source's known
        one was used instead (the data is right; the server's configuration is not)."""
        if charset is None or charset == (declared or "utf-8") or stream in self._fallback_warned:
            return
        self._fallback_warned.add(stream)
        said = f"declares {declared}" if declared else "declares no charset (JSON: UTF-8)"
        note = f"the body is not valid in the charset the server {said}: read it as {charset}"
        log.warning("%s", self._error(BadResponse, url, stream, note, method=method))

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        # "Equal jitter": never less than half the backoff, so retries cannot pile up at zero delay.
        return ceiling / 2 + self._jitter.uniform(0, ceiling / 2)
