"""amoCRM's OAuth and rate limits as the simulator enforces them (docs/sources/amocrm.md).

- `TokenAuthority`: Bearer access tokens that expire, single-use refresh tokens (reuse → 401
  "Token has been revoked"), a new pair on every refresh.
- `RateGate`: more than `rate_limit` requests in any 1 s window → 429; more than `ban_after` 429s
  within 60 s → the IP is banned: every request gets nginx's 403 HTML page until `unban()`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque

OAUTH_PROBLEM = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson"
OAUTH_TITLE = "Некорректный запрос"
OAUTH_DETAIL = "В запросе отсутствует ряд параметров или параметры невалидны"


class TokenAuthority:
    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_token: str | None,
        access_ttl: int,
        redirect_uri: str | None = None,
        clock=time.time,
    ):
        self._client_id, self._client_secret, self._redirect_uri = client_id, client_secret, redirect_uri
        self.access_ttl, self._clock = access_ttl, clock
        self._lock = threading.Lock()
        self._current_refresh = refresh_token
        self._used_refresh: set[str] = set()
        self._access: dict[str, float] = {}  # token → expires at (unix seconds)
        if access_token:
            self._access[access_token] = clock() + access_ttl

    @property
    def current_refresh_token(self) -> str:
        with self._lock:
            return self._current_refresh

    def is_valid(self, authorization: str | None) -> bool:
        if not authorization or authorization[:7].lower() != "bearer ":
            return False
        token = authorization[7:].strip()
        with self._lock:
            expires = self._access.get(token)
        return expires is not None and expires > self._clock()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access = dict.fromkeys(self._access, 0.0)

    def exchange(self, form: dict) -> tuple[int, dict]:
        """POST /oauth2/access_token → (status, JSON body)."""
        if form.get("grant_type") != "refresh_token":
            return 400, _oauth_problem(400, "Unsupported grant type")
        client_ok = _same(form.get("client_id"), self._client_id)
        if not (client_ok and _same(form.get("client_secret"), self._client_secret)):
            return 401, _oauth_problem(401, "Client authentication failed")
        if self._redirect_uri is not None and form.get("redirect_uri") != self._redirect_uri:
            return 400, _oauth_problem(400, "Invalid redirect uri")
        with self._lock:
            token = str(form.get("refresh_token") or "")
            if token in self._used_refresh:
                return 401, _oauth_problem(401, "Token has been revoked")
            if not _same(token, self._current_refresh):
                return 401, _oauth_problem(401, "Cannot decrypt the refresh token")
            # Single use: the old refresh token dies the moment the new pair is issued.
            self._used_refresh.add(token)
            self._current_refresh = "def50200" + secrets.token_hex(24)
            access = secrets.token_urlsafe(32)
            self._access[access] = self._clock() + self.access_ttl
            return 200, {
                "token_type": "Bearer",
                "expires_in": self.access_ttl,
                "access_token": access,
                "refresh_token": self._current_refresh,
            }


class RateGate:
    def __init__(self, rate_limit: int | None, ban_after: int, clock=time.monotonic):
        self.rate_limit, self.ban_after, self._clock = rate_limit, ban_after, clock
        self._lock = threading.Lock()
        self._accepted: deque[float] = deque()
        self._rejected: deque[float] = deque()
        self.banned = False

    def admit(self) -> str:
        """ "ok", "429" or "banned" for a request arriving now."""
        with self._lock:
            if self.banned:
                return "banned"
            if self.rate_limit is None:
                return "ok"
            now = self._clock()
            _drop_older(self._accepted, now - 1.0)
            if len(self._accepted) < self.rate_limit:
                self._accepted.append(now)  # only served requests count (nginx limit_req)
                return "ok"
            _drop_older(self._rejected, now - 60.0)
            self._rejected.append(now)
            if len(self._rejected) > self.ban_after:
                self.banned = True
            return "429"

    def unban(self) -> None:
        with self._lock:
            self.banned = False
            self._rejected.clear()
            self._accepted.clear()


def _drop_older(times: deque[float], horizon: float) -> None:
    while times and times[0] <= horizon:
        times.popleft()


def _same(given, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def _oauth_problem(status: int, hint: str) -> dict:
    body = {"hint": hint, "title": OAUTH_TITLE, "type": OAUTH_PROBLEM}
    return {**body, "status": status, "detail": OAUTH_DETAIL}
