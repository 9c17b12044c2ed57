"""The loopback server every sandbox simulator runs on, and the one shape of their request handling.

A threaded HTTP server on a daemon thread that really stops (it also drops keep-alive connections, so a
stopped simulator stops answering at once). One `Handler` turns every HTTP request into a `Request`;
the simulator (a `ServedSimulator`) answers it in the same steps for every system:

    locate(request)            the resource name that faults match and the request log records
    refuse(request)            an answer before any fault: outside the API, unauthorized, banned … or None
    the fault, if one fires    429/503 → fault_reply(request, fault); "timeout" sleeps; "hold" waits;
                               "cp1251" re-encodes the body as cp1251 under the same UTF-8 header
    route(request)             the answer, under `store_lock`; a "cut" fault delivers half of its body
    answered(request, reply)   after the answer is known and before it is sent (amoCRM's test hooks)

Every request is recorded in `requests` as (resource, query, status) before its answer is written, so a
test that has just read a response sees its request. A method the simulator does not serve gets
http.server's own 501.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.systems.faults import Fault, Faults

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=UTF-8"


@dataclass
class Request:
    method: str
    path: str  # decoded path, no query
    query: dict[str, str]  # last value per name (what `requests` records)
    pairs: list[tuple[str, str]]  # every name=value as sent, for repeated names like status[]
    headers: Any  # the handler's email.message headers
    body: bytes = b""  # read for POST only
    resource: str | None = None  # what `locate` said: the name faults match and the log records
    target: Any = None  # what the simulator made of the path in `locate`, for its later steps


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] | None = None  # sent after Content-Type and Content-Length, in this order
    cut: bool = False  # deliver half the promised body, then hang up


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None, ascii_only=False) -> Reply:
    """Compact JSON; `ascii_only` escapes non-ASCII as \\uXXXX, as PHP's json_encode (WordPress) does."""
    text = json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":"))
    return Reply(status, text.encode(), JSON_TYPE, headers)


class Handler(BaseHTTPRequestHandler):
    """The one request handler of every simulator: the simulator on `self.server.sim` answers."""

    protocol_version = "HTTP/1.1"  # keep-alive, as a real API behind nginx or Apache
    disable_nagle_algorithm = True  # header and body go as two writes; don't let Nagle stall them
    timeout = 120  # idle keep-alive connections are dropped eventually

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def version_string(self) -> str:
        return self.server.sim.server_header

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # quiet: request lines carry customer data

    def _handle(self) -> None:
        sim = self.server.sim
        if self.command not in sim.methods:  # what http.server answers a method it has no do_ for
            self.send_error(HTTPStatus.NOT_IMPLEMENTED, f"Unsupported method ({self.command!r})")
            return
        try:
            self._write(sim.serve(self._request()))
        except OSError:  # the client went away (e.g. after its own read timeout)
            self.close_connection = True

    def _request(self) -> Request:
        # http.server decodes the request line as latin-1; re-decode so raw UTF-8 survives.
        raw = self.path.encode("latin-1", "replace").decode("utf-8", "replace")
        parts = urlsplit(raw)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0) if self.command == "POST" else 0
        body = self.rfile.read(length) if length else b""
        return Request(self.command, unquote(parts.path), dict(pairs), pairs, self.headers, body)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        if reply.status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
        for name, value in (reply.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if reply.status == HTTPStatus.NO_CONTENT:
            return
        if reply.cut:  # the full Content-Length was promised; deliver half and hang up
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(reply.body)


class TrackingServer(ThreadingHTTPServer):
    """Knows its open connections; handlers reach the simulator as `self.server.sim`."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sim, label: str):
        self.sim, self.label = sim, label
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        log.exception("%s: unexpected error while serving %s", self.label, client_address)


class ServerRunner:
    """Starts and stops one TrackingServer on a daemon thread."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], sim, label: str):
        self._args = (address, handler, sim, label)
        self._server: TrackingServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> tuple[str, int]:
        """Serves; returns the (host, port) it listens on (port 0 in the address = any free port)."""
        self._server = TrackingServer(*self._args)
        host, port = self._server.server_address[:2]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self._args[3]}-{port}",
            daemon=True,
        )
        self._thread.start()
        return host, port

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None


class ServedSimulator:
    """A simulator on loopback: its store (read live under `store_lock`), switchable `faults`
    (sandbox/systems/faults.py), the request log, start/stop/`with`, and the steps of the module docstring.
    A subclass implements `locate`, `refuse`, `fault_reply` and `route`; its base URL is the server root
    unless `_url_at` says otherwise."""

    label = "simulator"  # names the server thread and its log lines
    server_header = "nginx"  # the Server header
    methods: tuple[str, ...] = ("GET",)

    def __init__(self, store: dict, host: str = "127.0.0.1", port: int = 0):
        self.store = store
        self.store_lock = threading.Lock()
        self.faults = Faults()
        self.requests: list[tuple[str | None, dict[str, str], int]] = []
        self.base_url: str | None = None
        self._requests_lock = threading.Lock()
        self._runner = ServerRunner((host, port), Handler, self, self.label)

    def __repr__(self) -> str:  # never show credentials
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    # ----------------------------------------------------------------------------- lifecycle
    def _url_at(self, host: str, port: int) -> str:
        return f"http://{host}:{port}/"

    def start(self) -> str:
        """Serves on a daemon thread (again, after a stop); returns the base URL."""
        if self._runner.running:
            return self.base_url
        self.faults.restart()
        self.base_url = self._url_at(*self._runner.start())
        return self.base_url

    def stop(self) -> None:
        if not self._runner.running:
            return
        self.faults.shutdown()  # wakes held and sleeping requests first
        self._runner.stop()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # ----------------------------------------------------------------------------- the steps
    def locate(self, request: Request) -> str | None:
        raise NotImplementedError

    def refuse(self, request: Request) -> Reply | None:
        raise NotImplementedError

    def fault_reply(self, request: Request, fault: Fault) -> Reply:
        """The answer to a 429 or 503 fault (with its Retry-After)."""
        raise NotImplementedError

    def route(self, request: Request) -> Reply:
        """Called under `store_lock`."""
        raise NotImplementedError

    def answered(self, request: Request, reply: Reply) -> None:
        """After the answer is known, before it is recorded and sent."""

    def logged_query(self, request: Request) -> dict[str, str]:
        """The query as `requests` records it."""
        return request.query

    def serve(self, request: Request) -> Reply:
        request.resource = self.locate(request)
        reply = self.refuse(request)
        if reply is None:
            reply = self._answer(request)
        self.answered(request, reply)
        with self._requests_lock:
            self.requests.append((request.resource, self.logged_query(request), reply.status))
        return reply

    def _answer(self, request: Request) -> Reply:
        fault = self.faults.match(request.resource)
        if fault is not None and fault.kind in ("429", "503"):
            return self.fault_reply(request, fault)
        if fault is not None and fault.kind == "timeout":
            self.faults.sleep(fault.delay)
        elif fault is not None and fault.kind == "hold":
            self.faults.hold(fault)
        with self.store_lock:
            reply = self.route(request)
        reply.cut = fault is not None and fault.kind == "cut"
        if fault is not None and fault.kind == "cp1251":  # a misconfigured proxy or an old 1C web server
            reply.body = reply.body.decode("utf-8").encode("cp1251", "replace")
        return reply
