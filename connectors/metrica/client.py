"""Yandex.Metrica source: visits and users per day × last traffic source × UTM tags, from the Reporting
API `GET /stat/v1/data` (docs/sources/metrica.md).

One window stream, `visits`, windowed on the date:
- Metrica keeps revising the last days (late hits, robot filtering), so each run re-reads from the
  cursor − `revisit_days`; the first run reads from `start_date`; today is never read (it is not over),
  the default end is yesterday in the counter's time zone;
- the range is read in calendar-month requests; a month that does not fit in one page is cut into
  shorter ranges rather than paged, because the service orders rows only by what `sort` names and
  rows that tie (every "no UTM" row of a day) come back in any order, so `offset` pages could repeat
  or drop rows. Only a single day too big for a page is paged with the 1-based `offset`;
- a response marked `sampled` is logged as a warning naming the range (its numbers are estimates);
- a row that a re-read no longer returns was revised away: `completed_range` lets the flow tombstone it.
The 5000-requests-a-day quota shows up as a `quota_requests_by_uid` error (429 in the docs, 403 in older
answers); it raises `QuotaExhausted` at once, since retrying only spends a quota that resets at 00:00 GMT.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from connectors.http import AuthError, BadResponse, HttpClient, RateLimited, ServerError
from connectors.metrica.report import DIMENSIONS, METRICS, SOURCE_NAME, check_shape, flat_records
from connectors.metrica.streams import DATA_PATH, DEFAULT_URL, KEY_FIELDS, STREAMS  # noqa: F401 (KEY_FIELDS re-exported)
from connectors.source import Ability, stream_by_name
from contract.records import Page, StreamSpec

log = logging.getLogger("salespipe.metrica")

AUTH_HINT = "check SALESPIPE_METRICA_TOKEN"
COUNTER_HINT = "check SALESPIPE_METRICA_COUNTER"
# Metrica's API is public (its switch is the counter, not a URL): when it cannot be reached, the network
# or proxy of this machine is what to look at. Its answers are UTF-8 only: no fallback charset.
URL_HINT = "check this machine's network or proxy (the Metrica API is public)"
MAX_PAGE_SIZE = 100_000
DAILY_QUOTAS = frozenset({"quota_requests_by_uid", "quota_requests_by_counter_id"})


class QuotaExhausted(RateLimited):
    """The daily request quota is spent: waiting seconds will not help, so it is not retried."""

    transient_by_default = False


def metrica_http_client(token: str, **options: Any) -> HttpClient:
    """The HTTP client MetricaSource uses by default; tests pass their own options (short backoff)."""
    client = HttpClient(
        SOURCE_NAME,
        headers={"Authorization": f"OAuth {token}"},  # URL tokens are refused since 2019
        auth_hint=AUTH_HINT,
        url_hint=URL_HINT,
        classify_error=classify_metrica_error,
        **options,
    )
    client.add_secret(token)
    return client


def classify_metrica_error(response: requests.Response, phrase: str):
    """Metrica names the cause in `errors[].error_type`; the status alone mixes quota, token and rights."""
    try:
        body = response.json()
    except ValueError:
        return None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return None
    types = {str(error.get("error_type")) for error in errors if isinstance(error, dict)}
    said = f"{phrase}: {body.get('message') or ', '.join(sorted(types))}"
    if types & DAILY_QUOTAS:
        kind = ", ".join(sorted(types & DAILY_QUOTAS))
        return (
            QuotaExhausted,
            f"{said} — the Metrica daily request quota is exhausted ({kind}); it resets at 00:00 GMT",
        )
    if types & {"invalid_token", "unauthorized"}:
        return AuthError, f"{said} — {AUTH_HINT}"
    if response.status_code == 403:
        return AuthError, f"{said} — the token's account cannot read this counter; {COUNTER_HINT}"
    if response.status_code == 404:
        return BadResponse, f"{said} — {COUNTER_HINT}"
    if response.status_code == 429:  # per-second and parallel quotas: waiting helps, the client retries
        return RateLimited, said
    if response.status_code >= 500:
        return ServerError, said
    return BadResponse, said


class MetricaSource:
    """Reads one counter's visits. `base_url` None means the real API; `http` replaces the default client
    (build it with `metrica_http_client`); token, timeout and max_retries then go unused."""

    name = SOURCE_NAME
    abilities = frozenset({Ability.COMPLETED_RANGE})

    def __init__(
        self,
        base_url: str | None,
        token: str,
        counter_id: int | str,
        *,
        start_date: str | date,
        end_date: str | date | None = None,
        revisit_days: int = 3,
        page_size: int = 10_000,
        timezone: str = "Europe/Moscow",
        timeout: float = 30.0,
        max_retries: int = 6,
        http: HttpClient | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        if page_size < 1 or revisit_days < 0:
            raise ValueError("page_size must be ≥ 1 and revisit_days ≥ 0")
        if page_size > MAX_PAGE_SIZE:
            log.warning(
                "Metrica: page_size %d is above the API's maximum; using %d", page_size, MAX_PAGE_SIZE
            )
            page_size = MAX_PAGE_SIZE
        self.base_url = (base_url or DEFAULT_URL).rstrip("/") + "/"
        self.counter_id, self.page_size, self.revisit_days = str(counter_id), page_size, revisit_days
        self.start, self.end = _day(start_date), _day(end_date) if end_date else None
        self.zone, self.clock = ZoneInfo(timezone), clock
        self.http = http or metrica_http_client(token, timeout=timeout, max_retries=max_retries)
        self._completed: dict[str, tuple[str, str]] = {}  # stream -> (first, last) day of its last full read

    @property
    def streams(self) -> tuple[StreamSpec, ...]:
        return STREAMS

    def stream(self, name: str) -> StreamSpec:
        return stream_by_name(SOURCE_NAME, STREAMS, name)

    def window(self, cursor: str | None) -> tuple[date, date]:
        """(first, last) day of a read: revisit_days before the cursor (start_date on the first run)
        through end_date or yesterday in the counter's time zone."""
        last = self.end or self.clock().astimezone(self.zone).date() - timedelta(days=1)
        if cursor is None:
            return self.start, last
        return max(self.start, _day(cursor) - timedelta(days=self.revisit_days)), last

    def read(self, stream_name: str, cursor: str | None = None) -> Iterator[Page]:
        """Flat visit records, month by month; a month's last page moves the cursor to its last day."""
        return self._read_window(self.stream(stream_name), cursor)

    def _read_window(self, spec: StreamSpec, cursor: str | None) -> Iterator[Page]:
        first, last = self.window(cursor)
        reached = cursor
        for month_first, month_last in month_ranges(first, last):
            pending = None  # held back so the month's last page can carry its last day as the cursor
            for records in self._range(spec, month_first, month_last):
                if pending is not None:
                    yield Page(spec.name, pending, reached)
                pending = records
            if pending is not None:
                reached = max(reached or "", month_last.isoformat())
                yield Page(spec.name, pending, reached)
        self._completed[spec.name] = (first.isoformat(), last.isoformat())

    def completed_range(self, stream_name: str) -> tuple[str, str] | None:
        """(first, last) day of the window the last read returned in full, or None. Metrica sends every row
        of a range, so a (day, source, UTM) row landed before in it and missing now was revised away
        (robots filtered, visits reclassified): flows/extract.py tombstones it."""
        return self._completed.get(stream_name)

    def close(self) -> None:
        self.http.close()

    def _range(self, spec: StreamSpec, first: date, last: date) -> Iterator[list[dict]]:
        payload = self._fetch(spec, first, last, offset=1)
        total, rows = payload["total_rows"], payload["data"]
        if total > len(rows) and first < last:
            # Shorter ranges sized to fit a page (with room to spare) instead of offset paging; always
            # at most half the range, so even an odd server that sends short pages cannot loop here.
            days = (last - first).days + 1
            span = max(1, min(days // 2, self.page_size * days // (total * 2)))
            for piece_first, piece_last in _spans(first, last, span):
                yield from self._range(spec, piece_first, piece_last)
            return
        yield from self._offset_pages(spec, first, last, payload)

    def _offset_pages(self, spec: StreamSpec, first: date, last: date, payload: dict) -> Iterator[list[dict]]:
        """The first page in hand, then the rest by 1-based offset until total_rows (one day at most,
        unless the whole range fit in the first page)."""
        seen: set[str] = set()
        total, offset = payload["total_rows"], 1
        while True:
            records = [r for r in flat_records(payload) if spec.key_of(r) not in seen]
            seen.update(spec.key_of(r) for r in records)
            if records:
                yield records
            offset += len(payload["data"])
            if not payload["data"] or offset > total:
                break
            payload = self._fetch(spec, first, last, offset=offset)
        if len(seen) < total:
            message = "Metrica: %s..%s gave %d distinct rows of %d; rows shifted between pages"
            log.warning(message, first, last, len(seen), total)

    def _fetch(self, spec: StreamSpec, first: date, last: date, offset: int) -> dict:
        params = {
            "ids": self.counter_id,
            "metrics": ",".join(METRICS),
            "dimensions": ",".join(DIMENSIONS),
            "date1": first.isoformat(),
            "date2": last.isoformat(),
            "limit": self.page_size,
            "offset": offset,
            "accuracy": "full",
        }
        url = self.base_url + DATA_PATH
        payload, _ = self.http.get_json(url, params, stream=spec.name)
        check_shape(payload, url, params, spec.name)
        if payload.get("sampled"):
            share = payload.get("sample_share")
            log.warning(
                "Metrica: %s..%s is sampled (sample_share=%s): visits are estimates", first, last, share
            )
        return payload


def month_ranges(first: date, last: date) -> Iterator[tuple[date, date]]:
    """[first, last] cut at calendar month ends."""
    while first <= last:
        next_month = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        yield first, min(last, next_month - timedelta(days=1))
        first = next_month


def _spans(first: date, last: date, days: int) -> Iterable[tuple[date, date]]:
    while first <= last:
        yield first, min(last, first + timedelta(days=days - 1))
        first += timedelta(days=days)


def _day(value: str | date) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValueError(f"not an ISO date: {value!r}") from None
