"""Small parts of the HTTP client: UTF-8 Basic auth, a request spacer for per-second rate limits, strict
decoding of a body's bytes, the query string, and naming a transport failure."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import requests
import urllib3.exceptions

from connectors.errors import MASK, looks_secret, one_line


class Utf8BasicAuth(requests.auth.AuthBase):
    """HTTP Basic with UTF-8 credentials: requests encodes str as latin-1, and a Cyrillic 1C login
    sent any other way than UTF-8 gets a 401 (docs/sources/onec.md)."""

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


class BodyProblem(ValueError):
    """A body that is not JSON in a known charset; `cut_short` when it is only unfinished (worth a retry)."""

    def __init__(self, reason: str, cut_short: bool = False):
        super().__init__(reason)
        self.reason, self.cut_short = reason, cut_short


def read_json(response: requests.Response, fallback: str | None) -> tuple[Any, str, str | None]:
    """(payload, the charset it was read in, the charset the server declared); raises BodyProblem."""
    declared = declared_charset(response.headers.get("Content-Type"))
    text, charset, problem = None, None, None
    try:
        text, charset = decode_strictly(response.content, declared, fallback)
    except BodyProblem as err:
        problem = err.reason
    if text is not None:
        try:
            return json.loads(text), charset, declared
        except ValueError:
            pass  # decide below, outside the except, so the decoder's error is not chained
    expected, received = response.headers.get("Content-Length", ""), len(response.content)
    # A compressed body's Content-Length counts compressed bytes: only compare plain bodies. A body cut
    # inside a multibyte character fails to decode: it too is only unfinished.
    if expected.isdigit() and int(expected) > received and "Content-Encoding" not in response.headers:
        raise BodyProblem(f"response body cut short (got {received} of {expected} bytes)", cut_short=True)
    raise BodyProblem(problem or f"response is not JSON: {one_line(text, limit=120)!r}")


def declared_charset(content_type: str | None) -> str | None:
    """The `charset=` of a Content-Type header, lower-cased and unquoted; None when it names none."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset" and value.strip(" \"'"):
            return value.strip(" \"'").lower()
    return None


def decode_strictly(content: bytes, declared: str | None, fallback: str | None) -> tuple[str, str]:
    """(text, charset used): the declared charset (JSON's default, UTF-8, when none is declared), else the
    source's known `fallback`; never a guess and never a replacement character.

    requests' `response.json()` guesses, and a guess that is wrong still "works": a cp1251 body read as
    UTF-8 with replacement turned every Cyrillic name into U+FFFD and published them (issue 7).
    """
    tried: list[str] = []
    first_error: UnicodeDecodeError | None = None
    for charset in dict.fromkeys(c for c in (declared or "utf-8", fallback) if c):
        tried.append(charset)
        try:
            text = content.decode(charset)
        except LookupError:  # a charset Python does not know: not an answer either
            continue
        except UnicodeDecodeError as err:
            first_error = first_error or err
            continue
        # A UTF-8 byte order mark is not JSON's business (RFC 8259 lets a parser ignore it).
        return text.removeprefix("\ufeff"), charset
    raise BodyProblem(_undecodable(content, tried, first_error))


def _undecodable(content: bytes, tried: list[str], error: UnicodeDecodeError | None) -> str:
    names = " nor ".join(_charset_label(c) for c in tried)
    if error is None:
        return f"the body's charset is unknown ({names})"
    sample = " ".join(f"0x{byte:02X}" for byte in content[error.start : error.start + 4])
    return f"bytes {sample}… at offset {error.start} are not valid {names}"


def _charset_label(charset: str) -> str:
    return {"utf-8": "UTF-8", "utf8": "UTF-8"}.get(charset, charset)


def with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """Append params encoded with %20 for spaces (OData servers do not all read '+' as a space)."""
    if not params:
        return url
    query = urlencode({name: str(value) for name, value in params.items()}, quote_via=quote, safe="$',():")
    return f"{url}{'&' if '?' in url else '?'}{query}"


def no_auth(request):
    return request


def collect_secrets(auth, headers: Mapping[str, str]) -> tuple[str, ...]:
    secrets: list[str] = list(auth.secret_values()) if hasattr(auth, "secret_values") else []
    secrets += [str(getattr(auth, "password", "") or "")]
    secrets += [value for name, value in headers.items() if looks_secret(name)]
    return tuple(secret for secret in secrets if secret)


# Transport failures worth naming in a message; the raw exception text carries the URL, so it is not used.
_TRANSPORT_PHRASES = re.compile(
    r"\[Errno -?\d+\] [^'\")\]]+|Connection reset by peer|Remote end closed connection without response"
    r"|Connection refused|Connection aborted|Name or service not known"
)


def transport_cause(exc: Exception) -> str:
    found = _TRANSPORT_PHRASES.search(str(exc))
    return f"{type(exc).__name__}: {found.group(0)}" if found else type(exc).__name__


def unreachable_cause(exc: Exception, connect_timeout: float) -> str | None:
    """Why no connection could be made at all ("Connection refused", "no connection within 3s"), or None
    when a connection was made (or may have been) and the failure is the server's."""
    if isinstance(exc, requests.ConnectTimeout):
        return f"no connection within {connect_timeout:g}s"
    reason = getattr(exc.args[0] if exc.args else None, "reason", None)
    if not isinstance(exc, requests.ConnectionError) or not isinstance(
        reason,
        urllib3.exceptions.NewConnectionError,  # NameResolutionError (no such host) is one too
    ):
        return None
    found = _TRANSPORT_PHRASES.search(str(reason))
    return re.sub(r"^\[Errno -?\d+\] ", "", found.group(0)) if found else type(reason).__name__
