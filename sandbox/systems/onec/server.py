"""A loopback simulator of 1C:Enterprise's standard OData v3 interface (docs/CONTRACTS.md §2,
/work/shared/SOURCES.md §1).

    sim = OneCSimulator(store, username="odata", password="s3cret", publication="trade")
    base_url = sim.start()     # http://127.0.0.1:<port>/trade/odata/standard.odata/
    ...
    sim.stop()

`store` maps an entity set name to its records exactly as 1C sends them. It is read live, under
`store_lock`, on every request, so a test can change it between (or during) connector runs.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, unquote

from sandbox import odata_format as fmt
from sandbox.faults import Fault, Faults
from sandbox.loopback import ServedSimulator, ServerRunner
from sandbox.odata_query import NOT_FOUND, PARSE_ERROR, QueryError, execute, parse_query, unknown_name

_SEGMENT = re.compile(r"^(?P<set>[^/()]+)(?:\((?P<key>[^)]*)\))?(?:/(?P<tail>.+))?$")
_GUID_KEY = re.compile(r"^(?:Ref_Key=)?guid'(?P<guid>[0-9a-fA-F-]{36})'$")


@dataclass
class _Request:
    kind: str  # root | metadata | set | entity | count | outside
    set_name: str | None  # decoded entity set name (what faults match and requests record)
    params: dict[str, str]
    fmt: str  # json | nometadata | atom
    key: str | None = None  # GUID of a single-entity request
    tail: str | None = None  # a path segment after the set that we do not serve (navigation)


def _response_format(params: dict[str, str]) -> str:
    # 1C answers Atom unless $format asks for JSON; "$format=json is mandatory" for JSON clients.
    wanted = params.get("$format", "").strip().lower()
    if wanted == "json" or wanted.startswith("application/json"):
        return "nometadata" if "odata=nometadata" in wanted else "json"
    return "atom"


def _parse_request(raw_path: str, prefix: str) -> _Request:
    # http.server decodes the request line as latin-1; re-decode so a client that sends raw UTF-8
    # (not percent-encoded) still gets its Cyrillic names back.
    text = raw_path.encode("latin-1", "replace").decode("utf-8", "replace")
    path, _, query = text.partition("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    path, form = unquote(path), _response_format(params)
    if not (path + "/").startswith(prefix):
        return _Request("outside", None, params, form)
    rest = path[len(prefix) :].strip("/")
    if rest == "":
        return _Request("root", None, params, form)
    if rest == "$metadata":
        return _Request("metadata", "$metadata", params, form)
    match = _SEGMENT.match(rest)
    if match is None:
        return _Request("set", rest, params, form, tail=rest)
    name, key, tail = match.group("set", "key", "tail")
    if key is not None:
        return _Request("entity", name, params, form, key=key, tail=tail)
    if tail == "$count":
        return _Request("count", name, params, form)
    return _Request("set", name, params, form, tail=tail)


def _field_checker(records: list[dict]):
    # 1C knows the schema from metadata; we infer it from the records. The first record answers
    # almost every lookup; the full scan covers optional fields. An empty set accepts any name, so
    # a window query on a set that happens to be empty is not refused.
    first = records[0] if records else None

    def has_field(name: str) -> bool:
        return first is None or name in first or any(name in r for r in records)

    return has_field


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real publication behind Apache/IIS
    disable_nagle_algorithm = True  # header and body go as two writes; don't let Nagle stall them
    server_version = "Apache/2.4"
    timeout = 120  # idle keep-alive connections are dropped eventually

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        try:
            self.server.sim._serve(self)
        except OSError:  # client went away (e.g. after its own read timeout)
            self.close_connection = True

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass  # quiet: request lines may carry customer data


class OneCSimulator(ServedSimulator):
    def __init__(
        self,
        store: dict[str, list[dict]],
        username: str | None = "odata",
        password: str = "s3cret",
        publication: str = "trade",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.store = store
        self.store_lock = threading.Lock()
        self.faults = Faults()
        self.requests: list[tuple[str | None, dict[str, str], int]] = []
        self.publication = publication
        self.base_url: str | None = None
        self._username, self._password = username, password  # username None = no auth
        self._address = (host, port)
        self._prefix = f"/{publication}/odata/standard.odata/"
        self._requests_lock = threading.Lock()
        self._runner = ServerRunner(self._address, _Handler, self, "1C simulator")

    def __repr__(self) -> str:  # never show the password
        return f"OneCSimulator(base_url={self.base_url!r}, user={self._username!r})"

    # ----------------------------------------------------------------------------- lifecycle
    def _url_at(self, host: str, port: int) -> str:
        return f"http://{host}:{port}/{quote(self.publication)}/odata/standard.odata/"

    # ----------------------------------------------------------------------------- serving
    def _serve(self, handler: _Handler) -> None:
        request = _parse_request(handler.path, self._prefix)
        if request.kind == "outside":
            return self._send(handler, request, 404, fmt.TEXT_TYPE, b"Not Found")
        if not self._authorized(handler.headers.get("Authorization")):
            return self._send(
                handler,
                request,
                401,
                fmt.TEXT_TYPE,
                b"401 Unauthorized",
                {"WWW-Authenticate": 'Basic realm="1C"'},
            )
        fault = self.faults.match(request.set_name)
        if fault is not None and fault.kind in ("429", "503"):
            return self._send_rate_limited(handler, request, fault)
        if fault is not None and fault.kind == "timeout":
            self.faults.sleep(fault.delay)
        elif fault is not None and fault.kind == "hold":
            self.faults.hold(fault)
        status, content_type, body = self._respond(request)
        cut = fault is not None and fault.kind == "cut"
        self._send(handler, request, status, content_type, body, cut=cut)

    def _authorized(self, header: str | None) -> bool:
        if self._username is None:
            return True
        if not header or header[:6].lower() != "basic ":
            return False
        try:  # 1C expects UTF-8 credentials (a Cyrillic login in cp1251 gets 401)
            user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user_ok = hmac.compare_digest(user.encode(), self._username.encode())
        password_ok = hmac.compare_digest(password.encode(), self._password.encode())
        return bool(sep) and user_ok and password_ok

    def _send_rate_limited(self, handler: _Handler, request: _Request, fault: Fault) -> None:
        message = "Слишком много запросов" if fault.kind == "429" else "Сервис временно недоступен"
        content_type, body = fmt.error(fault.kind, message, request.fmt)
        retry_after = {"Retry-After": str(fault.retry_after)}
        self._send(handler, request, int(fault.kind), content_type, body, retry_after)

    def _respond(self, request: _Request) -> tuple[int, str, bytes]:
        try:
            with self.store_lock:
                return self._route(request)
        except QueryError as err:
            return (err.status, *fmt.error(err.code, err.message, request.fmt))

    def _route(self, request: _Request) -> tuple[int, str, bytes]:
        if request.kind == "root":
            return (200, *fmt.service_document(self.base_url, list(self.store), request.fmt))
        if request.kind == "metadata":
            return 200, fmt.XML_TYPE, fmt.metadata_xml(self.store)
        records = self.store.get(request.set_name)
        if records is None:
            raise unknown_name(request.set_name)
        if request.tail is not None:
            raise unknown_name(request.tail)
        query = parse_query(request.params, _field_checker(records))
        if request.kind == "entity":
            return self._entity(request, records, query)
        if request.kind == "count":
            page, _ = execute(query, records, ordered=False)
            return 200, fmt.TEXT_TYPE, str(len(page)).encode()
        return self._feed(request, records, query)

    def _feed(self, request: _Request, records: list[dict], query) -> tuple[int, str, bytes]:
        page, total = execute(query, records)
        count = total if query.inline_count else None
        name = request.set_name
        if request.fmt == "atom":
            pairs = [(r, fmt.project(r, query.select)) for r in page]
            return 200, fmt.ATOM_FEED_TYPE, fmt.atom_feed(self.base_url, name, pairs, count)
        plain = request.fmt == "json"
        shape = fmt.JsonShaper(name, links=plain)
        rows = [shape(r, fmt.project(r, query.select)) for r in page]
        metadata_url = f"{self.base_url}$metadata#{name}" if plain else None
        return 200, fmt.JSON_TYPE, fmt.json_feed(metadata_url, rows, count)

    def _entity(self, request: _Request, records: list[dict], query) -> tuple[int, str, bytes]:
        match = _GUID_KEY.match(request.key)
        if match is None:
            raise QueryError(PARSE_ERROR, f"Неверный ключ сущности: '{request.key}'")
        guid = match.group("guid").lower()
        record = next((r for r in records if str(r.get("Ref_Key", "")).lower() == guid), None)
        if record is None:
            raise QueryError(NOT_FOUND, "Экземпляр сущности не найден", status=404)
        shown, name = fmt.project(record, query.select), request.set_name
        if request.fmt == "atom":
            return 200, fmt.ATOM_ENTRY_TYPE, fmt.atom_entry(self.base_url, name, record, shown)
        plain = request.fmt == "json"
        metadata_url = f"{self.base_url}$metadata#{name}/@Element" if plain else None
        return 200, fmt.JSON_TYPE, fmt.json_entry(metadata_url, fmt.JsonShaper(name, plain)(record, shown))

    def _send(
        self,
        handler: _Handler,
        request: _Request,
        status: int,
        content_type: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        cut: bool = False,
    ) -> None:
        # Record before writing, so a test that has just read the response sees its request.
        with self._requests_lock:
            self.requests.append((request.set_name, request.params, status))
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("DataServiceVersion", "3.0")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        if cut:  # the full Content-Length was promised; deliver half and hang up
            handler.wfile.write(body[: len(body) // 2])
            handler.close_connection = True
        else:
            handler.wfile.write(body)
