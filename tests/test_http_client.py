"""HttpClient against a tiny local server that misbehaves on cue: retries, typed errors, redaction."""

from __future__ import annotations

import base64
import json
import logging
import pickle
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest
import requests

from connectors.errors import redact_url
from connectors.http import (
    AuthError,
    BadResponse,
    HttpClient,
    RateLimited,
    ServerError,
    SourceError,
    Timeout,
    Unreachable,
    Utf8BasicAuth,
    parse_retry_after,
)

PASSWORD = "pa55-Секрет"
TOKEN = "tok-9f8e7d"
OK_BODY = {"value": [{"id": 1}, {"id": 2}]}


class ScriptedServer:
    """Serves, per path, a list of behaviours one request at a time; the last one repeats."""

    def __init__(self, port: int = 0):
        self.scripts: dict[str, list[tuple]] = {}
        self.calls: dict[str, int] = {}
        self.auth_headers: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.handle(self)

            def log_message(self, *args):  # keep pytest output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval: shutdown() waits for it, once per test.
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        path = unquote(request.path.split("?")[0])
        self.auth_headers.append(request.headers.get("Authorization"))
        count = self.calls[path] = self.calls.get(path, 0) + 1
        script = self.scripts.get(path, [("json", 200, OK_BODY, {})])
        kind, *args = script[min(count, len(script)) - 1]
        if kind == "slow":
            time.sleep(args[0])
            kind, args = "json", [200, OK_BODY, {}]
        if kind == "cut":
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", "1000")
            request.end_headers()
            request.wfile.write(b'{"value": [{"id": 1}, {"i')
            request.wfile.flush()
            request.close_connection = True
            return
        if kind == "raw":  # these exact bytes under this Content-Type (None: no header at all)
            body, content_type = args
            request.send_response(200)
            if content_type is not None:
                request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
            return
        if kind == "basic":  # 200 only for the expected UTF-8 credentials
            expected = "Basic " + base64.b64encode(args[0].encode()).decode()
            ok = request.headers.get("Authorization") == expected
            kind, args = "json", [200 if ok else 401, OK_BODY if ok else {}, {}]
        status, body, headers = args
        payload = json.dumps(body, ensure_ascii=False).encode()
        request.send_response(status)
        request.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)


@pytest.fixture
def server():
    scripted = ScriptedServer()
    yield scripted
    scripted.httpd.shutdown()
    scripted.httpd.server_close()


@pytest.fixture
def sleeps():
    return []


def make_client(sleeps, **options) -> HttpClient:
    defaults = dict(
        auth=("odata", PASSWORD), timeout=2.0, max_retries=3, backoff_base=0.01, sleep=sleeps.append
    )
    return HttpClient("1C", **(defaults | options))


def test_ok_returns_payload_and_response(server, sleeps):
    payload, response = make_client(sleeps).get_json(server.url + "/ok", {"$top": 2}, stream="things")
    assert payload == OK_BODY and response.status_code == 200 and sleeps == []


def test_429_honours_retry_after_seconds(server, sleeps):
    server.scripts["/r"] = [("json", 429, {}, {"Retry-After": "1"}), ("json", 200, OK_BODY, {})]
    payload, _ = make_client(sleeps).get_json(server.url + "/r", stream="things")
    assert payload == OK_BODY and sleeps == [1.0] and server.calls["/r"] == 2


def test_retry_after_is_capped(server, sleeps):
    server.scripts["/r"] = [("json", 503, {}, {"Retry-After": "3600"}), ("json", 200, OK_BODY, {})]
    make_client(sleeps, max_retry_after=5.0).get_json(server.url + "/r", stream="things")
    assert sleeps == [5.0]


def test_retry_after_http_date():
    in_ten = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8 <= parse_retry_after(in_ten) <= 10
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert (
        parse_retry_after("2") == 2.0
        and parse_retry_after("soon") is None
        and parse_retry_after(None) is None
    )


