"""Website / e-shop source: WooCommerce REST v3 orders (docs/sources/website.md).

One window stream, `orders`, keyed by `id` and read over a `date_modified_gmt` window:
- `modified_after` = last cursor − `overlap_minutes` (start_date, or everything, on the first run) and
  `modified_before` = the moment the sync started, both GMT (`dates_are_gmt=true`: the site's local
  time would shift by the site's zone and its DST rules);
- `orderby=id&order=asc`: a new order gets a higher id and lands after the last page instead of shifting
  the pages already read, and `modified_before` keeps it out of this run anyway;
- paged with `offset`, not `page`: an order edited while we page leaves the window (its new modification
  time is after `modified_before`), every later order slides back one place, and a fixed page grid would
  skip one. `X-WP-Total` shrinks when that happens, so we step back by as many places and re-read (the
  few repeats are dropped);
- the cursor moves only with the last page: pages come in id order, not modification order, so the
  largest `date_modified_gmt` seen halfway is no promise that everything older has been read.

The window never sees an order leave: `status=any` (the default) hides `trash`, so a trashed order —
whose `date_modified` did move — drops out of every listing, exactly like one deleted for good. So
`scan_versions` lists every visible (id, date_modified_gmt) cheaply (`_fields`, 100 a request) and
landing tombstones the ids that vanished and re-reads those whose version differs (`read_keys`,
`include=` batches of 100). A restored order is modified again and returns through the window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from connectors.http import AuthError, BadResponse, HttpClient, Utf8BasicAuth, with_query
from connectors.source import Ability, batches, stream_by_name
from connectors.website.streams import CURSOR_FIELD, STREAMS
from contract.records import Page, StreamSpec, version_text

log = logging.getLogger("salespipe.website")

SOURCE_NAME = "website"
AUTH_HINT = "check SALESPIPE_WEBSITE_KEY / SALESPIPE_WEBSITE_SECRET"
URL_HINT = "check SALESPIPE_WEBSITE_URL"
# Russian WordPress sites set up before 4.x could run with blog_charset windows-1251: their REST answers
# are cp1251 bytes, whatever the header says. Read strictly, with this as the one known alternative.
CHARSET_FALLBACK = "cp1251"
ORDERS_PATH = "wp-json/wc/v3/orders"
MAX_PAGE_SIZE = 100  # WooCommerce answers 400 rest_invalid_param above this
LINKS_FIELD = "_links"  # HAL links built from the site URL: navigation, not order data
# Scans and key reads list what `status=any` shows, in id order, as many per request as Woo allows.
VISIBLE_BY_ID = {"status": "any", "orderby": "id", "order": "asc", "per_page": MAX_PAGE_SIZE}


def website_http_client(consumer_key: str, consumer_secret: str, **options: Any) -> HttpClient:
    """The HTTP client WebsiteSource uses by default; tests pass their own options (short backoff)."""
    return HttpClient(
        SOURCE_NAME,
        auth=Utf8BasicAuth(consumer_key, consumer_secret),
        auth_hint=AUTH_HINT,
        url_hint=URL_HINT,
        fallback_charset=CHARSET_FALLBACK,
        classify_error=classify_wordpress_error,
        **options,
    )


def classify_wordpress_error(response: requests.Response, phrase: str):
    """WordPress explains a 4xx in `{"code","message"}`: put its words into the one-line error."""
    body = _json_or_none(response)
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return None
    explained = f"{phrase}: {body['message']} ({body.get('code')})"
    if response.status_code in (401, 403):
        return AuthError, f"{explained} — {AUTH_HINT}"
    if 400 <= response.status_code < 500 and response.status_code != 429:
        return BadResponse, explained
    return None


class WebsiteSource:
    """Reads the orders of one WooCommerce site. `base_url` is the site root (`https://shop.example/`).

    `http` replaces the default client (build it with `website_http_client` to keep Basic auth and the
    WordPress error texts); consumer key/secret, timeout and max_retries then go unused.
    """

    name = SOURCE_NAME
    abilities = frozenset({Ability.SCAN_VERSIONS, Ability.READ_KEYS})

    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        page_size: int = MAX_PAGE_SIZE,
        overlap_minutes: int = 60,
        start_date: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 6,
        http: HttpClient | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        if page_size < 1 or overlap_minutes < 0:
            raise ValueError("page_size must be ≥ 1 and overlap_minutes ≥ 0")
        if page_size > MAX_PAGE_SIZE:
            log.warning(
                "website: page_size %d is above WooCommerce's maximum; using %d", page_size, MAX_PAGE_SIZE
            )
            page_size = MAX_PAGE_SIZE
        root = base_url.rstrip("/")
        if root.endswith("/wp-json/wc/v3"):  # the API URL is a common way to write the setting
            root = root[: -len("/wp-json/wc/v3")]
        self.base_url = root + "/"
        self.page_size, self.overlap = page_size, timedelta(minutes=overlap_minutes)
        self.start = _parse_gmt(start_date) if start_date else None
        self.clock = clock
        self.http = http or website_http_client(
            consumer_key, consumer_secret, timeout=timeout, max_retries=max_retries
        )

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return STREAMS

    def stream(self, name: str) -> StreamSpec:
        return stream_by_name(SOURCE_NAME, STREAMS, name)

    def read(self, stream_name: str, cursor: str | None = None) -> Iterator[Page]:
        """Pages of orders as WooCommerce sent them (minus `_links`), oldest id first."""
        return self._read_window(self.stream(stream_name), cursor)

    def _read_window(self, spec: StreamSpec, cursor: str | None) -> Iterator[Page]:
        params = self.window_params(cursor)
        reached, pending = cursor, None  # one page held back so the last can carry the cursor
        for records in self._pages(spec, params):
            if pending is not None:
                yield Page(spec.name, pending, cursor)
            reached = _latest(reached, (record.get(CURSOR_FIELD) for record in records))
            pending = records
        if pending is not None:
            yield Page(spec.name, pending, reached)

    def scan_versions(self, stream_name: str) -> Iterator[list[tuple[str, str]]]:
        """Every visible (order id, date_modified_gmt) in id order, one list per request: the version
        text is what landing stores for an order (flows/sources.py passes CURSOR_FIELD as its version
        field), so an order nobody touched is not re-read."""
        spec = self.stream(stream_name)
        params = {**VISIBLE_BY_ID, "_fields": f"id,{CURSOR_FIELD}"}
        for records in self._pages(spec, params):
            yield [
                (key, version_text(record.get(CURSOR_FIELD)))
                for record in records
                if (key := spec.key_of(record)) is not None
            ]

    def read_keys(self, stream_name: str, keys: Iterable[str]) -> Iterator[Page]:
        """Full orders for these ids, up to 100 per request; ids Woo no longer shows are simply absent."""
        spec = self.stream(stream_name)
        for batch in batches(_order_ids(keys), MAX_PAGE_SIZE):
            # One request per batch; paged all the same, in case something in front clamps per_page.
            for records in self._pages(spec, {**VISIBLE_BY_ID, "include": ",".join(map(str, batch))}):
                yield Page(spec.name, records, None)

    def window_params(self, cursor: str | None) -> dict[str, Any]:
        """The query of a window read: GMT bounds, id order, the page size (offset is added per page)."""
        params: dict[str, Any] = {"dates_are_gmt": "true"}
        after = _parse_gmt(cursor) - self.overlap if cursor else self.start
        if after is not None:
            params["modified_after"] = _format(after)
        # Frozen now, at the start of the read: see the module docstring.
        params["modified_before"] = _format(self.clock().astimezone(UTC))
        return {**params, "orderby": "id", "order": "asc", "per_page": self.page_size}

    def close(self) -> None:
        self.http.close()

    def _pages(self, spec: StreamSpec, params: Mapping[str, Any]) -> Iterator[list[dict]]:
        offset, known_total, seen = 0, None, set()
        while True:
            records, total = self._fetch(spec, {**params, "offset": offset})
            if known_total is not None and total is not None and total < known_total:
                # Orders left the window since the last request: step back and read again.
                offset, known_total = max(0, offset - (known_total - total)), total
                continue
            known_total = total if total is not None else known_total
            fresh = [record for record in records if _id(record) is None or _id(record) not in seen]
            seen.update(_id(record) for record in fresh)
            if fresh:
                yield fresh
            offset += len(records)
            if _finished(records, offset, total, params["per_page"]):
                return

    def _fetch(self, spec: StreamSpec, params: Mapping[str, Any]) -> tuple[list[dict], int | None]:
        url = self.base_url + ORDERS_PATH
        payload, response = self.http.get_json(url, params, stream=spec.name)
        if not isinstance(payload, list):
            message = f"expected a JSON array of orders, got {type(payload).__name__}"
            raise BadResponse(SOURCE_NAME, spec.name, with_query(url, params), message)
        total = response.headers.get("X-WP-Total", "")
        return [_without_links(record) for record in payload], int(total) if total.isdigit() else None


def _finished(records: list, offset: int, total: int | None, page_size: int) -> bool:
    if not records:
        return True
    if total is not None:
        return offset >= total
    # Some caching proxies drop the X-WP-* headers; a short page is then the only end marker.
    return len(records) < page_size


def _id(record: Any) -> Any:
    # A record without an id is not deduplicated: landing rejects it with its raw text.
    return record.get("id") if isinstance(record, dict) else None


def _order_ids(keys: Iterable[str]) -> Iterator[int]:
    # Landed keys are the ids as text; anything else cannot be an order id: skipped loudly, not fatal.
    for key in keys:
        if isinstance(key, str) and key.isdigit():
            yield int(key)
        else:
            log.warning("website read_keys: skipping %r, not an order id", str(key)[:60])


def _without_links(record: Any) -> Any:
    if not isinstance(record, dict):
        return record  # not ours to fix: landing rejects it with the raw text
    return {name: value for name, value in record.items() if name != LINKS_FIELD}


def _latest(current: str | None, values) -> str | None:
    # WooCommerce dates are fixed-width ISO text without offset, so text order is time order.
    dates = [value[:19] for value in values if isinstance(value, str) and len(value) >= 19]
    return max([current, *dates], key=lambda text: text or "") or None


def _parse_gmt(text: str) -> datetime:
    """An ISO date or datetime read as GMT (an offset, if any, is honoured)."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO date/datetime: {text!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None, microsecond=0)


def _format(moment: datetime) -> str:
    # No offset on the wire: WordPress ignores it and reads the digits in the zone dates_are_gmt names.
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
