"""A loopback simulator of the Yandex.Metrica Reporting API (docs/sources/metrica.md).

    sim = MetricaSimulator(store, token="y0_…")
    base_url = sim.start()     # http://127.0.0.1:<port>/ — stands in for https://api-metrika.yandex.net/
    ...
    sim.stop()

`store` is `{"counter": {"id": 44147844, "timezone": "Europe/Moscow"}, "visits": [{"date",
"traffic_source_id", "utm_source", "utm_medium", "utm_campaign", "visits", "users"}, …]}`, read live
under `store_lock` (a test may revise recent days, as Metrica itself does). `GET /stat/v1/data`
aggregates those rows (sandbox/systems/metrica/report.py). Errors use Metrica's
`{"errors":[{"error_type","message"}],"code","message"}`.

Statuses (Metrica's documentation disagrees with itself in places):
- no token or a wrong one: 401 `invalid_token` (the authorization page says 401; the error table lists
  `invalid_token` as 403 and real bodies with `"code":403` exist — the connector accepts both);
- the daily request quota: `quota_requests_by_uid` with **403**, as the quota page says ("going over
  returns 403"); pass `quota_status=429` for the status the newer quotas and errors pages give (the
  connector tells them apart by `error_type`, not by status);
- a counter other than the store's: 404 `not_found`.
Every authorized request that reaches the report counts against `daily_quota` (`sim.quota_used`).
Set `sim.sample_share` below 1 to answer `"sampled": true` as a very large counter would.
Faults (sandbox/systems/faults.py) match the resource name "data".
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sandbox.systems.faults import Fault
from sandbox.systems.loopback import Reply, Request, ServedSimulator, json_reply
from sandbox.systems.metrica.report import MetricaError, build_report, parse_report_query

DATA_PATH = "/stat/v1/data"


def _error(status: int, error_type: str, message: str) -> Reply:
    return json_reply(status, MetricaError(status, error_type, message).body())


class MetricaSimulator(ServedSimulator):
    label = "metrica-simulator"

    def __init__(
        self,
        store: dict,
        *,
        token: str,
        daily_quota: int = 5000,
        quota_status: int = 403,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] | None = None,
    ):
        super().__init__(store, host, port)
        self.daily_quota, self.quota_status = daily_quota, quota_status
        self.quota_used = 0
        self.sample_share = 1.0
        self._token = token
        self._clock = clock or (lambda: datetime.now(UTC))

    def reset_quota(self) -> None:
        """What 00:00 GMT does to the per-user daily quota."""
        with self.store_lock:
            self.quota_used = 0

    def today(self):
        """The counter's current date: `today`, `yesterday` and `NdaysAgo` count from it."""
        zone = ZoneInfo(self.store.get("counter", {}).get("timezone", "Europe/Moscow"))
        return self._clock().astimezone(zone).date()

    # ----------------------------------------------------------------------------- the steps
    def locate(self, request: Request) -> str:
        return "data" if request.path.rstrip("/") == DATA_PATH else request.path

    def refuse(self, request: Request) -> Reply | None:
        scheme, _, token = (request.headers.get("Authorization") or "").strip().partition(" ")
        if scheme.lower() == "oauth" and hmac.compare_digest(token.strip().encode(), self._token.encode()):
            return None
        return _error(401, "invalid_token", "Invalid oauth_token")

    def fault_reply(self, request: Request, fault: Fault) -> Reply:
        if fault.kind == "429":
            message = "Quota exceeded: too many requests per second from this IP"
            reply = _error(429, "quota_requests_by_ip", message)
        else:
            reply = _error(503, "backend_error", "Internal server error, please try again later")
        reply.headers = {"Retry-After": str(fault.retry_after)}
        return reply

    def route(self, request: Request) -> Reply:
        if request.path.rstrip("/") != DATA_PATH:
            return _error(404, "not_found", "Not found")
        self.quota_used += 1
        if self.quota_used > self.daily_quota:
            message = f"Quota exceeded: {self.daily_quota} API requests a day for this user"
            return _error(self.quota_status, "quota_requests_by_uid", message)
        try:
            query = parse_report_query(request.query, self.today())
        except MetricaError as err:
            return json_reply(err.status, err.body())
        counter = self.store.get("counter", {})
        if query.counter_id != counter.get("id"):
            return _error(404, "not_found", "Entity not found")
        return json_reply(200, build_report(self.store.get("visits", []), query, self.sample_share))
