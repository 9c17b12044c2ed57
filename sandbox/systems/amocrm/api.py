"""What an amoCRM API v4 list request means (docs/sources/amocrm.md): endpoints, `limit`/`page`, `filter[…]`,
`order[…]`, `with=`, and the HAL envelope or problem+json body it is answered with.

Pure functions over the store's records; server.py does HTTP, auth and rate limits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

HAL_TYPE = "application/hal+json"
PROBLEM_TYPE = "application/problem+json"
JSON_TYPE = "application/json"
HTML_TYPE = "text/html"

DEFAULT_LIMIT = 50
RANGE_FIELDS = ("created_at", "updated_at", "closed_at")
# filter[<name>] → the record field it matches (values compared as text: event ids are strings)
VALUE_FILTERS = {
    "id": "id",
    "type": "type",
    "entity": "entity_type",
    "entity_id": "entity_id",
    "note_type": "note_type",
    "responsible_user_id": "responsible_user_id",
    "pipeline_id": "pipeline_id",
}
BAN_HTML = (
    b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1>"
    b"</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
_FILTER = re.compile(r"^filter\[(?P<name>\w+)\](?:\[(?P<sub>\w*)\])?$")
_ORDER = re.compile(r"^order\[(?P<field>\w+)\]$")


@dataclass(frozen=True)
class Endpoint:
    path: str  # under /api/v4/, also the name faults and `requests` use
    store_key: str
    embedded: str  # the key inside `_embedded`
    max_limit: int = 250
    # What the real API sorts by (amoCRM docs per entity). Other order[…] fields are ignored, as the
    # real API does, so a client that relies on an unsupported order finds out here, not in production.
    order_fields: tuple[str, ...] = ("id",)
    default_order: tuple[str, bool] = ("id", False)  # (field, descending)
    hides_deleted: bool = False


ENDPOINTS = {
    e.path: e
    for e in (
        Endpoint("users", "users", "users"),
        Endpoint("leads/loss_reasons", "loss_reasons", "loss_reasons"),
        Endpoint("leads", "leads", "leads", 250, ("created_at", "updated_at", "id"), hides_deleted=True),
        Endpoint("contacts", "contacts", "contacts", 250, ("updated_at", "id"), hides_deleted=True),
        # No order parameter documented for events; the feed comes newest first.
        Endpoint("events", "events", "events", 100, (), ("created_at", True)),
        Endpoint("leads/notes", "lead_notes", "notes", order_fields=("updated_at", "id")),
        Endpoint("contacts/notes", "contact_notes", "notes", order_fields=("updated_at", "id")),
        Endpoint("tasks", "tasks", "tasks", order_fields=("created_at", "complete_till", "id")),
    )
}
SINGLE_ENTITY = {"leads": "leads", "contacts": "contacts", "tasks": "tasks"}  # GET /<path>/<id>


class ApiError(Exception):
    """An answer other than 200: status plus a problem+json body."""

    def __init__(self, status: int, detail: str, **extra):
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra

    def body(self) -> bytes:
        return problem(self.status, self.detail, **self.extra)


@dataclass
class ListQuery:
    page: int = 1
    limit: int = DEFAULT_LIMIT
    with_: frozenset[str] = frozenset()
    ranges: dict[str, list[int | None]] = field(default_factory=dict)  # field → [from, to], inclusive
    values: dict[str, set[str]] = field(default_factory=dict)  # record field → accepted values
    order: tuple[str, bool] = ("id", False)


def parse_list_query(pairs: list[tuple[str, str]], endpoint: Endpoint) -> ListQuery:
    query = ListQuery(order=endpoint.default_order)
    for name, value in pairs:
        if name == "limit":
            query.limit = _limit(value, endpoint.max_limit)
        elif name == "page":
            query.page = _positive(value, "page")
        elif name == "with":
            query.with_ = frozenset(part.strip() for part in value.split(",") if part.strip())
        elif match := _FILTER.match(name):
            _add_filter(query, match.group("name"), match.group("sub"), value)
        elif (match := _ORDER.match(name)) and match.group("field") in endpoint.order_fields:
            if value.lower() in ("asc", "desc"):
                query.order = (match.group("field"), value.lower() == "desc")
    return query


def _add_filter(query: ListQuery, name: str, sub: str | None, value: str) -> None:
    if sub in ("from", "to") and name in RANGE_FIELDS:
        bounds = query.ranges.setdefault(name, [None, None])
        bounds[0 if sub == "from" else 1] = _integer(value, f"filter[{name}][{sub}]")
    elif name in VALUE_FILTERS and (sub is None or sub == "" or sub.isdigit()):
        # filter[type]=a,b  ==  filter[type][]=a&filter[type][]=b  ==  filter[type][0]=a&filter[type][1]=b
        accepted = query.values.setdefault(VALUE_FILTERS[name], set())
        accepted.update(part.strip() for part in value.split(",") if part.strip())
    # anything else is ignored, like the real API does with filters it does not know


def select(records: list[dict], query: ListQuery, endpoint: Endpoint) -> tuple[list[dict], bool]:
    """The requested page (shaped per `with=`) and whether a further page exists."""
    wanted = [r for r in records if _visible(r, query, endpoint) and _matches(r, query)]
    order_field, descending = query.order
    wanted.sort(key=lambda r: (_sort_value(r.get(order_field)), _sort_value(r.get("id"))), reverse=descending)
    start = (query.page - 1) * query.limit
    page = wanted[start : start + query.limit]
    return [shape(r, query.with_, endpoint.path) for r in page], start + query.limit < len(wanted)


def shape(record: dict, with_: frozenset[str], path: str) -> dict:
    """The record as the API shows it: `_embedded` parts that need `with=` are dropped without it."""
    embedded = record.get("_embedded")
    if not isinstance(embedded, dict):
        return dict(record)
    optional = {"leads": ("contacts", "loss_reason"), "contacts": ("leads",)}.get(path, ())
    kept = {k: v for k, v in embedded.items() if k not in optional or k in with_}
    return {**record, "_embedded": kept}


def _visible(record: dict, query: ListQuery, endpoint: Endpoint) -> bool:
    if not endpoint.hides_deleted:
        return True
    # Deleted leads leave the list; `with=only_deleted` lists just them (the trash).
    return bool(record.get("is_deleted")) == ("only_deleted" in query.with_)


def _matches(record: dict, query: ListQuery) -> bool:
    for name, (low, high) in query.ranges.items():
        value = record.get(name)
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            return False
    return all(str(record.get(name)) in accepted for name, accepted in query.values.items())


def _sort_value(value) -> tuple:
    return (value is None, value if value is not None else 0)


# ------------------------------------------------------------------------------------ bodies
def hal_list(api_url: str, endpoint: Endpoint, pairs, query: ListQuery, records, has_next: bool) -> bytes:
    def href(page: int) -> dict:
        rest = [(k, v) for k, v in pairs if k != "page"]
        return {"href": f"{api_url}{endpoint.path}?{urlencode([('page', page), *rest], quote_via=quote)}"}

    links = {"self": href(query.page)}
    if has_next:
        links["next"] = href(query.page + 1)
    links["first"] = href(1)
    if query.page > 1:
        links["prev"] = href(query.page - 1)
    return dumps({"_page": query.page, "_links": links, "_embedded": {endpoint.embedded: records}})


def hal_pipelines(api_url: str, pipelines: list[dict]) -> bytes:
    links = {"self": {"href": f"{api_url}leads/pipelines"}}
    return dumps({"_total_items": len(pipelines), "_links": links, "_embedded": {"pipelines": pipelines}})


def problem(status: int, detail: str, **extra) -> bytes:
    body = {**extra, "title": _TITLES.get(status, "Error"), "type": f"https://httpstatus.es/{status}"}
    return dumps({**body, "status": status, "detail": detail})


def validation_error(path: str, detail: str) -> ApiError:
    errors = [{"request_id": "0", "errors": [{"code": "InvalidValue", "path": path, "detail": detail}]}]
    return ApiError(400, "Request validation failed", **{"validation-errors": errors})


def dumps(body) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def _limit(value: str, cap: int) -> int:
    limit = _positive(value, "limit")
    if limit > cap:
        raise validation_error("limit", f"This value should be less than or equal to {cap}.")
    return limit


def _positive(value: str, path: str) -> int:
    number = _integer(value, path)
    if number < 1:
        raise validation_error(path, "This value should be greater than or equal to 1.")
    return number


def _integer(value: str, path: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise validation_error(path, "This value should be of type int.") from None
