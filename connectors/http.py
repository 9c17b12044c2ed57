"""The one HTTP client every connector uses: retries, backoff, rate limit, typed and redacted errors.

Sources misbehave in known ways (SOURCES.md §8): 429s with Retry-After, 5xx while a 1C session starts,
connections dropped mid-body. The client retries those, gives up on the rest at once (a wrong password
stays wrong), and raises one error type per cause whose `str()` is a single line naming source, stream
and URL — with userinfo, secret-looking query values and credentials replaced by `***`, because these
lines end up in run reports and logs.
"""

from __future__ import annotations

import base64
import http.client
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlencode

import requests
import urllib3.exceptions

from connectors.errors import (
    MASK,
    AuthError,
    BadResponse,
    RateLimited,
    ServerError,
    SourceError,
    Timeout,
    looks_secret,
    one_line,
    redact_text,
)

# The errors are part of this module's API (callers catch connectors.http.SourceError).
__all__ = [
    "AuthError",
    "BadResponse",
    "HttpClient",
    "RateLimited",
    "ServerError",
    "SourceError",
    "Timeout",
    "Utf8BasicAuth",
]

log = logging.getLogger("salespipe.http")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
# Transport failures worth naming in a message; the raw exception text carries the URL, so it is not used.
_TRANSPORT_PHRASES = re.compile(
    r"\[Errno -?\d+\] [^'\")\]]+|Connection reset by peer|Remote end closed connection without response"
    r"|Connection refused|Connection aborted|Name or service not known"
)


class Utf8BasicAuth(requests.auth.AuthBase):
    """HTTP Basic with UTF-8 credentials: requests encodes str as latin-1, and a Cyrillic 1C login
    sent any other way than UTF-8 gets a 401 (SOURCES.md §1)."""

    def __init__(self, username: str, password: str):
        self.username, self.password = username, password
        self._token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")

    def __call__(self, request):
        request.headers["Authorization"] = f"Basic {self._token}"
        return request

    def secret_values(self) -> tuple[str, ...]:
        return (self.password, self._token)

    def __repr__(self) -> str:
        return f"Utf8BasicAuth(username={self.username!r}, password={MASK!r})"


