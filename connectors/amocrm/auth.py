"""amoCRM credentials for one source: a long-lived token, or OAuth access tokens renewed with a
single-use refresh token that is saved before the new access token is used (docs/sources/amocrm.md).

Also the amoCRM reading of error answers: a 403 with nginx's HTML page is an IP ban for exceeding the
rate limit, not bad credentials; an OAuth 401 "Token has been revoked" means the refresh token was
already used. Every message names what to do and never carries a token or secret.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from connectors.errors import MASK, AuthError, BadResponse, IpBanned, SourceError, server_error_text
from connectors.http import HttpClient
from connectors.oauth_tokens import TokenFileError, TokenStore

SOURCE_NAME = "amoCRM"
# Refresh a stored access token this long before amoCRM would reject it, rather than fail mid-run.
EXPIRY_MARGIN_S = 300

HINT_FIRST_RUN = (
    "no amoCRM refresh token: set SALESPIPE_AMOCRM_REFRESH_TOKEN for the first run "
    "(or SALESPIPE_AMOCRM_TOKEN for a long-lived token)"
)
HINT_CLIENT = "check SALESPIPE_AMOCRM_CLIENT_ID / SALESPIPE_AMOCRM_CLIENT_SECRET"
HINT_REVOKED = (
    "the refresh token was already used or revoked — re-authorize the integration in amoCRM, set the new "
    "SALESPIPE_AMOCRM_REFRESH_TOKEN and delete the saved token file"
)
HINT_LONG_LIVED = (
    "amoCRM rejected the long-lived token (expired or revoked?) — issue a new SALESPIPE_AMOCRM_TOKEN"
)
HINT_ACCESS = "amoCRM rejected a freshly issued access token — check the integration is still installed"
HINT_RIGHTS = "the amoCRM user behind the token may not read this — check its rights in amoCRM"
BAN_MESSAGE = (
    "amoCRM has banned this IP for exceeding its rate limit (7 requests/s); this is not a credentials "
    "problem — wait for the ban to lift and keep other clients on this IP from calling amoCRM meanwhile"
)


class BearerAuth(requests.auth.AuthBase):
    """`Authorization: Bearer <token>`; the token changes when it is refreshed."""

    def __init__(self) -> None:
        self.token: str | None = None

    def __call__(self, request):
        if self.token:
            request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def secret_values(self) -> tuple[str, ...]:
        return (self.token,) if self.token else ()

    def __repr__(self) -> str:
        return f"BearerAuth(token={MASK!r})"


def error_classifier(long_lived: bool):
    """HttpClient.classify_error for amoCRM (see the module docstring)."""

    def classify(response: requests.Response, phrase: str) -> tuple[type[SourceError], str] | None:
        status, content_type = response.status_code, response.headers.get("Content-Type", "")
        if status == 403 and "html" in content_type:
            return IpBanned, f"{phrase} — {BAN_MESSAGE}"
        if "/oauth2/" in (response.url or "") and status in (400, 401, 403):
            hint = _json_field(response, "hint")
            if hint == "Token has been revoked":
                return AuthError, f"{phrase} — token refresh refused: {HINT_REVOKED}"
            return (
                AuthError,
                f"{phrase} — token refresh refused ({hint or server_error_text(response)}): {HINT_CLIENT}",
            )
        if status == 401:
            return AuthError, f"{phrase} — {HINT_LONG_LIVED if long_lived else HINT_ACCESS}"
        if status == 403:
            return AuthError, f"{phrase} — {HINT_RIGHTS}"
        if status == 402:
            return BadResponse, f"{phrase} — the amoCRM account is not paid; nothing can be read until it is"
        return None

    return classify


class AmoTokens:
    """Which token the next request sends, and the refresh amoCRM allows once the access token expires."""

    def __init__(
        self,
        http: HttpClient,
        oauth_url: str,
        *,
        token_store: TokenStore | None,
        client_id: str | None,
        client_secret: str | None,
        redirect_uri: str | None,
        long_lived_token: str | None,
        clock=time.time,
    ):
        if long_lived_token is None and not (token_store is not None and client_id and client_secret):
            raise ValueError("amoCRM needs long_lived_token, or client_id + client_secret + token_store")
        self.http, self.oauth_url, self._clock = http, oauth_url, clock
        self._store, self._long_lived = token_store, long_lived_token
        self._client = {"client_id": client_id, "client_secret": client_secret}
        self._redirect_uri = redirect_uri
        self.bearer = BearerAuth()
        http.session.auth = self.bearer
        http.add_secret(client_secret, long_lived_token)

    @property
    def can_refresh(self) -> bool:
        return self._long_lived is None

    def ensure(self, stream: str) -> None:
        """Have a token to send: the long-lived one, a saved unexpired access token, or a fresh one."""
        if self.bearer.token:
            return
        if self._long_lived is not None:
            self.bearer.token = self._long_lived
            return
        self.refresh(stream)

    def refresh(self, stream: str) -> None:
        """Get a working access token: the one another run saved meanwhile, else a refreshed pair.

        Under the store's lock, so two runs never spend the same single-use refresh token; the token this
        client was sending (if any) was rejected or expired and is not taken back.
        """
        rejected = self.bearer.token
        with self._store.exclusive():
            tokens = self._load(stream)
            saved = _unexpired_access(tokens, self._clock() + EXPIRY_MARGIN_S)
            if saved is not None and saved != rejected:
                self.bearer.token = saved
                return
            self._refresh_with(tokens, stream)

    def _refresh_with(self, tokens: dict[str, Any], stream: str) -> None:
        body = {**self._client, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        if self._redirect_uri:
            body["redirect_uri"] = self._redirect_uri
        payload, _ = self.http.post_json(self.oauth_url, body, stream=stream)
        fresh = self._issued(payload, stream)
        # amoCRM revoked the old refresh token when it answered: the new pair goes to disk before
        # anything else, so a crash from here on still finds a working refresh token.
        try:
            self._store.save(fresh)
        except OSError as err:
            message = f"could not save the new tokens ({type(err).__name__}: {err.strerror}); {HINT_REVOKED}"
            raise AuthError(SOURCE_NAME, stream, self.oauth_url, message, method="POST") from None
        self.bearer.token = fresh["access_token"]

    def _load(self, stream: str) -> dict[str, Any]:
        try:
            tokens = self._store.load()
        except TokenFileError as err:
            raise AuthError(SOURCE_NAME, stream, self.oauth_url, str(err), method="POST") from None
        if not tokens or not tokens.get("refresh_token"):
            raise AuthError(SOURCE_NAME, stream, self.oauth_url, HINT_FIRST_RUN, method="POST")
        self.http.add_secret(tokens.get("refresh_token"), tokens.get("access_token"))
        return tokens

    def _issued(self, payload: Any, stream: str) -> dict[str, Any]:
        fields = ("access_token", "refresh_token")
        if not isinstance(payload, dict) or not all(isinstance(payload.get(f), str) for f in fields):
            message = "the token answer lacks access_token / refresh_token"  # never quote the body
            raise BadResponse(SOURCE_NAME, stream, self.oauth_url, message, 200, method="POST")
        self.http.add_secret(payload["access_token"], payload["refresh_token"])
        expires_in = payload.get("expires_in")
        return {
            "token_type": payload.get("token_type", "Bearer"),
            "access_token": payload["access_token"],
            "refresh_token": payload["refresh_token"],
            "expires_at": int(self._clock()) + (expires_in if isinstance(expires_in, int) else 0),
        }


def _unexpired_access(tokens: dict[str, Any], valid_after: float) -> str | None:
    access, expires_at = tokens.get("access_token"), tokens.get("expires_at")
    if (
        isinstance(access, str)
        and access
        and isinstance(expires_at, int | float)
        and expires_at > valid_after
    ):
        return access
    return None


def _json_field(response: requests.Response, name: str) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, str) else None
