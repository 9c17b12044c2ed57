"""What `GET /wp-json/wc/v3/orders` does with its parameters (docs/sources/website.md): validation with
WordPress's own error texts, the status / id / date filters, ordering and paging.

Behaviour taken from WooCommerce's orders controller and WordPress's REST/date-query code:
- `after`/`before`/`modified_after`/`modified_before` are strict (`>` / `<`: WP_Date_Query's default is
  not inclusive) and compare the site-local columns unless `dates_are_gmt` is true;
- a timezone suffix on those values is not converted: WordPress formats the parsed date in the offset it
  was given, so only the wall-clock digits count (a client must send the zone it asks for);
- `orderby=date` breaks ties by id (WooCommerce rewrites it to `date ID`); `status=any` (the default)
  hides `trash` and `checkout-draft` orders;
- `offset`, when given, replaces `page` (WP_Query ignores `paged` then); the totals still count every
  match, so `X-WP-Total` stays the size of the whole result;
- `include`/`exclude` take a comma list or `include[]=…` pairs (PHP's array syntax), as wp_parse_id_list;
- `_fields` (WordPress's global parameter, rest_filter_response_fields) keeps only the named fields of each
  object, `a.b` naming a nested one; it trims the body, never the totals.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

MAX_PER_PAGE = 100
STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "trash",
    "checkout-draft",
)
HIDDEN_FROM_ANY = frozenset({"trash", "checkout-draft"})
ORDERBY = ("date", "id", "include", "title", "slug", "modified")
ORDER = ("asc", "desc")
DATE_PARAMS = ("after", "before", "modified_after", "modified_before")
# rest_parse_date's pattern: seconds required, optional fraction and zone.
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$")
_TRUE, _FALSE = ("true", "1"), ("false", "0", "")


class InvalidParams(Exception):
    """Becomes WordPress's 400 `rest_invalid_param` with one message per parameter."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(", ".join(problems))

    def body(self) -> dict:
        details = {
            name: {"code": "rest_invalid_param", "message": text, "data": None}
            for name, text in self.problems.items()
        }
        return {
            "code": "rest_invalid_param",
            "message": f"Invalid parameter(s): {', '.join(self.problems)}",
            "data": {"status": 400, "params": dict(self.problems), "details": details},
        }


@dataclass
class OrdersQuery:
    page: int = 1
    per_page: int = 10
    offset: int | None = None
    orderby: str = "date"
    order: str = "desc"
    statuses: tuple[str, ...] = ("any",)
    include: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    customer: int | None = None
    dates_are_gmt: bool = False
    bounds: dict[str, datetime] = field(default_factory=dict)  # after / before / modified_* → moment


def parse_orders_query(pairs: list[tuple[str, str]]) -> OrdersQuery:
    params = dict(pairs)
    problems: dict[str, str] = {}
    query = OrdersQuery()
    query.page = _integer(params, "page", 1, problems, low=1)
    query.per_page = _integer(params, "per_page", 10, problems, low=1, high=MAX_PER_PAGE)
    if "offset" in params:
        query.offset = _integer(params, "offset", 0, problems, low=0)
    query.orderby = _enum(params, "orderby", ORDERBY, "date", problems)
    query.order = _enum(params, "order", ORDER, "desc", problems)
    query.statuses = _statuses(pairs, problems)
    query.include = _id_list(pairs, "include", problems)
    query.exclude = _id_list(pairs, "exclude", problems)
    if "customer" in params:
        query.customer = _integer(params, "customer", 0, problems, low=0)
    query.dates_are_gmt = _boolean(params, "dates_are_gmt", problems)
    for name in DATE_PARAMS:
        if name in params:
            moment = parse_wall_clock(params[name])
            if moment is None:
                problems[name] = "Invalid date."
            else:
                query.bounds[name] = moment
    if problems:
        raise InvalidParams(problems)
    return query


def select_orders(orders: list[dict], query: OrdersQuery) -> tuple[list[dict], int, int]:
    """(the requested page, total matches, total pages)."""
    matching = [order for order in orders if _matches(order, query)]
    matching.sort(key=_sort_key(query), reverse=query.order == "desc")
    start = query.offset if query.offset is not None else (query.page - 1) * query.per_page
    total = len(matching)
    return matching[start : start + query.per_page], total, math.ceil(total / query.per_page)


def parse_wall_clock(text: str | None) -> datetime | None:
    """A WooCommerce date ("2024-01-15T12:00:00", any fraction or zone ignored) as a naive datetime."""
    match = _DATE.match(text or "")
    if match is None:
        return None
    try:
        return datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}")
    except ValueError:  # 2024-02-30 passes the pattern
        return None


def _matches(order: dict, query: OrdersQuery) -> bool:
    status = order.get("status")
    if "any" in query.statuses:
        if status in HIDDEN_FROM_ANY:
            return False
    elif status not in query.statuses:
        return False
    if query.include and order.get("id") not in query.include:
        return False
    if order.get("id") in query.exclude:
        return False
    if query.customer is not None and order.get("customer_id") != query.customer:
        return False
    return _within_bounds(order, query)


