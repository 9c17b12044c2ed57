"""The request handler of the amoCRM simulator: keep-alive, behind "nginx", GET and POST; the server
it runs on is sandbox/loopback.py. The simulator object answers every request."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "nginx"
    timeout = 120

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def _serve(self, method: str) -> None:
        try:
            self.server.sim._serve(self, method)
        except OSError:  # client went away (e.g. after its own read timeout)
            self.close_connection = True

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # quiet: request lines carry customer data
