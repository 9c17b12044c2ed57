"""The loopback HTTP plumbing the JSON-API simulators share (WooCommerce, Metrica): a threaded server on a
daemon thread, per-request recording, switchable faults from sandbox/faults.py and a clean stop.

A subclass implements `_resource(path)` (the name faults match and requests record), `_authorized(...)`,
`_denied(...)`, `_fault_body(kind)` and `_route(...)`; everything else — faults included — happens here,
in the same order as the 1C simulator: authentication first, then the fault, then the answer.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.faults import Fault, Faults
from sandbox.loopback import ServedSimulator, ServerRunner

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: dict[str, str] | None = None


@dataclass
class Request:
    path: str  # decoded path, no query
    query: dict[str, str]  # last value per name (what `requests` records)
    pairs: list[tuple[str, str]]  # every name=value as sent, for repeated names like status[]
    headers: Any  # the handler's email.message headers


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None, ascii_only=False) -> Reply:
    """Compact JSON; `ascii_only` escapes non-ASCII as \\uXXXX, as PHP's json_encode (WordPress) does."""
    text = json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":"))
    return Reply(status, text.encode(), JSON_TYPE, headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as nginx in front of a real API
    disable_nagle_algorithm = True
    timeout = 120

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        try:
            self.server.sim._serve(self)
        except OSError:  # the client went away (e.g. after its own read timeout)
            self.close_connection = True

    def version_string(self) -> str:
        return self.server.sim.server_header

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # quiet: request lines carry customer data


class LoopbackSimulator(ServedSimulator):
    """Lifecycle, faults and request log; subclasses supply the API."""

    label = "simulator"
    server_header = "nginx"

    def __init__(self, store: dict, host: str = "127.0.0.1", port: int = 0):
        self.store = store
        self.store_lock = threading.Lock()
        self.faults = Faults()
        self.requests: list[tuple[str, dict[str, str], int]] = []
        self.base_url: str | None = None
        self._address = (host, port)
        self._requests_lock = threading.Lock()
        self._runner = ServerRunner(self._address, _Handler, self, self.label)

    def __repr__(self) -> str:  # never show credentials
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # (start, stop and `with` come from sandbox.loopback.ServedSimulator)

    # ----------------------------------------------------------------------------- subclass hooks
    def _resource(self, path: str) -> str:
        raise NotImplementedError

    def _authorized(self, request: Request) -> bool:
        raise NotImplementedError

    def _denied(self, request: Request) -> Reply:
        raise NotImplementedError

    def _fault_body(self, kind: str) -> tuple[str, bytes]:
        raise NotImplementedError

    def _route(self, request: Request) -> Reply:
        """Called under `store_lock`."""
        raise NotImplementedError

    # ----------------------------------------------------------------------------- serving
    def _serve(self, handler: _Handler) -> None:
        request = _parse(handler)
        resource = self._resource(request.path)
        if not self._authorized(request):
            return self._send(handler, resource, request, self._denied(request))
        fault = self.faults.match(resource)
        if fault is not None and fault.kind in ("429", "503"):
            return self._send(handler, resource, request, self._rate_limited(fault))
        if fault is not None and fault.kind == "timeout":
            self.faults.sleep(fault.delay)
        elif fault is not None and fault.kind == "hold":
            self.faults.hold(fault)
        with self.store_lock:
            reply = self._route(request)
        cut = fault is not None and fault.kind == "cut"
        self._send(handler, resource, request, reply, cut=cut)

    def _rate_limited(self, fault: Fault) -> Reply:
        content_type, body = self._fault_body(fault.kind)
        return Reply(int(fault.kind), body, content_type, {"Retry-After": str(fault.retry_after)})

    def _send(self, handler: _Handler, resource: str, request: Request, reply: Reply, cut=False) -> None:
        # Record before writing, so a test that has just read the response sees its request.
        with self._requests_lock:
            self.requests.append((resource, request.query, reply.status))
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in (reply.headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if cut:  # the full Content-Length was promised; deliver half and hang up
            handler.wfile.write(reply.body[: len(reply.body) // 2])
            handler.close_connection = True
        else:
            handler.wfile.write(reply.body)


def _parse(handler: _Handler) -> Request:
    # http.server decodes the request line as latin-1; re-decode so raw UTF-8 survives.
    raw = handler.path.encode("latin-1", "replace").decode("utf-8", "replace")
    parts = urlsplit(raw)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return Request(unquote(parts.path), dict(pairs), pairs, handler.headers)
