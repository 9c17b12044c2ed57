"""A loopback simulator of amoCRM API v4 (docs/sources/amocrm.md).

    sim = AmoCrmSimulator(store, client_id="id", client_secret="secret", refresh_token="r0")
    base_url = sim.start()     # http://127.0.0.1:<port>/  — API under api/v4/, OAuth at oauth2/access_token
    ...
    sim.stop()

`store` holds the records exactly as the API returns them (keys: account, users, pipelines, loss_reasons,
leads, contacts, events, lead_notes, contact_notes, tasks). It is read live under `store_lock` on every
request, so a test may change it between or during connector runs (`move_record`, `on_request`).
Faults (sandbox/systems/faults.py) match the path under api/v4/ ("leads", "leads/notes", …) or
"oauth2/access_token"; `requests` lists (path, query, status) of every request answered.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qsl

from sandbox.systems.amocrm import api
from sandbox.systems.amocrm.auth import RateGate, TokenAuthority
from sandbox.systems.faults import Fault
from sandbox.systems.loopback import Reply, Request, ServedSimulator

API_PREFIX = "/api/v4/"
OAUTH_PATH = "oauth2/access_token"
_SINGLE = re.compile(r"^(?P<path>leads|contacts|tasks)/(?P<id>\d+)$")


class AmoCrmSimulator(ServedSimulator):
    label = "amoCRM simulator"
    methods = ("GET", "POST")  # POST: the OAuth token exchange

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
        super().__init__(store, host, port)
        self.tokens = TokenAuthority(
            client_id=client_id,
            client_secret=client_secret,
            refresh_token=refresh_token,
            access_token=access_token,
            access_ttl=access_ttl,
            redirect_uri=redirect_uri,
        )
        self.gate = RateGate(rate_limit, ban_after)
        self._hooks: list[list] = []  # [path | None, nth, callback, seen]

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

    # ----------------------------------------------------------------------------- the steps
    def locate(self, request: Request) -> str:
        path = request.path
        return path[len(API_PREFIX) :].strip("/") if path.startswith(API_PREFIX) else path.strip("/")

    def refuse(self, request: Request) -> Reply | None:
        verdict = self.gate.admit()
        if verdict == "banned":
            return _reply(403, api.HTML_TYPE, api.BAN_HTML)
        if verdict == "429":
            return _error(api.ApiError(429, "Too many requests"))
        path = request.resource
        if request.method != ("POST" if path == OAUTH_PATH else "GET"):
            return _error(api.ApiError(405, f"{request.method} is not allowed here"))
        if path != OAUTH_PATH and not self.tokens.is_valid(request.headers.get("Authorization")):
            return _error(api.ApiError(401, "Unauthorized"))
        return None

    def fault_reply(self, request: Request, fault: Fault) -> Reply:
        return _error(api.ApiError(int(fault.kind), "Simulated fault"), fault.retry_after)

    def route(self, request: Request) -> Reply:
        if request.resource == OAUTH_PATH:
            status, payload = self.tokens.exchange(_form(request))
            return _reply(status, api.JSON_TYPE if status == 200 else api.PROBLEM_TYPE, api.dumps(payload))
        try:
            return self._read(request.resource, request.pairs)
        except api.ApiError as err:
            return _error(err)

    def answered(self, request: Request, reply: Reply) -> None:
        if reply.status == 200:
            self._fire_hooks(request.resource)

    def logged_query(self, request: Request) -> dict[str, str]:
        """Repeated names joined with commas (filter[id][]=1&filter[id][]=2 → "1,2")."""
        query: dict[str, str] = {}
        for name, value in request.pairs:
            query[name] = f"{query[name]},{value}" if name in query else value
        return query

    # ----------------------------------------------------------------------------- answers
    def _read(self, path: str, pairs: list[tuple[str, str]]) -> Reply:
        api_url = self.base_url + API_PREFIX.lstrip("/")
        if path == "account":
            return _reply(200, api.HAL_TYPE, api.dumps(self.store["account"]))
        if path == "leads/pipelines":
            return _reply(200, api.HAL_TYPE, api.hal_pipelines(api_url, self.store["pipelines"]))
        endpoint = api.ENDPOINTS.get(path)
        if endpoint is not None:
            query = api.parse_list_query(pairs, endpoint)
            records, has_next = api.select(self.store[endpoint.store_key], query, endpoint)
            if not records:
                return Reply(204)  # amoCRM's "nothing found": no body at all
            return _reply(200, api.HAL_TYPE, api.hal_list(api_url, endpoint, pairs, query, records, has_next))
        if match := _SINGLE.match(path):
            kind, record_id = match.group("path"), int(match.group("id"))
            found = [r for r in self.store[kind] if r.get("id") == record_id and not r.get("is_deleted")]
            if not found:
                return Reply(204)  # a missing id is a 204 too, not a 404
            with_ = frozenset(dict(pairs).get("with", "").split(","))
            return _reply(200, api.HAL_TYPE, api.dumps(api.shape(found[0], with_, kind)))
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


def _reply(status: int, content_type: str, body: bytes, retry_after: int | None = None) -> Reply:
    headers = None if retry_after is None else {"Retry-After": str(retry_after)}
    return Reply(status, body, f"{content_type}; charset=utf-8", headers)


def _error(err: api.ApiError, retry_after: int | None = None) -> Reply:
    return _reply(err.status, api.PROBLEM_TYPE, err.body(), retry_after)


def _form(request: Request) -> dict:
    """The OAuth request body: JSON or form-encoded, as amoCRM accepts both."""
    if "json" in (request.headers.get("Content-Type") or ""):
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}
    return dict(parse_qsl(request.body.decode("utf-8", "replace")))
