"""Small parts of the HTTP client: UTF-8 Basic auth and a request spacer for per-second rate limits."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable

import requests

from connectors.errors import MASK


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
