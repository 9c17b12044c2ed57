"""Typed source errors and the redaction that keeps secrets out of them.

Every failure a connector raises is a `SourceError` whose `str()` is one line naming source, stream,
method and URL, e.g. `1C stream=shipments GET http://host/trade/odata/standard.odata/Document_… : 401
Unauthorized — check …`. These lines end up in run reports and logs, so the URL is printed decoded,
without userinfo, with secret-looking query values masked, and the message never carries credentials.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

# Query parameter (and header) names whose values must never be printed.
SECRET_NAME_HINTS = ("token", "key", "secret", "password", "passwd", "sign", "auth")
MASK = "***"


class SourceError(Exception):
    """A request to a source failed for good. `str()` is one redacted line: source, stream, URL, cause."""

    transient_by_default = False

    def __init__(
        self,
        source: str,
        stream: str,
        url: str,
        message: str,
        status: int | None = None,
        *,
        retry_after: float | None = None,
        transient: bool | None = None,
        method: str = "GET",
    ):
        self.source, self.stream, self.status, self.method = source, stream, status, method
        self.url = redact_url(url)
        self.message = one_line(message)
        self.retry_after = retry_after  # seconds the server asked us to wait, if it said
        self.transient = self.transient_by_default if transient is None else transient
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.source} stream={self.stream} {self.method} {self.url} : {self.message}"

    def __reduce__(self):  # keep the error picklable (orchestrators ship exceptions between processes)
        state = {"retry_after": self.retry_after, "transient": self.transient, "method": self.method}
        return (
            _rebuild_error,
            (type(self), self.source, self.stream, self.url, self.message, self.status, state),
        )


def _rebuild_error(cls, source, stream, url, message, status, state):
    return cls(source, stream, url, message, status, **state)


class AuthError(SourceError):
    """401/403: credentials are wrong or lack rights. Never retried."""


class RateLimited(SourceError):
    transient_by_default = True


class IpBanned(RateLimited):
    """The source blocked our IP for exceeding its rate limit (amoCRM: 403 with an nginx HTML page).

    Not a credentials problem, and not retried: every request during a ban may extend it.
    """

    transient_by_default = False


class ServerError(SourceError):
    """5xx, or the connection failed/reset."""

    transient_by_default = True


class BadResponse(SourceError):
    """A 4xx other than auth (with the server's own error text), or a body cut short / not JSON."""


class Timeout(SourceError):
    transient_by_default = True


class Unreachable(SourceError):
    """No connection could be made at all (refused, no such host, connect timeout) after a few quick tries.

    Not retried with the long backoff, and one per source: when the host is down every stream would
    only wait out the same backoff again (issue 7: 3+ minutes to give up). `str()` names the source, the
    host and the setting to check, e.g. `1C: host unreachable: http://10.0.0.5:80 (Connection refused;
    3 attempts in 4.5 s) — check SALESPIPE_ONEC_URL`; `stream` and `url` keep the request that failed.
    """

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def looks_secret(name: str) -> bool:
    lowered = name.lower()
    return any(hint in lowered for hint in SECRET_NAME_HINTS)


def redact_url(url: str, value_limit: int = 120) -> str:
    """The URL made readable (percent-decoded) and safe to print: no userinfo, secret params masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    readable = f"{parts.scheme}://{host}{port}{unquote(parts.path)}" if parts.scheme else unquote(parts.path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not pairs:
        return readable
    shown = [
        f"{name}={MASK if looks_secret(name) else one_line(value, value_limit)}" for name, value in pairs
    ]
    return f"{readable}?{'&'.join(shown)}"


def redact_text(text: str, secrets: tuple[str, ...]) -> str:
    # Very short secrets would mangle ordinary words while hiding almost nothing.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, MASK)
    return text


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# ---------------------------------------------------------------- reading an error response
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


def server_error_text(response) -> str:
    """The server's own explanation: OData v3 `odata.error`, v4 `error`, problem+json, else the text."""
    said = structured_error_text(response)
    if said is not None:
        return said
    return one_line(response.text, limit=200) or "(empty body)"


def structured_error_text(response) -> str | None:
    """The explanation a JSON error body gives (`odata.error`, `error`, problem+json), else None. A 5xx
    keeps it through the retries: 1C's "(code 6)" says more than "500 Internal Server Error", while a
    proxy's HTML error page says nothing worth a line."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("odata.error") or body.get("error")
    if isinstance(error, dict):
        message = error.get("message")
        message = message.get("value") if isinstance(message, dict) else message
        code = error.get("code")
        message = one_line(str(message), limit=300)
        return f"{message} (code {code})" if code not in (None, "") else message
    problem = [str(body[field]) for field in ("title", "detail") if body.get(field)]
    return one_line(" — ".join(problem), limit=300) if problem else None


def standard_reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "HTTP error"
