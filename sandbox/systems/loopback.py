"""The loopback server every sandbox simulator runs on: a threaded HTTP server on a daemon thread that
really stops (it also drops keep-alive connections, so a stopped simulator stops answering at once).

Each simulator keeps its own request handler and API; this is only the plumbing they share.
"""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)


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
    """Start, stop and `with` for a simulator that owns `self._runner` (a ServerRunner) and `self.faults`
    (sandbox.faults.Faults). Its base URL is the server root unless `_url_at` says otherwise."""

    base_url: str | None
    _runner: ServerRunner
    faults: Any

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