def test_503s_back_off_exponentially_with_deterministic_jitter(server, sleeps):
    server.scripts["/r"] = [("json", 503, {}, {})] * 3 + [("json", 200, OK_BODY, {})]
    make_client(sleeps, backoff_base=1.0).get_json(server.url + "/r", stream="things")
    assert 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0 and 2.0 <= sleeps[2] <= 4.0
    again = []
    server.calls.clear()
    make_client(again, backoff_base=1.0).get_json(server.url + "/r", stream="things")
    assert again == sleeps  # seeded per source: a rerun waits the same


def test_gives_up_after_max_retries_with_server_error(server, sleeps):
    server.scripts["/r"] = [("json", 502, {}, {})]
    with pytest.raises(ServerError) as caught:
        make_client(sleeps).get(server.url + "/r", stream="things")
    assert server.calls["/r"] == 4 and caught.value.status == 502
    assert "502 Bad Gateway (gave up after 4 attempts)" in str(caught.value)


def test_a_5xx_keeps_1cs_own_words_and_code_after_the_retries(server, sleeps):
    body = {"odata.error": {"code": "6", "message": {"value": f"Ошибка СУБД:\n нет доступа для {PASSWORD}"}}}
    server.scripts["/r"] = [("json", 500, body, {})]
    with pytest.raises(ServerError) as caught:
        make_client(sleeps).get(server.url + "/r", stream="things")
    assert server.calls["/r"] == 4
    assert str(caught.value).endswith(
        ": 500 Internal Server Error: Ошибка СУБД: нет доступа для *** (code 6) (gave up after 4 attempts)"
    )
    assert_no_secret(str(caught.value))


def test_rate_limited_after_retries(server, sleeps):
    server.scripts["/r"] = [("json", 429, {}, {"Retry-After": "0"})]
    with pytest.raises(RateLimited):
        make_client(sleeps, max_retries=1).get(server.url + "/r", stream="things")


def test_timeout_is_retried_then_succeeds(server):
    server.scripts["/r"] = [("slow", 1.0), ("json", 200, OK_BODY, {})]
    payload, _ = make_client([], timeout=0.2).get_json(server.url + "/r", stream="things")
    assert payload == OK_BODY and server.calls["/r"] == 2


def test_timeout_gives_up_as_timeout(server):
    server.scripts["/r"] = [("slow", 0.6)]
    with pytest.raises(Timeout) as caught:
        make_client([], timeout=0.2, max_retries=1).get(server.url + "/r", stream="things")
    assert "no answer within 0.2s" in str(caught.value)


def test_cut_body_is_retried_then_succeeds(server, sleeps):
    server.scripts["/r"] = [("cut",), ("json", 200, OK_BODY, {})]
    payload, _ = make_client(sleeps).get_json(server.url + "/r", stream="things")
    assert payload == OK_BODY and server.calls["/r"] == 2 and len(sleeps) == 1


def test_cut_body_every_time_is_bad_response(server, sleeps):
    server.scripts["/r"] = [("cut",)]
    with pytest.raises(BadResponse) as caught:
        make_client(sleeps, max_retries=2).get_json(server.url + "/r", stream="things")
    assert "cut short" in str(caught.value) and server.calls["/r"] == 3


class CannedAdapter(requests.adapters.BaseAdapter):
    """Answers with a JSON body that lost its tail while the headers promised more (no transport error)."""

    def __init__(self, bodies, content_length: int = 500):
        super().__init__()
        self.bodies, self.content_length = list(bodies), content_length

    def send(self, request, **kwargs):
        response = requests.Response()
        response.status_code, response.url, response.request = 200, request.url, request
        response._content = self.bodies.pop(0) if len(self.bodies) > 1 else self.bodies[0]
        response.headers["Content-Length"] = str(self.content_length)
        return response

    def close(self):
        pass


def test_truncated_json_with_short_content_length_is_retried(sleeps):
    client = make_client(sleeps)
    client.session.mount("http://canned/", CannedAdapter([b'{"value": [', json.dumps(OK_BODY).encode()]))
    assert client.get_json("http://canned/x", stream="things")[0] == OK_BODY
    assert len(sleeps) == 1


def test_unparseable_full_body_is_bad_response_without_retry(sleeps):
    client = make_client(sleeps)
    client.session.mount("http://canned/", CannedAdapter([b"<html>proxy error</html>"], content_length=24))
    with pytest.raises(BadResponse) as caught:
        client.get_json("http://canned/x", stream="things")
    assert sleeps == [] and "not JSON" in str(caught.value)