class MinIntervalLimiter:
    """Spaces request starts at least 1/rate seconds apart: enough for the per-second limits sources set."""

    def __init__(self, rate_per_s: float, sleep: Callable[[float], None], clock=time.monotonic):
        self._interval, self._sleep, self._clock = 1.0 / rate_per_s, sleep, clock
        self._next_start = 0.0

    def wait(self) -> None:
        now = self._clock()
        if now < self._next_start:
            self._sleep(self._next_start - now)
            now = self._next_start
        self._next_start = now + self._interval


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
    ):
        self.source, self.timeout, self.max_retries = source, timeout, max_retries
        self.backoff_base, self.backoff_max, self.max_retry_after = backoff_base, backoff_max, max_retry_after
        self.auth_hint = auth_hint
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
        self._secrets = _collect_secrets(auth, headers or {})

    def get(self, url: str, params: Mapping[str, Any] | None = None, *, stream: str) -> requests.Response:
        """A successful (< 400) response, after retries; raises a SourceError subclass otherwise."""
        return self._request_with_retries(url, params, stream, parse_json=False)[1]

    def get_json(
        self, url: str, params: Mapping[str, Any] | None = None, *, stream: str
    ) -> tuple[Any, requests.Response]:
        """The parsed JSON body and its response; a body cut short is retried like a 503."""
        return self._request_with_retries(url, params, stream, parse_json=True)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _request_with_retries(
        self, url: str, params: Mapping[str, Any] | None, stream: str, parse_json: bool
    ) -> tuple[Any, requests.Response]:
        full_url = with_query(url, params)
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._attempt(full_url, stream, parse_json)
            except SourceError as err:
                if not err.transient or attempt == attempts:
                    if err.transient:
                        err.message += f" (gave up after {attempt} attempts)"
                    raise
                delay = self._retry_delay(attempt, err.retry_after)
                log.warning("%s — retry %d/%d in %.2fs", err, attempt, self.max_retries, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _attempt(self, url: str, stream: str, parse_json: bool) -> tuple[Any, requests.Response]:
        if self._limiter:
            self._limiter.wait()
        try:
            response = self.session.get(url, timeout=self.timeout)
        except (requests.RequestException, http.client.HTTPException, urllib3.exceptions.HTTPError) as exc:
            # `from None`: the chained exception's text holds the raw URL with its query.
            raise self._transport_error(exc, url, stream) from None
        if response.status_code >= 400:
            raise self._status_error(response, url, stream)
        if not parse_json:
            return None, response
        return self._parse_json(response, url, stream), response

    def _error(self, cls, url, stream, message, status=None, **kwargs) -> SourceError:
        return cls(self.source, stream, url, redact_text(message, self._secrets), status, **kwargs)

    def _transport_error(self, exc: Exception, url: str, stream: str) -> SourceError:
        cause = _transport_cause(exc)
        inner = exc.args[0] if exc.args else None
        if isinstance(exc, requests.Timeout) or isinstance(inner, urllib3.exceptions.ReadTimeoutError):
            return self._error(Timeout, url, stream, f"no answer within {self.timeout:g}s ({cause})")
        if isinstance(
            exc,
            requests.exceptions.ChunkedEncodingError
            | requests.exceptions.ContentDecodingError
            | http.client.IncompleteRead
            | urllib3.exceptions.ProtocolError,
        ):
            return self._error(BadResponse, url, stream, f"response body cut short ({cause})", transient=True)
        if isinstance(exc, requests.ConnectionError):
            return self._error(ServerError, url, stream, f"connection failed ({cause})")
        return self._error(SourceError, url, stream, f"request failed ({cause})")

    def _status_error(self, response: requests.Response, url: str, stream: str) -> SourceError:
        status = response.status_code
        phrase = f"{status} {response.reason or _standard_reason(status)}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status in AUTH_STATUSES:
            return self._error(AuthError, url, stream, f"{phrase} — {self.auth_hint}", status)
        if status == 429:
            return self._error(RateLimited, url, stream, phrase, status, retry_after=retry_after)
        transient = status in RETRY_STATUSES
        cls = ServerError if status >= 500 else BadResponse
        detail = "" if transient else f": {server_error_text(response)}"
        return self._error(
            cls, url, stream, phrase + detail, status, retry_after=retry_after, transient=transient
        )

    def _parse_json(self, response: requests.Response, url: str, stream: str) -> Any:
        try:
            return response.json()
        except ValueError:
            pass  # decide below, outside the except, so the decoder's error is not chained
        expected, received = response.headers.get("Content-Length", ""), len(response.content)
        # A compressed body's Content-Length counts compressed bytes: only compare plain bodies.
        if expected.isdigit() and int(expected) > received and "Content-Encoding" not in response.headers:
            message = f"response body cut short (got {received} of {expected} bytes)"
            raise self._error(BadResponse, url, stream, message, response.status_code, transient=True)
        snippet = one_line(response.text, limit=120)
        raise self._error(
            BadResponse, url, stream, f"response is not JSON: {snippet!r}", response.status_code
        )

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        # "Equal jitter": never less than half the backoff, so retries cannot pile up at zero delay.
        return ceiling / 2 + self._jitter.uniform(0, ceiling / 2)


def with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """Append params encoded with %20 for spaces (OData servers do not all read '+' as a space)."""
    if not params:
        return url
    query = urlencode({name: str(value) for name, value in params.items()}, quote_via=quote, safe="$',():")
    return f"{url}{'&' if '?' in url else '?'}{query}"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date. None if absent/invalid."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
        return seconds if seconds >= 0 else None
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def server_error_text(response: requests.Response) -> str:
    """The server's own explanation: OData v3 `odata.error`, v4 `error`, problem+json, else the text."""
    try:
        body = response.json()
    except ValueError:
        return one_line(response.text, limit=200) or "(empty body)"
    if isinstance(body, dict):
        error = body.get("odata.error") or body.get("error")
        if isinstance(error, dict):
            message = error.get("message")
            message = message.get("value") if isinstance(message, dict) else message
            code = error.get("code")
            return f"{message} (code {code})" if code not in (None, "") else str(message)
        problem = [str(body[field]) for field in ("title", "detail") if body.get(field)]
        if problem:
            return " — ".join(problem)
    return one_line(response.text, limit=200)


def _collect_secrets(auth, headers: Mapping[str, str]) -> tuple[str, ...]:
    secrets = list(auth.secret_values()) if hasattr(auth, "secret_values") else []
    secrets += [str(getattr(auth, "password", "") or "")]
    secrets += [value for name, value in headers.items() if looks_secret(name)]
    return tuple(secret for secret in secrets if secret)


def _transport_cause(exc: Exception) -> str:
    found = _TRANSPORT_PHRASES.search(str(exc))
    return f"{type(exc).__name__}: {found.group(0)}" if found else type(exc).__name__


def _standard_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
