"""A loopback simulator of a WordPress site's WooCommerce REST API v3 orders endpoint
(docs/sources/website.md).

    sim = WooCommerceSimulator(store, consumer_key="ck_…", consumer_secret="cs_…")
    base_url = sim.start()     # http://127.0.0.1:<port>/ — the site root; the API is under wp-json/wc/v3/
    ...
    sim.stop()

`store` is `{"orders": [order JSON exactly as WooCommerce returns it]}`, read live under `store_lock`.
`GET wp-json/wc/v3/orders` answers a bare JSON array with `X-WP-Total`, `X-WP-TotalPages` and `Link`
headers; `GET wp-json/wc/v3/orders/<id>` one order; both honour WordPress's `_fields`. Errors are
WordPress's `{"code","message","data"}`.
Authentication is HTTP Basic with the consumer key and secret (WooCommerce also reads them from the
query string over HTTPS; both work here). Faults (sandbox/systems/faults.py) match the resource name
"orders".

A shop admin's edits for tests: `touch_order` (any edit), `trash_order` / `restore_order` (Move to Trash
and Restore: a trashed order drops out of every `status=any` listing) and `delete_order` (Delete
Permanently, or `DELETE …?force=true`: the order is gone).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sandbox.systems.faults import Fault
from sandbox.systems.loopback import Reply, Request, ServedSimulator, json_reply
from sandbox.systems.website.woo_query import (
    InvalidParams,
    only_fields,
    parse_orders_query,
    response_fields,
    select_orders,
)

API_PREFIX = "/wp-json/wc/v3/"
_ORDER_PATH = re.compile(r"^orders/(?P<id>\d+)/?$")
_HTML = "text/html; charset=UTF-8"
# nginx's own page for limit_req (what sits in front of most WordPress sites).
_NGINX_429 = (
    b"<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n"
    b"<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
# WordPress's maintenance-mode page (core and plugin updates), served with 503 and Retry-After.
_MAINTENANCE_503 = (
    b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Maintenance</title></head><body>"
    b"Briefly unavailable for scheduled maintenance. Check back in a minute.</body></html>"
)


def woo_dates(moment: datetime, site_timezone: str | ZoneInfo = "Europe/Moscow") -> tuple[str, str]:
    """(site-local, GMT) text of an instant, the way WooCommerce writes `date_x` and `date_x_gmt`."""
    zone = ZoneInfo(site_timezone) if isinstance(site_timezone, str) else site_timezone
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = aware.astimezone(zone).replace(tzinfo=None)
    gmt = aware.astimezone(UTC).replace(tzinfo=None)
    return local.isoformat(timespec="seconds"), gmt.isoformat(timespec="seconds")


def _wp_json(status: int, payload, headers: dict[str, str] | None = None) -> Reply:
    # WordPress encodes with PHP's json_encode defaults: Cyrillic arrives as \\uXXXX escapes.
    return json_reply(status, payload, headers, ascii_only=True)


def _wp_error(status: int, code: str, message: str) -> Reply:
    return _wp_json(status, {"code": code, "message": message, "data": {"status": status}})


class WooCommerceSimulator(ServedSimulator):
    label = "woocommerce-simulator"

    def __init__(
        self,
        store: dict[str, list[dict]],
        *,
        consumer_key: str,
        consumer_secret: str,
        site_timezone: str = "Europe/Moscow",
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
    ):
        super().__init__(store, host, port)
        self.site_timezone = ZoneInfo(site_timezone)
        self._key, self._secret = consumer_key, consumer_secret
        self._clock = clock or (lambda: datetime.now(UTC))
        self._status_before_trash: dict[int, str] = {}

    # ----------------------------------------------------------------------------- test helpers
    def touch_order(self, order_id: int, when: datetime | None = None, **changes) -> dict:
        """Edits an order the way the shop does: apply `changes`, stamp date_modified(_gmt) with `when`
        (an instant; default now). Returns a copy of the order as stored afterwards."""
        local, gmt = woo_dates(when or self._clock(), self.site_timezone)
        with self.store_lock:
            order = self._stored(order_id)
            order.update(changes)
            order["date_modified"], order["date_modified_gmt"] = local, gmt
            return copy.deepcopy(order)

    def trash_order(self, order_id: int, when: datetime | None = None) -> dict:
        """Move to Trash: status `trash`, date_modified moved to `when`. WordPress keeps the status it had
        (`_wp_trash_meta_status`, not shown in the order's meta_data) for a restore."""
        with self.store_lock:
            self._status_before_trash[order_id] = self._stored(order_id)["status"]
        return self.touch_order(order_id, when, status="trash")

    def restore_order(self, order_id: int, when: datetime | None = None) -> dict:
        """Restore from the trash: back to the status it had, date_modified moved to `when`."""
        with self.store_lock:
            status = self._status_before_trash.pop(order_id)
        return self.touch_order(order_id, when, status=status)

    def delete_order(self, order_id: int) -> None:
        """Delete Permanently (or `force=true`): the order is gone from every listing and lookup."""
        with self.store_lock:
            self.store["orders"].remove(self._stored(order_id))
            self._status_before_trash.pop(order_id, None)

    def _stored(self, order_id: int) -> dict:
        return next(order for order in self.store["orders"] if order.get("id") == order_id)

    # ----------------------------------------------------------------------------- the steps
    def locate(self, request: Request) -> str:
        if not request.path.startswith(API_PREFIX):
            return request.path
        rest = request.path[len(API_PREFIX) :]
        return "orders" if rest.rstrip("/") == "orders" or _ORDER_PATH.match(rest) else rest

    def refuse(self, request: Request) -> Reply | None:
        if not request.path.startswith(API_PREFIX):
            return None
        problem = self._credential_problem(request)
        return None if problem is None else _wp_error(401, *problem)

    def fault_reply(self, request: Request, fault: Fault) -> Reply:
        body = _NGINX_429 if fault.kind == "429" else _MAINTENANCE_503
        return Reply(int(fault.kind), body, _HTML, {"Retry-After": str(fault.retry_after)})

    def route(self, request: Request) -> Reply:
        if not request.path.startswith(API_PREFIX):
            return _wp_error(404, "rest_no_route", "No route was found matching the URL and request method.")
        rest = request.path[len(API_PREFIX) :]
        if rest.rstrip("/") == "orders":
            return self._list(request)
        match = _ORDER_PATH.match(rest)
        if match is not None:
            return self._one(int(match.group("id")), response_fields(request.pairs))
        return _wp_error(404, "rest_no_route", "No route was found matching the URL and request method.")

    # ----------------------------------------------------------------------------- answers
    def _credential_problem(self, request: Request) -> tuple[str, str] | None:
        key, secret = _basic_credentials(request.headers.get("Authorization"))
        if key is None:  # WooCommerce also accepts the pair as query parameters over HTTPS
            key, secret = request.query.get("consumer_key"), request.query.get("consumer_secret")
        if key is None:
            return "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
        if not hmac.compare_digest(key.encode(), self._key.encode()):
            return "woocommerce_rest_authentication_error", "Consumer key is invalid."
        if not hmac.compare_digest((secret or "").encode(), self._secret.encode()):
            return "woocommerce_rest_authentication_error", "Consumer secret is invalid."
        return None

    def _list(self, request: Request) -> Reply:
        try:
            query = parse_orders_query(request.pairs)
        except InvalidParams as err:
            return _wp_json(400, err.body())
        page, total, pages = select_orders(self.store.get("orders", []), query)
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages), "Allow": "GET, POST"}
        link = self._link_header(request, query.page, pages)
        if link:
            headers["Link"] = link
        # A collection embeds each item's links in its data before `_fields` trims it: they go too.
        fields = response_fields(request.pairs)
        shown = [self._shown(order) for order in page]
        return _wp_json(200, [only_fields(order, fields) for order in shown] if fields else shown, headers)

    def _one(self, order_id: int, fields: dict | None) -> Reply:
        order = next((o for o in self.store.get("orders", []) if o.get("id") == order_id), None)
        if order is None:
            return _wp_error(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        shown = self._shown(order)
        if fields:  # one object's links join its data after `_fields` trimmed it (response_to_data)
            shown = {**only_fields(shown, fields), "_links": shown["_links"]}
        return _wp_json(200, shown)

    def _shown(self, order: dict) -> dict:
        # Every REST object carries HAL links built from the site URL.
        if "_links" in order:
            return order
        collection = f"{self.base_url}wp-json/wc/v3/orders"
        links = {"self": [{"href": f"{collection}/{order.get('id')}"}], "collection": [{"href": collection}]}
        return {**order, "_links": links}

    def _link_header(self, request: Request, page: int, pages: int) -> str:
        # WooCommerce's get_items: prev clamps to the last page, next only while pages remain.
        base = f"{self.base_url}wp-json/wc/v3/orders"
        kept = [(name, value) for name, value in request.pairs if name != "page"]
        links = []
        if page > 1:
            links.append(f'<{base}?{urlencode([*kept, ("page", min(page - 1, pages))])}>; rel="prev"')
        if pages > page:
            links.append(f'<{base}?{urlencode([*kept, ("page", page + 1)])}>; rel="next"')
        return ", ".join(links)


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    if not header or header[:6].lower() != "basic ":
        return None, None
    try:
        key, sep, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    return (key, secret) if sep else (None, None)