def test_401_is_auth_error_not_retried_and_never_leaks(server, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="salespipe.http")
    server.scripts["/trade/odata/standard.odata/Document_Реализация"] = [("json", 401, {}, {})]
    client = make_client(sleeps, auth_hint="check SALESPIPE_ONEC_USER / SALESPIPE_ONEC_PASSWORD")
    url = server.url.replace("http://", "http://odata:" + PASSWORD + "@") + (
        "/trade/odata/standard.odata/Document_%D0%A0%D0%B5%D0%B0%D0%BB%D0%B8%D0%B7%D0%B0%D1%86%D0%B8%D1%8F"
    )
    with pytest.raises(AuthError) as caught:
        client.get(url, {"$top": 5, "access_token": TOKEN}, stream="shipments")
    text = str(caught.value)
    assert sleeps == [] and caught.value.status == 401
    assert text == (
        f"1C stream=shipments GET {server.url}/trade/odata/standard.odata/Document_Реализация"
        "?$top=5&access_token=*** : 401 Unauthorized — check SALESPIPE_ONEC_USER / SALESPIPE_ONEC_PASSWORD"
    )
    assert_no_secret(text, caught.value.url, repr(caught.value), caplog.text)


def test_retry_logs_are_redacted(server, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="salespipe.http")
    server.scripts["/r"] = [("json", 503, {"echo": PASSWORD}, {}), ("json", 200, OK_BODY, {})]
    make_client(sleeps).get(server.url + "/r", {"api_key": TOKEN, "sign": "abc123"}, stream="things")
    [record] = caplog.records
    assert record.levelno == logging.WARNING and record.name == "salespipe.http"
    assert "1C stream=things GET" in record.getMessage() and "api_key=***&sign=***" in record.getMessage()
    assert_no_secret(caplog.text, "abc123")


def test_4xx_carries_the_servers_odata_error_text(server, sleeps):
    body = {
        "odata.error": {"code": "14", "message": {"lang": "ru", "value": "Ошибка разбора\nусловия отбора"}}
    }
    server.scripts["/r"] = [("json", 400, body, {})]
    with pytest.raises(BadResponse) as caught:
        make_client(sleeps).get(server.url + "/r", {"$filter": "Date ge x"}, stream="things")
    assert str(caught.value).endswith(": 400 Bad Request: Ошибка разбора условия отбора (code 14)")
    assert "\n" not in str(caught.value) and sleeps == []


def test_4xx_problem_json(server, sleeps):
    body = {"title": "Unprocessable", "detail": "limit must be ≤ 250"}
    server.scripts["/r"] = [("json", 422, body, {"Content-Type": "application/problem+json"})]
    with pytest.raises(BadResponse, match="422 Unprocessable Entity: Unprocessable — limit must be ≤ 250"):
        make_client(sleeps).get(server.url + "/r", stream="things")


def test_server_error_text_with_a_secret_is_masked(server, sleeps):
    body = {"odata.error": {"code": "6", "message": {"value": f"user odata / {PASSWORD} rejected"}}}
    server.scripts["/r"] = [("json", 404, body, {})]
    with pytest.raises(BadResponse) as caught:
        make_client(sleeps).get(server.url + "/r", stream="things")
    assert "user odata / *** rejected" in str(caught.value)