def _within_bounds(order: dict, query: OrdersQuery) -> bool:
    suffix = "_gmt" if query.dates_are_gmt else ""
    created = parse_wall_clock(order.get(f"date_created{suffix}"))
    modified = parse_wall_clock(order.get(f"date_modified{suffix}"))
    checks = {
        "after": (created, lambda value, bound: value > bound),
        "before": (created, lambda value, bound: value < bound),
        "modified_after": (modified, lambda value, bound: value > bound),
        "modified_before": (modified, lambda value, bound: value < bound),
    }
    for name, bound in query.bounds.items():
        value, passes = checks[name]
        if value is None or not passes(value, bound):
            return False
    return True


def _sort_key(query: OrdersQuery):
    if query.orderby == "date":
        return lambda order: (order.get("date_created_gmt") or "", order.get("id") or 0)
    if query.orderby == "modified":
        return lambda order: (order.get("date_modified_gmt") or "", order.get("id") or 0)
    if query.orderby == "include" and query.include:
        position = {order_id: index for index, order_id in enumerate(query.include)}
        return lambda order: position.get(order.get("id"), len(position))
    return lambda order: order.get("id") or 0  # id; title and slug of an order follow its id


def _integer(params, name, default, problems, low=None, high=None) -> int:
    text = params.get(name)
    if text is None:
        return default
    try:
        value = int(str(text).strip())
    except ValueError:
        problems[name] = f"{name} is not of type integer."
        return default
    if high is not None and low is not None and not low <= value <= high:
        problems[name] = f"{name} must be between {low} (inclusive) and {high} (inclusive)"
    elif low is not None and value < low:
        problems[name] = f"{name} must be greater than or equal to {low}"
    return value


def _enum(params, name, allowed, default, problems) -> str:
    value = params.get(name, default)
    if value not in allowed:
        problems[name] = f"{name} is not one of {_wp_list(allowed)}."
        return default
    return value


def _boolean(params, name, problems) -> bool:
    value = str(params.get(name, "false")).strip().lower()
    if value not in _TRUE + _FALSE:
        problems[name] = f"{name} is not of type boolean."
        return False
    return value in _TRUE


def _statuses(pairs: list[tuple[str, str]], problems: dict[str, str]) -> tuple[str, ...]:
    # `status=a,b`, `status[]=a&status[]=b` and `status[0]=a` all arrive as one list in WordPress.
    values = [
        part.strip()
        for name, value in pairs
        if name == "status" or name.startswith("status[")
        for part in value.split(",")
        if part.strip()
    ]
    allowed = ("any", *STATUSES)
    for index, value in enumerate(values):
        if value not in allowed:
            problems["status"] = f"status[{index}] is not one of {_wp_list(allowed)}."
            break
    return tuple(values) or ("any",)


def _id_list(pairs, name, problems) -> tuple[int, ...]:
    ids = []
    for index, part in enumerate(list_param(pairs, name)):
        if not part.isdigit():
            problems[name] = f"{name}[{index}] is not of type integer."
            return ()
        ids.append(int(part))
    return tuple(ids)


def list_param(pairs: list[tuple[str, str]], name: str) -> list[str]:
    """A list parameter as PHP and wp_parse_list read it: `name=a,b` or `name[]=a&name[]=b` (`name[0]=`
    too). As in PHP's query parser, whichever form comes later replaces what the other one set."""
    values: list[str] = []
    plain = False
    for key, value in pairs:
        if key == name:
            values, plain = re.split(r"[\s,]+", value), True
        elif key.startswith(f"{name}["):
            values, plain = ([] if plain else values) + [value], False
    return [value.strip() for value in values if value.strip()]


def response_fields(pairs: list[tuple[str, str]]) -> dict | None:
    """`_fields` as the tree rest_filter_response_fields builds: {"id": True, "billing": {"email": True}}.
    None when absent or empty (the whole object is sent)."""
    tree: dict = {}
    for path in list_param(pairs, "_fields"):
        *parents, last = path.split(".")
        node = tree
        for part in parents:
            if node.get(part) is True:  # the parent is already included whole
                break
            node = node.setdefault(part, {})
        else:
            node[last] = True
    return tree or None


def only_fields(data: dict, tree: dict) -> dict:
    """_rest_array_intersect_key_recursive: the keys of `tree`, in the object's own order."""
    return {key: _only(value, tree[key]) for key, value in data.items() if key in tree}


def _only(value, wanted):
    if wanted is True or not isinstance(value, dict | list):
        return value
    # PHP intersects a list's keys 0, 1, … with the field names too: nothing of it survives.
    return only_fields(value, wanted) if isinstance(value, dict) else []


def _wp_list(items) -> str:
    # wp_sprintf_l: "a and b", "a, b, and c"
    items = list(items)
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]
