"""1C:Enterprise standard OData (v3) source: the streams as data, paged reads, DataVersion scans.

1C has no modified-at field and does not page on its own (docs/sources/onec.md), so:
- catalogs and the price register are read whole every run, paged with `$top`/`$skip` over a stable
  `$orderby` on the key, and landing diffs them;
- documents are re-read over a sliding `Date` window (last cursor minus `overlap_days`), because they
  get back-dated and re-posted; the overlap also picks up a record that moved between pages while we
  were paging with `$skip`;
- `scan_versions` lists every (Ref_Key, DataVersion) cheaply so landing can find edits outside the
  window and keys that vanished; `read_keys` then fetches just those records.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connectors.http import BadResponse, HttpClient, Utf8BasicAuth, with_query
from connectors.onec.answers import EntitySetMissing, classify_onec_error
from connectors.onec.configuration import Configuration
from connectors.onec.profiles import rename_record
from connectors.onec.streams import REF_KEY
from connectors.source import Ability, Discovery, batches
from contract.records import Page, StreamSpec, version_text

log = logging.getLogger("salespipe.onec")

SOURCE_NAME = "1C"
AUTH_HINT = "check SALESPIPE_ONEC_USER / SALESPIPE_ONEC_PASSWORD"
URL_HINT = "check SALESPIPE_ONEC_URL"
# A 1C web server (IIS or Apache on Windows) set up with the system code page sends cp1251 bytes under a
# UTF-8 (or no) charset; read strictly, such a body is read as cp1251 with a warning, never guessed.
CHARSET_FALLBACK = "cp1251"
NAVIGATION_LINK_SUFFIX = "@navigationLinkUrl"  # OData link noise beside every reference field
# Version scans fetch two short fields per record, so they can afford much larger pages.
SCAN_PAGE_FACTOR = 5
# ~65 URL-encoded characters per "Ref_Key eq guid'…' or": 30 keep the query under IIS's default
# maxQueryString of 2048 bytes (1C is often published through IIS).
KEYS_PER_REQUEST = 30

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def onec_http_client(username: str, password: str, **options: Any) -> HttpClient:
    """The HTTP client OneCSource uses by default; tests pass their own options (short backoff)."""
    return HttpClient(
        SOURCE_NAME,
        auth=Utf8BasicAuth(username, password),
        auth_hint=AUTH_HINT,
        url_hint=URL_HINT,
        fallback_charset=CHARSET_FALLBACK,
        classify_error=classify_onec_error,
        **options,
    )


class OneCSource:
    """Reads the streams of one 1C infobase publication (`…/<publication>/odata/standard.odata/`).

    `configuration` is a profile id (connectors/onec/profiles.py) or "auto": then the configuration is
    found on first use (or by `discover`, which the flow calls with what it remembered from the last run).
    Streams the configuration lacks are not in `streams`. `http` replaces the default client (build it
    with `onec_http_client` to keep UTF-8 Basic auth, the 1C hint on 401 and 1C's "no such set" answer);
    username, password, timeout and max_retries then go unused.
    """

    name = SOURCE_NAME
    abilities = frozenset({Ability.SCAN_VERSIONS, Ability.READ_KEYS, Ability.DISCOVERS})

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        page_size: int = 1000,
        overlap_days: int = 31,
        start_date: str = "2000-01-01",
        timeout: float = 30.0,
        max_retries: int = 6,
        configuration: str = "auto",
        http: HttpClient | None = None,
    ):
        if page_size < 1 or overlap_days < 0:
            raise ValueError("page_size must be ≥ 1 and overlap_days ≥ 0")
        self.base_url = base_url.rstrip("/") + "/"
        self.page_size, self.overlap_days = page_size, overlap_days
        self.start = _parse_local(start_date)
        # The first call after idle can take over 30 s while 1C starts a session: a timeout is retried.
        self.http = http or onec_http_client(username, password, timeout=timeout, max_retries=max_retries)
        self.configuration = Configuration(self.http, self.base_url, configuration)

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return self.configuration.streams()

    def stream(self, name: str) -> StreamSpec:
        return self.configuration.stream(name)

    def discover(self, remembered: Mapping[str, Any] | None = None) -> Discovery:
        """Which configuration the base runs (forced, remembered and still fitting, or detected)."""
        return self.configuration.discover(remembered)

    def read(self, stream_name: str, cursor: str | None = None) -> Iterator[Page]:
        """Pages of records as 1C sent them (minus navigation links). Full streams ignore `cursor`."""
        spec = self.stream(stream_name)
        if spec.mode == "full":
            return self._read_full(spec)
        return self._read_window(spec, cursor)

    def scan_versions(self, stream_name: str) -> Iterator[list[tuple[str, str]]]:
        """Every (Ref_Key, DataVersion) of the set, in Ref_Key order, one list per request."""
        spec = self._keyed_by_ref(stream_name)
        params = {"$format": "json", "$select": "Ref_Key,DataVersion", "$orderby": "Ref_Key asc"}
        for records in self._pages(spec, params, self.page_size * SCAN_PAGE_FACTOR):
            yield [
                (key, version_text(record.get("DataVersion")))
                for record in records
                if (key := spec.key_of(record)) is not None
            ]

    def read_keys(self, stream_name: str, keys: Iterable[str]) -> Iterator[Page]:
        """Full records for these Ref_Keys, a batch of keys per request. Keys 1C no longer has are absent."""
        spec = self._keyed_by_ref(stream_name)
        for batch in batches(_fetchable_keys(keys), KEYS_PER_REQUEST):
            match_any = " or ".join(f"Ref_Key eq guid'{key}'" for key in batch)
            records = self._fetch(spec, {"$format": "json", "$filter": match_any})
            if records:
                yield Page(spec.name, records, None)

    def window_start(self, cursor: str | None) -> datetime:
        """Where a window read begins: start_date on the first run, else the cursor's day − overlap."""
        if cursor is None:
            return self.start
        day = _parse_local(cursor).replace(hour=0, minute=0, second=0, microsecond=0)
        return max(self.start, day - timedelta(days=self.overlap_days))

    def close(self) -> None:
        self.http.close()

    def _read_full(self, spec: StreamSpec) -> Iterator[Page]:
        place = self.configuration.place(spec.name)
        order = ",".join(f"{place.source_name(name)} asc" for name in spec.key_fields)
        params = {"$format": "json", "$orderby": order}
        for records in self._pages(spec, params, self.page_size):
            yield Page(spec.name, records, None)

    def _read_window(self, spec: StreamSpec, cursor: str | None) -> Iterator[Page]:
        field = spec.cursor_field
        start = _format_local(self.window_start(cursor))
        params = {
            "$format": "json",
            "$filter": f"{field} ge datetime'{start}'",
            # Ref_Key breaks ties: documents often share a Date (T23:59:59); $skip needs a total order.
            "$orderby": f"{field} asc,Ref_Key asc",
        }
        # The cursor only moves forward: re-reading an older window must not rewind the next run.
        reached = _format_local(_parse_local(cursor)) if cursor else None
        for records in self._pages(spec, params, self.page_size):
            reached = _latest_date(reached, (record.get(field) for record in records))
            yield Page(spec.name, records, reached)

    def _pages(self, spec: StreamSpec, params: Mapping[str, Any], page_size: int) -> Iterator[list[dict]]:
        """$top/$skip pages until a short one: 1C itself never pages and sends no next link."""
        for skip in itertools.count(0, page_size):
            records = self._fetch(spec, {**params, "$top": page_size, "$skip": skip})
            if records:
                yield records
            if len(records) < page_size:
                return

    def _fetch(self, spec: StreamSpec, params: Mapping[str, Any]) -> list[dict]:
        url = self.base_url + quote(spec.entity_set, safe="")
        try:
            payload, _ = self.http.get_json(url, params, stream=spec.name)
        except EntitySetMissing as err:
            raise self.configuration.missing_set(spec, err) from None
        records = payload.get("value") if isinstance(payload, dict) else None
        if not isinstance(records, list):
            message = "response has no 'value' array (is $format=json honoured?)"
            raise BadResponse(SOURCE_NAME, spec.name, with_query(url, params), message)
        place = self.configuration.place(spec.name)
        return [rename_record(_without_navigation_links(record), place) for record in records]

    def _keyed_by_ref(self, stream_name: str) -> StreamSpec:
        spec = self.stream(stream_name)
        if spec.key_fields != REF_KEY:
            raise ValueError(f"stream {stream_name!r} is not keyed by Ref_Key: read it in full instead")
        return spec


def _without_navigation_links(record: Any) -> Any:
    """Drop `…@navigationLinkUrl` keys, also inside tabular-section rows; everything else stays as sent."""
    if not isinstance(record, dict):
        return record  # not ours to fix: landing rejects it with the raw text
    cleaned = {}
    for name, value in record.items():
        if name.endswith(NAVIGATION_LINK_SUFFIX):
            continue
        if isinstance(value, list):
            value = [_without_navigation_links(row) if isinstance(row, dict) else row for row in value]
        cleaned[name] = value
    return cleaned


def _latest_date(current: str | None, values: Iterable[Any]) -> str | None:
    # 1C dates are fixed-width ISO text, so text order is time order.
    dates = [value[:19] for value in values if isinstance(value, str) and len(value) >= 19]
    return max([current, *dates], key=lambda date: date or "") or None


def _parse_local(text: str) -> datetime:
    """An ISO local date or datetime ("2024-03-05" or "2024-03-05T14:22:10"); any offset is dropped."""
    try:
        return datetime.fromisoformat(text).replace(tzinfo=None, microsecond=0)
    except (TypeError, ValueError):
        raise ValueError(f"not an ISO date/datetime: {text!r}") from None


def _format_local(moment: datetime) -> str:
    # 1C's form: local time, seconds, no offset. (isoformat, unlike strftime, pads years below 1000.)
    return moment.isoformat(timespec="seconds")


def _fetchable_keys(keys: Iterable[str]) -> Iterator[str]:
    # A key goes inside a quoted $filter literal, so only GUIDs pass; anything else cannot be a Ref_Key
    # anyway, and failing the whole stream over one odd key would be worse than skipping it loudly.
    for key in keys:
        if isinstance(key, str) and _GUID.match(key):
            yield key
        else:
            log.warning("1C read_keys: skipping %r, not a Ref_Key GUID", str(key)[:60])
