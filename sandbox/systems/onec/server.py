"""A loopback simulator of 1C:Enterprise's standard OData v3 interface (docs/sources/onec.md).

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
from dataclasses import dataclass
from urllib.parse import quote

from sandbox.systems.faults import Fault
from sandbox.systems.loopback import Reply, Request, ServedSimulator
from sandbox.systems.onec import odata_format as fmt
from sandbox.systems.onec.metadata import csdl
from sandbox.systems.onec.odata_errors import NOT_FOUND, PARSE_ERROR, QueryError, unknown_name
from sandbox.systems.onec.odata_query import execute, parse_query

_SEGMENT = re.compile(r"^(?P<set>[^/()]+)(?:\((?P<key>[^)]*)\))?(?:/(?P<tail>.+))?$")
_GUID_KEY = re.compile(r"^(?:Ref_Key=)?guid'(?P<guid>[0-9a-fA-F-]{36})'$")


@dataclass
class _Target:
    """What the path and $format of a request ask for."""

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


def _parse_request(path: str, params: dict[str, str], prefix: str) -> _Target:
    form = _response_format(params)
    if not (path + "/").startswith(prefix):
        return _Target("outside", None, params, form)
    rest = path[len(prefix) :].strip("/")
    if rest == "":
        return _Target("root", None, params, form)
    if rest == "$metadata":
        return _Target("metadata", "$metadata", params, form)
    match = _SEGMENT.match(rest)
    if match is None:
        return _Target("set", rest, params, form, tail=rest)
    name, key, tail = match.group("set", "key", "tail")
    if key is not None:
        return _Target("entity", name, params, form, key=key, tail=tail)
    if tail == "$count":
        return _Target("count", name, params, form)
    return _Target("set", name, params, form, tail=tail)


def _field_checker(records: list[dict]):
    # 1C knows the schema from metadata; we infer it from the records. The first record answers
    # almost every lookup; the full scan covers optional fields. An empty set accepts any name, so
    # a window query on a set that happens to be empty is not refused.
    first = records[0] if records else None

    def has_field(name: str) -> bool:
        return first is None or name in first or any(name in r for r in records)

    return has_field


class OneCSimulator(ServedSimulator):
    label = "1C simulator"
    server_header = "Apache/2.4"  # a real publication runs behind Apache or IIS

    def __init__(
        self,
        store: dict[str, list[dict]],
        username: str | None = "odata",
        password: str = "s3cret",
        publication: str = "trade",
        host: str = "127.0.0.1",
        port: int = 0,
        metadata_padding_sets: int = 0,
    ):
        super().__init__(store, host, port)
        self.publication = publication
        # Unrelated objects added to $metadata, for a document of a real base's size (sandbox/…/metadata.py).
        self.metadata_padding_sets = metadata_padding_sets
        self._username, self._password = username, password  # username None = no auth
        self._prefix = f"/{publication}/odata/standard.odata/"

    def __repr__(self) -> str:  # never show the password
        return f"OneCSimulator(base_url={self.base_url!r}, user={self._username!r})"

    def _url_at(self, host: str, port: int) -> str:
        return f"http://{host}:{port}/{quote(self.publication)}/odata/standard.odata/"

    # ----------------------------------------------------------------------------- the steps
    def locate(self, request: Request) -> str | None:
        request.target = _parse_request(request.path, request.query, self._prefix)
        return request.target.set_name

    def refuse(self, request: Request) -> Reply | None:
        if request.target.kind == "outside":
            return _reply(404, fmt.TEXT_TYPE, b"Not Found")
        if not self._authorized(request.headers.get("Authorization")):
            return _reply(401, fmt.TEXT_TYPE, b"401 Unauthorized", {"WWW-Authenticate": 'Basic realm="1C"'})
        return None

    def fault_reply(self, request: Request, fault: Fault) -> Reply:
        message = "Слишком много запросов" if fault.kind == "429" else "Сервис временно недоступен"
        content_type, body = fmt.error(fault.kind, message, request.target.fmt)
        return _reply(int(fault.kind), content_type, body, {"Retry-After": str(fault.retry_after)})

    def route(self, request: Request) -> Reply:
        try:
            return _reply(*self._answer_target(request.target))
        except QueryError as err:
            return _reply(err.status, *fmt.error(err.code, err.message, request.target.fmt))

    # ----------------------------------------------------------------------------- answers
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

    def _answer_target(self, target: _Target) -> tuple[int, str, bytes]:
        if target.kind == "root":
            return (200, *fmt.service_document(self.base_url, list(self.store), target.fmt))
        if target.kind == "metadata":
            return 200, fmt.XML_TYPE, csdl(self.store, padding_sets=self.metadata_padding_sets)
        records = self.store.get(target.set_name)
        if records is None:
            raise unknown_name(target.set_name)
        if target.tail is not None:
            raise unknown_name(target.tail)
        query = parse_query(target.params, _field_checker(records))
        if target.kind == "entity":
            return self._entity(target, records, query)
        if target.kind == "count":
            page, _ = execute(query, records, ordered=False)
            return 200, fmt.TEXT_TYPE, str(len(page)).encode()
        return self._feed(target, records, query)

    def _feed(self, target: _Target, records: list[dict], query) -> tuple[int, str, bytes]:
        page, total = execute(query, records)
        count = total if query.inline_count else None
        name = target.set_name
        if target.fmt == "atom":
            pairs = [(r, fmt.project(r, query.select)) for r in page]
            return 200, fmt.ATOM_FEED_TYPE, fmt.atom_feed(self.base_url, name, pairs, count)
        plain = target.fmt == "json"
        shape = fmt.JsonShaper(name, links=plain)
        rows = [shape(r, fmt.project(r, query.select)) for r in page]
        metadata_url = f"{self.base_url}$metadata#{name}" if plain else None
        return 200, fmt.JSON_TYPE, fmt.json_feed(metadata_url, rows, count)

    def _entity(self, target: _Target, records: list[dict], query) -> tuple[int, str, bytes]:
        match = _GUID_KEY.match(target.key)
        if match is None:
            raise QueryError(PARSE_ERROR, f"Неверный ключ сущности: '{target.key}'")
        guid = match.group("guid").lower()
        record = next((r for r in records if str(r.get("Ref_Key", "")).lower() == guid), None)
        if record is None:
            raise QueryError(NOT_FOUND, "Экземпляр сущности не найден", status=404)
        shown, name = fmt.project(record, query.select), target.set_name
        if target.fmt == "atom":
            return 200, fmt.ATOM_ENTRY_TYPE, fmt.atom_entry(self.base_url, name, record, shown)
        plain = target.fmt == "json"
        metadata_url = f"{self.base_url}$metadata#{name}/@Element" if plain else None
        return 200, fmt.JSON_TYPE, fmt.json_entry(metadata_url, fmt.JsonShaper(name, plain)(record, shown))


def _reply(status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> Reply:
    """Every 1C answer says DataServiceVersion 3.0 (before any other header of its own)."""
    return Reply(status, body, content_type, {"DataServiceVersion": "3.0", **(headers or {})})
