"""A loopback simulator of amoCRM API v4 (docs/CONTRACTS_CRM.md §3, /work/shared/SOURCES.md §2).

    sim = AmoCrmSimulator(store, client_id="id", client_secret="secret", refresh_token="r0")
    base_url = sim.start()     # http://127.0.0.1:<port>/  — API under api/v4/, OAuth at oauth2/access_token
    ...
    sim.stop()

`store` holds the records exactly as the API returns them (keys: account, users, pipelines, loss_reasons,
leads, contacts, events, lead_notes, contact_notes, tasks). It is read live under `store_lock` on every
request, so a test may change it between or during connector runs (`move_record`, `on_request`).
Faults (sandbox/faults.py) match the path under api/v4/ ("leads", "leads/notes", …) or
"oauth2/access_token"; `requests` lists (path, query, status) of every request answered.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox import amocrm_api as api
from sandbox.amocrm_auth import RateGate, TokenAuthority
from sandbox.amocrm_http import Handler
from sandbox.faults import Faults
from sandbox.loopback import ServedSimulator, ServerRunner

API_PREFIX = "/api/v4/"
OAUTH_PATH = "oauth2/access_token"
_SINGLE = re.compile(r"^(?P<path>leads|contacts|tasks)/(?P<id>\d+)$")


class AmoCrmSimulator(ServedSimulator):
    def __init__(
        self,
        store: dict,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_token: str | None = None,
        access_ttl: int = 86400,
        rate_limit: int | None = 7,
        ban_after: int = 20,
        redirect_uri: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.store = store
        self.store_lock = threading.Lock()
        self.faults = Faults()
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.base_url: str | None = None
        self.tokens = TokenAuthority(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
            access_token=access_token,
            access_ttl=access_ttl,
            redirect_uri=redirect_uri,
        )
        self.gate = RateGate(rate_limit, ban_after)
        self._address = (host, port)
        self._requests_lock = threading.Lock()
        self._hooks: list[list] = []  # [path | None, nth, callback, seen]
        self._runner = ServerRunner(self._address, Handler, self, "amoCRM simulator")

    def __repr__(self) -> str:  # never show a secret or token
        return f"AmoCrmSimulator(base_url={self.base_url!r})"

    # (start, stop and `with` come from sandbox.loopback.ServedSimulator)

    # ----------------------------------------------------------------------------- test controls
    @property
    def current_refresh_token(self) -> str:
        return self.tokens.current_refresh_token

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on (as after `expires_in`)."""
        self.tokens.expire_access_tokens()

    def unban(self) -> None:
        self.gate.unban()

    def move_record(self, kind: str, record_id, at: int | None = None) -> int:
        """Someone edits the record now: its `updated_at` becomes `at` (default: the current second)."""
        with self.store_lock:
            record = next((r for r in self.store[kind] if r.get("id") == record_id), None)
            if record is None:
                raise KeyError(f"{kind} has no record with id {record_id!r}")
            record["updated_at"] = int(time.time()) if at is None else at
            return record["updated_at"]

    def on_request(self, nth: int, callback: Callable[[], None], path: str | None = None) -> None:
        """Run `callback` once, after the nth successful request (to `path`, or any) is computed and
        before it is sent — so the client's next request already sees the change."""
        self._hooks.append([path, nth, callback, 0])

    # ----------------------------------------------------------------------------- serving
    def _serve(self, handler: Handler, method: str) -> None:
        path, pairs = _parse_target(handler.path)
        form = _read_form(handler) if method == "POST" else {}
        verdict = self.gate.admit()
        if verdict == "banned":
            reply = _Reply(403, api.HTML_TYPE, api.BAN_HTML)
        elif verdict == "429":
            reply = _Reply.of(api.ApiError(429, "Too many requests"))
        else:
            reply = self._answer(handler, method, path, pairs, form)
        if reply.status == 200:
            self._fire_hooks(path)
        self._send(handler, path, pairs, reply)

    def _answer(self, handler: Handler, method: str, path: str, pairs, form: dict) -> _Reply:
        if method != ("POST" if path == OAUTH_PATH else "GET"):
            return _Reply.of(api.ApiError(405, f"{method} is not allowed here"))
        if path != OAUTH_PATH and not self.tokens.is_valid(handler.headers.get("Authorization")):
            return _Reply.of(api.ApiError(401, "Unauthorized"))
        fault = self.faults.match(path)
        if fault is not None and fault.kind in ("429", "503"):
            return _Reply.of(api.ApiError(int(fault.kind), "Simulated fault"), fault.retry_after)
        if fault is not None and fault.kind == "timeout":
            self.faults.sleep(fault.delay)
        elif fault is not None and fault.kind == "hold":
            self.faults.hold(fault)
        reply = self._exchange(form) if path == OAUTH_PATH else self._read(path, pairs)
        reply.cut = fault is not None and fault.kind == "cut"
        return reply

    def _exchange(self, form: dict) -> _Reply:
        status, payload = self.tokens.exchange(form)
        return _Reply(status, api.JSON_TYPE if status == 200 else api.PROBLEM_TYPE, api.dumps(payload))

    def _read(self, path: str, pairs: list[tuple[str, str]]) -> _Reply:
        try:
            with self.store_lock:
                return self._route(path, pairs)
        except api.ApiError as err:
            return _Reply.of(err)

    def _route(self, path: str, pairs: list[tuple[str, str]]) -> _Reply:
        api_url = self.base_url + API_PREFIX.lstrip("/")
        if path == "account":
            return _Reply(200, api.HAL_TYPE, api.dumps(self.store["account"]))
        if path == "leads/pipelines":
            return _Reply(200, api.HAL_TYPE, api.hal_pipelines(api_url, self.store["pipelines"]))
        endpoint = api.ENDPOINTS.get(path)
        if endpoint is not None:
            query = api.parse_list_query(pairs, endpoint)
            records, has_next = api.select(self.store[endpoint.store_key], query, endpoint)
            if not records:
                return _Reply(204)  # amoCRM's "nothing found": no body at all
            return _Reply(200, api.HAL_TYPE, api.hal_list(api_url, endpoint, pairs, query, records, has_next))
        if match := _SINGLE.match(path):
            kind, record_id = match.group("path"), int(match.group("id"))
            found = [r for r in self.store[kind] if r.get("id") == record_id and not r.get("is_deleted")]
            if not found:
                return _Reply(204)  # a missing id is a 204 too, not a 404
            with_ = frozenset(dict(pairs).get("with", "").split(","))
            return _Reply(200, api.HAL_TYPE, api.dumps(api.shape(found[0], with_, kind)))
        raise api.ApiError(404, f"Unknown path {path}")

    def _fire_hooks(self, path: str) -> None:
        due = []
        with self._requests_lock:
            for hook in self._hooks:
                if hook[0] is None or hook[0] == path:
                    hook[3] += 1
                    if hook[3] == hook[1]:
                        due.append(hook[2])
        for callback in due:
            callback()

    def _send(self, handler: Handler, path: str, pairs, reply: _Reply) -> None:
        # Record before writing, so a test that has just read the response sees its request.
        query: dict[str, str] = {}
        for name, value in pairs:
            query[name] = f"{query[name]},{value}" if name in query else value
        with self._requests_lock:
            self.requests.append((path, query, reply.status))
        handler.send_response(reply.status)
        if reply.status == 204:
            handler.end_headers()
            return
        handler.send_header("Content-Type", f"{reply.content_type}; charset=utf-8")
        handler.send_header("Content-Length", str(len(reply.body)))
        if reply.retry_after is not None:
            handler.send_header("Retry-After", str(reply.retry_after))
        handler.end_headers()
        if reply.cut:  # the full Content-Length was promised; deliver half and hang up
            handler.wfile.write(reply.body[: len(reply.body) // 2])
            handler.close_connection = True
        else:
            handler.wfile.write(reply.body)


@dataclass
class _Reply:
    status: int
    content_type: str | None = None
    body: bytes = b""
    retry_after: int | None = None
    cut: bool = False

    @classmethod
    def of(cls, err: api.ApiError, retry_after: int | None = None) -> _Reply:
        return cls(err.status, api.PROBLEM_TYPE, err.body(), retry_after)


def _parse_target(raw: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(raw)
    path = unquote(parts.path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if path.startswith(API_PREFIX):
        return path[len(API_PREFIX) :].strip("/"), pairs
    return path.strip("/"), pairs


def _read_form(handler: Handler) -> dict:
    """The OAuth request body: JSON or form-encoded, as amoCRM accepts both."""
    length = int(handler.headers.get("Content-Length") or 0)
    raw = handler.rfile.read(length) if length else b""
    if "json" in (handler.headers.get("Content-Type") or ""):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return dict(parse_qsl(raw.decode("utf-8", "replace")))