def free_port() -> int:
    """A loopback port nobody listens on (bound, read, released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_is_unreachable_after_two_quick_retries(sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="salespipe.http")
    port = free_port()
    client = make_client(sleeps, max_retries=6, url_hint="check SALESPIPE_ONEC_URL")
    with pytest.raises(Unreachable) as caught:
        client.get(f"http://odata:{PASSWORD}@127.0.0.1:{port}/trade/odata/x?token={TOKEN}", stream="things")
    # Two short pauses, not the six-step backoff a busy server gets (max_retries is for those).
    assert sleeps == [1.5, 3.0] and len(caplog.records) == 2
    assert str(caught.value).startswith(
        f"1C: host unreachable: http://127.0.0.1:{port} (Connection refused) — check SALESPIPE_ONEC_URL "
        "(gave up after 3 attempts in "
    )
    assert "\n" not in str(caught.value) and caught.value.stream == "things"
    assert_no_secret(str(caught.value), caught.value.url, caplog.text)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_an_unreachable_host_is_given_up_on_within_five_seconds():
    client = HttpClient("1C", url_hint="check SALESPIPE_ONEC_URL")  # the real pauses and timeouts
    started = time.monotonic()
    with pytest.raises(Unreachable, match=r"^1C: host unreachable: .*check SALESPIPE_ONEC_URL"):
        client.get_json(f"http://127.0.0.1:{free_port()}/x", stream="shipments")
    assert time.monotonic() - started < 6.0


def test_a_host_that_comes_back_within_the_pauses_is_read(server):
    """A 1C server restarting refuses connections for a moment: the quick retries ride that out."""
    host, port = server.httpd.server_address
    server.httpd.server_close()  # nobody listens on the port for now
    reopened: list[ScriptedServer] = []

    def reopen_then_sleep(seconds: float) -> None:
        if not reopened:
            reopened.append(ScriptedServer(port=port))

    client = make_client([], sleep=reopen_then_sleep)
    try:
        assert client.get_json(f"http://{host}:{port}/ok", stream="things")[0] == OK_BODY
    finally:
        for again in reopened:
            again.httpd.shutdown()
            again.httpd.server_close()


class RaisingAdapter(requests.adapters.BaseAdapter):
    def __init__(self, error: Exception):
        super().__init__()
        self.error, self.calls = error, 0

    def send(self, request, **kwargs):
        self.calls += 1
        raise self.error

    def close(self):
        pass


def test_a_connect_timeout_is_unreachable_but_a_read_timeout_is_not(sleeps):
    client = make_client(sleeps, connect_timeout=1.5, url_hint="check SALESPIPE_WEBSITE_URL")
    adapter = RaisingAdapter(requests.ConnectTimeout("connect timeout=1.5"))
    client.session.mount("http://blackhole/", adapter)
    with pytest.raises(Unreachable, match=r"\(no connection within 1.5s\) — check SALESPIPE_WEBSITE_URL"):
        client.get("http://blackhole/x", stream="orders")
    assert adapter.calls == 3
    reading = RaisingAdapter(requests.ReadTimeout("read timeout=2"))
    client.session.mount("http://slow/", reading)
    with pytest.raises(Timeout):
        client.get("http://slow/x", stream="orders")
    assert reading.calls == 4  # the long backoff: max_retries=3


def test_a_reset_connection_stays_a_retried_server_error(sleeps):
    client = make_client(sleeps)
    adapter = RaisingAdapter(requests.ConnectionError("('Connection aborted.', ConnectionResetError(104))"))
    client.session.mount("http://flaky/", adapter)
    with pytest.raises(ServerError, match="connection failed"):
        client.get("http://flaky/x", stream="things")
    assert adapter.calls == 4


# ---- decoding -------------------------------------------------------------------------------------------
NAMES = {"value": [{"Description": "Иванов Иван Иванович"}, {"Description": "ООО «Ромашка»"}]}
CP1251 = json.dumps(NAMES, ensure_ascii=False).encode("cp1251")


def test_a_cp1251_body_declared_utf8_is_read_as_cp1251_with_one_warning(server, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="salespipe.http")
    server.scripts["/names"] = [("raw", CP1251, "application/json; charset=utf-8")]
    client = make_client(sleeps, fallback_charset="cp1251")
    for _ in range(3):
        assert client.get_json(server.url + "/names", {"token": TOKEN}, stream="counterparties")[0] == NAMES
    [warning] = caplog.records  # once per stream, not per page
    assert warning.levelno == logging.WARNING and "1C stream=counterparties GET" in warning.getMessage()
    assert "declares utf-8: read it as cp1251" in warning.getMessage()
    assert_no_secret(caplog.text)


def test_a_cp1251_body_without_a_fallback_is_a_bad_response_naming_the_bytes(server, sleeps):
    server.scripts["/names"] = [("raw", CP1251, "application/json")]
    with pytest.raises(BadResponse) as caught:
        make_client(sleeps).get_json(server.url + "/names", {"token": TOKEN}, stream="counterparties")
    offset = CP1251.index("Иванов".encode("cp1251"))
    assert str(caught.value) == (
        f"1C stream=counterparties GET {server.url}/names?token=*** : bytes 0xC8 0xE2 0xE0 0xED… at offset "
        f"{offset} are not valid UTF-8"
    )
    assert sleeps == [] and server.calls["/names"] == 1  # the same bytes would come again


def test_bytes_valid_in_neither_charset_are_a_bad_response(server, sleeps):
    body = b'{"value": [{"Description": "\x98\x98"}]}'  # 0x98 is a hole in cp1251 and no UTF-8 start
    server.scripts["/names"] = [("raw", body, "application/json; charset=utf-8")]
    with pytest.raises(
        BadResponse, match=r"bytes 0x98 0x98 0x22 0x7D… at offset 28 are not valid UTF-8 nor cp1251$"
    ):
        make_client(sleeps, fallback_charset="cp1251").get_json(
            server.url + "/names", stream="counterparties"
        )


def test_the_declared_charset_is_used_and_utf8_is_the_default(server, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="salespipe.http")
    server.scripts["/declared"] = [("raw", CP1251, "application/json;charset=windows-1251")]
    utf8 = json.dumps(NAMES, ensure_ascii=False).encode()
    server.scripts["/plain"] = [("raw", b"\xef\xbb\xbf" + utf8, None)]  # no Content-Type, a BOM
    client = make_client(sleeps, fallback_charset="cp1251")
    assert client.get_json(server.url + "/declared", stream="a")[0] == NAMES
    assert client.get_json(server.url + "/plain", stream="b")[0] == NAMES
    assert caplog.records == []  # nothing fell back


def test_a_body_cut_inside_a_character_is_retried_as_cut_short(sleeps):
    whole = json.dumps(NAMES, ensure_ascii=False).encode()
    cut = whole[: whole.index("Иванов".encode()) + 1]  # half of "И"
    client = make_client(sleeps)
    client.session.mount("http://canned/", CannedAdapter([cut, whole], content_length=len(whole)))
    assert client.get_json("http://canned/x", stream="things")[0] == NAMES and len(sleeps) == 1


def test_cyrillic_username_is_sent_as_utf8(server, sleeps):
    server.scripts["/r"] = [("basic", f"Администратор:{PASSWORD}")]
    client = make_client(sleeps, auth=("Администратор", PASSWORD))
    assert client.get_json(server.url + "/r", stream="things")[0] == OK_BODY
    assert "Администратор" in repr(client.session.auth) and PASSWORD not in repr(client.session.auth)


def test_rate_limit_spaces_requests(server):
    client = make_client([], rate_limit_per_s=20.0, sleep=time.sleep)
    started = time.monotonic()
    for _ in range(5):
        client.get(server.url + "/ok", stream="things")
    assert time.monotonic() - started >= 0.19


def test_errors_pickle_and_stay_one_line():
    error = Timeout("1C", "shipments", "http://u:p@h/x?key=1", "no answer\nwithin 1s")
    clone = pickle.loads(pickle.dumps(error))
    assert (
        type(clone) is Timeout
        and str(clone) == str(error) == "1C stream=shipments GET http://h/x?key=*** : no answer within 1s"
    )
    assert isinstance(clone, SourceError) and clone.transient


def test_redact_url_decodes_and_masks():
    url = "https://bob:hunter2@example.com:8443/a/%D0%A2%D0%B5%D1%81%D1%82?$filter=Ref_Key%20eq%20guid'1'&password=x"
    assert redact_url(url) == "https://example.com:8443/a/Тест?$filter=Ref_Key eq guid'1'&password=***"


def test_utf8_basic_auth_header():
    request = requests.Request("GET", "http://h/").prepare()
    Utf8BasicAuth("Иван", "п").__call__(request)
    assert request.headers["Authorization"] == "Basic " + base64.b64encode("Иван:п".encode()).decode()


def assert_no_secret(*texts: str) -> None:
    secret_forms = (PASSWORD, TOKEN, base64.b64encode(f"odata:{PASSWORD}".encode()).decode())
    for text in texts:
        for secret in secret_forms:
            assert secret not in text
