"""The GX suites over landed amoCRM, website and Metrica data.

Real sandbox records are landed into a real DuckDB file through warehouse.landing; then one record per
check is broken (a copy of a clean record under a new key, with one field changed). Each broken record
must be named by exactly the check it breaks, with that check's severity, and by no other; the clean
records must be named by none. The last test runs the real flow: an error in a non-1C source stops
publish and says why.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pytest

from connectors.amocrm import client as amocrm
from connectors.amocrm.pages import merge_calls
from connectors.metrica import client as metrica
from connectors.website import client as website
from quality.runner import all_suites, run_quality
from sandbox.systems import store_of
from tests.pipeline_harness import SandboxPipeline
from warehouse.landing import Landing, ensure_meta

SPECS = {
    source: {spec.name: spec for spec in module.STREAMS}
    for source, module in (("amocrm", amocrm), ("website", website), ("metrica", metrica))
}
SAMPLE = 5  # clean records per activity stream: enough to share checks, few enough to read a failure
FUTURE = object()  # stands for "a month after the run's clock", written the way the source writes times
EXPECTATIONS = {
    "null": "ExpectColumnValuesToBeNull",
    "present": "ExpectColumnValuesToNotBeNull",
    "between": "ExpectColumnValuesToBeBetween",
    "in_set": "ExpectColumnValuesToBeInSet",
    "unique": "ExpectColumnValuesToBeUnique",
    "pair": "ExpectColumnPairValuesAToBeGreaterThanB",
}


@dataclass(frozen=True)
class Break:
    """A check, and how a copy of a clean record (under a new key) is changed to fail it.

    `check` reads "<suite's stream> <expectation> <column> [warning]" (the record is landed in that
    stream, or in the one whose lines the suite reads); a change's value may be FUTURE or a
    function of the re-keyed record. `twin` makes a second record, the first one's key spelled another way
    (a uniqueness check needs two). `keys` says how the suite names the record when it is not its key
    (line-level suites)."""

    name: str
    check: str
    changes: dict
    twin: dict | None = None
    keys: Callable[[dict], list[str]] | None = None


@dataclass(frozen=True)
class Case:
    """Broken records as landed, the keys the suite names them by, and the one check they must fail."""

    name: str
    stream: str
    records: list[dict]
    keys: list[str]
    check: tuple[str, str, str, str]  # (suite, expectation, column, severity)


# ---- landing ---------------------------------------------------------------------------------------------
@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    ensure_meta(connection)
    yield connection
    connection.close()


def land(con, source: str, streams: dict[str, list[dict]]) -> None:
    landing = Landing(con, run_id="r1", source=source, schema=f"raw_{source}")
    for stream, records in streams.items():
        landing.open_stream(stream)
        landing.land_page(SPECS[source][stream], records, None)


def now_of(company) -> dt.datetime:
    """The run's clock: a day after the sandbox's as-of date (its records end that evening)."""
    return dt.datetime.combine(company.as_of_date, dt.time()) + dt.timedelta(days=2)


def changed(record: dict, **fields) -> dict:
    result = copy.deepcopy(record)
    result.update(fields)
    return result


# ---- the clean records -------------------------------------------------------------------------------------
def clean_amocrm(company) -> dict[str, list[dict]]:
    store = store_of(company, "amocrm")
    calls = [call for page in merge_calls([store["lead_notes"][:SAMPLE]], [], 100) for call in page]
    streams = {name: store[name] for name in ("users", "pipelines", "loss_reasons")}
    streams |= {name: store[name][:SAMPLE] for name in ("leads", "contacts", "events", "tasks")}
    return streams | {"calls": calls}


def clean_website(company) -> dict[str, list[dict]]:
    orders = store_of(company, "website")["orders"][:SAMPLE]
    # A trashed order is an order like any other (the shop's admin binned it): no check may flag it.
    trashed = changed(orders[0], id=orders[0]["id"] + 900_000, number=str(orders[0]["id"] + 900_000))
    trashed["status"] = "trash"
    return {"orders": [*orders, trashed]}


def visit_record(row: dict) -> dict:
    """A Metrica row as the connector lands it (a missing UTM tag is "")."""
    record = {field: row.get(field) or "" for field in metrica.KEY_FIELDS}
    return record | {"traffic_source_name": None, "visits": row["visits"], "users": row["users"]}


def clean_metrica(company) -> dict[str, list[dict]]:
    return {"visits": [visit_record(row) for row in store_of(company, "metrica")["visits"][:SAMPLE]]}


# ---- the broken records ------------------------------------------------------------------------------------
def _order_line(record: dict) -> list[str]:
    return [f"{record['id']}/{record['line_items'][0]['id']}"]


def _first_line(**fields) -> Callable[[dict], list]:
    return lambda order: [{**order["line_items"][0], **fields}, *order["line_items"][1:]]


def _stages(change: Callable[[list], list]) -> Callable[[dict], dict]:
    return lambda pipeline: {"statuses": change(copy.deepcopy(pipeline["_embedded"]["statuses"]))}


def _stage_key(index: int, times: int = 1) -> Callable[[dict], list[str]]:
    return lambda pipeline: [f"{pipeline['id']}/{pipeline['_embedded']['statuses'][index]['id']}"] * times


ZERO_PADDED_ID = {"id": lambda record: f"0{record['id']}"}
LINES_OF = {"pipeline_statuses": "pipelines", "order_lines": "orders"}  # line-level suite → landed stream
BREAKS = {
    "amocrm": [
        Break("price not numeric", "leads null price_not_numeric", {"price": "12 000 руб"}),
        Break("negative price", "leads between price", {"price": -500}),
        Break("impossible price", "leads between price", {"price": 5_000_000_000_000}),
        Break("price over DECIMAL(18, 2)", "leads null price_not_numeric", {"price": 9.99e17}),
        Break("created in 1900", "leads between created_at", {"created_at": -2208988800, "closed_at": None}),
        Break("contact name as cp1251 mojibake", "contacts null names_garbled",
              {"name": "Р˜РІР°РЅРѕРІ Р˜РІР°РЅ"}),
        Break("contact name lost to U+FFFD", "contacts null names_garbled",
              {"first_name": "\ufffd\ufffd\ufffd\ufffd"}),
        Break("user name as latin-1 mojibake", "users null names_garbled", {"name": "Ð\x90Ð½Ð½Ð°"}),
        Break("pipeline name garbled", "pipelines null names_garbled", {"name": "Ð\x9fÑ\x80Ð¾Ð´Ð°Ð¶Ð¸"}),
        Break("loss reason garbled", "loss_reasons null names_garbled", {"name": "Р”РѕСЂРѕРіРѕ"}),
        Break("no created_at", "leads present created_at", {"created_at": None}),
        Break("created in the future", "leads between created_at", {"created_at": FUTURE, "closed_at": None}),
        Break("closed in the future", "leads between closed_at", {"closed_at": FUTURE}),
        Break("closed before created", "leads pair created_at<=closed_at warning",
              {"closed_at": lambda lead: lead["created_at"] - 3600}),
        Break("unknown status", "leads null unknown_status", {"status_id": 99_999}),
        Break("unknown manager", "leads null unknown_manager warning", {"responsible_user_id": 777}),
        Break("id not integer", "leads present id", {"id": "лид-1"}),
        Break("loss reason not integer", "leads null fields_not_integer", {"loss_reason_id": "дорого"}),
        Break("closed_at not unix", "leads null times_not_unix", {"closed_at": "2024-05-01"}),
        Break("one id twice", "leads unique id", {}, twin=ZERO_PADDED_ID),
        Break("no phone or email", "contacts in_set has_phone_or_email warning",
              {"custom_fields_values": None}),
        Break("created_at zero", "contacts present created_at", {"created_at": 0}),
        Break("contact created in the future", "contacts between created_at", {"created_at": FUTURE}),
        Break("contact by no integer", "contacts null fields_not_integer", {"created_by": "Анна"}),
        Break("contact updated_at not unix", "contacts null times_not_unix", {"updated_at": "вчера"}),
        Break("contact id twice", "contacts unique id", {}, twin=ZERO_PADDED_ID),
        Break("contact id not integer", "contacts present id", {"id": "контакт"}),
        Break("unknown event type", "events in_set type warning", {"type": "lead_added"}),
        Break("event of no entity", "events present entity_id", {"entity_id": None}),
        Break("event in the future", "events between created_at", {"created_at": FUTURE}),
        Break("event by no integer", "events null fields_not_integer", {"created_by": "робот"}),
        Break("event without a time", "events present created_at", {"created_at": None}),
        Break("status change to nothing", "events null status_change_without_status",
              {"value_after": []}),
        Break("status change to a deleted stage", "events null unknown_status_after warning",
              {"value_after": lambda event: [{"lead_status": {**event["value_after"][0]["lead_status"],
                                                              "id": 61_989_999}}]}),
        Break("negative duration", "calls between duration",
              {"params": lambda call: {**call["params"], "duration": -5}}),
        Break("unknown call status", "calls in_set call_status warning",
              {"params": lambda call: {**call["params"], "call_status": 9}}),
        Break("not a call", "calls in_set note_type", {"note_type": "sms_in"}),
        Break("call in the future", "calls between created_at", {"created_at": FUTURE}),
        Break("call by no integer", "calls null fields_not_integer", {"created_by": "робот"}),
        Break("call updated_at not unix", "calls null times_not_unix", {"updated_at": "вчера"}),
        Break("call without a time", "calls present created_at", {"created_at": None}),
        Break("is_completed not boolean", "tasks null is_completed_not_boolean", {"is_completed": "maybe"}),
        Break("updated in the future", "tasks between updated_at", {"updated_at": FUTURE}),
        Break("complete_till not unix", "tasks null times_not_unix", {"complete_till": "завтра"}),
        Break("task created in the future", "tasks between created_at", {"created_at": FUTURE}),
        Break("task type not integer", "tasks null fields_not_integer", {"task_type_id": "звонок"}),
        Break("task id twice", "tasks unique id", {}, twin=ZERO_PADDED_ID),
        Break("task without a time", "tasks present created_at", {"created_at": None}),
        Break("task id not integer", "tasks present id", {"id": "задача"}),
        Break("user without a name", "users present name warning", {"name": " "}),
        Break("loss reason id not integer", "loss_reasons present id", {"id": "x1"}),
        Break("user id twice", "users unique id", {}, twin=ZERO_PADDED_ID),
        Break("user id not integer", "users present id", {"id": "admin"}),
        Break("loss reason id twice", "loss_reasons unique id", {}, twin=ZERO_PADDED_ID),
        Break("loss reason without a name", "loss_reasons present name warning", {"name": ""}),
        Break("pipeline id twice", "pipelines unique id", {}, twin=ZERO_PADDED_ID),
        Break("pipeline id not integer", "pipelines present id", {"id": "воронка"}),
        Break("pipeline without a name", "pipelines present name warning", {"name": ""}),
        Break("stage id not integer", "pipeline_statuses present status_id",
              {"_embedded": _stages(lambda stages: [stages[0], {**stages[1], "id": "этап"}, *stages[2:]])},
              keys=_stage_key(1)),
        Break("stage listed twice", "pipeline_statuses unique pipeline_status_id",
              {"_embedded": _stages(lambda stages: [stages[0], stages[1], *stages[1:]])},
              keys=_stage_key(1, times=2)),
        Break("stage without a name", "pipeline_statuses present name warning",
              {"_embedded": _stages(lambda stages: [stages[0], {**stages[1], "name": ""}, *stages[2:]])},
              keys=_stage_key(1)),
    ],
    "website": [
        Break("total not numeric", "orders null amounts_not_numeric", {"total": "7 046,30"}),
        Break("negative total", "orders between total", {"total": "-10.00"}),
        Break("impossible total", "orders between total", {"total": "2000000000000.00"}),
        Break("total over DECIMAL(18, 2)", "orders null amounts_not_numeric", {"total": "9.99e17"}),
        Break("created in 1900", "orders between created_at", {"date_created_gmt": "1900-01-01T10:00:00"}),
        Break("buyer name lost to U+FFFD", "orders null names_garbled",
              {"billing": lambda order: {**order["billing"], "first_name": "\ufffd" * 5}}),
        Break("buyer name cp1251 read as latin-1", "orders null names_garbled",
              {"billing": lambda order: {**order["billing"], "last_name": "Èâàíîâà"}}),
        Break("impossible line total", "order_lines between total",
              {"line_items": _first_line(total="5000000000000.00")}, keys=_order_line),
        Break("created_gmt unparseable", "orders null dates_not_parseable",
              {"date_created_gmt": "31.12.2025 10:00"}),
        Break("created in the future", "orders between created_at", {"date_created_gmt": FUTURE}),
        Break("completed in the future", "orders between completed_at", {"date_completed_gmt": FUTURE}),
        Break("completed without a date", "orders in_set completed_has_date warning",
              {"date_completed": None, "date_completed_gmt": None}),
        Break("plugin status", "orders in_set status warning", {"status": "delivered"}),
        Break("no status", "orders present status", {"status": None}),
        Break("no number", "orders present number", {"number": ""}),
        Break("no creation date", "orders present created_at", {"date_created": "", "date_created_gmt": ""}),
        Break("order id not integer", "orders present id", {"id": "заказ"}),
        Break("negative line quantity", "order_lines between quantity",
              {"line_items": _first_line(quantity=-1)}, keys=_order_line),
        Break("another currency", "orders in_set currency", {"currency": "USD"}),
        Break("no phone or email", "orders in_set has_phone_or_email warning",
              {"billing": lambda order: {**order["billing"], "phone": "", "email": ""}}),
        Break("one id twice", "orders unique id", {}, twin=ZERO_PADDED_ID),
        Break("line quantity not numeric", "order_lines null numbers_not_numeric",
              {"line_items": _first_line(quantity="два")}, keys=_order_line),
        Break("negative line total", "order_lines between total",
              {"line_items": _first_line(total="-5.00")}, keys=_order_line),
    ],
    "metrica": [
        Break("date unparseable", "visits present visit_date", {"date": "2024-13-45"}),
        Break("date in the future", "visits between visit_date", {"date": FUTURE}),
        Break("negative visits", "visits between visits", {"visits": -3, "users": None}),
        Break("negative users", "visits between users", {"users": -1}),
        Break("more users than visits", "visits pair users<=visits", {"visits": 2, "users": 3}),
        Break("visits not a number", "visits present visits", {"visits": "много"}),
        Break("sampled visits", "visits null visits_fractional warning", {"visits": 12.5, "users": 1}),
        Break("unknown traffic source", "visits in_set traffic_source_id warning",
              {"traffic_source_id": "tiktok"}),
        Break("one grain twice", "visits unique grain", {},
              twin={"date": lambda visit: visit["date"] + "T00:00:00"}),
    ],
}  # fmt: skip


def rekeyed(source: str, stream: str, record: dict, number: int) -> dict:
    """A copy of a clean record under a key no clean record has."""
    record = copy.deepcopy(record)
    if stream == "calls":
        record["params"]["uniq"] = f"broken-call-{number}"
    elif stream == "events":
        record["id"] = f"broken-event-{number}"
    elif source == "amocrm":
        record["id"] = 99_000_000 + number
    elif source == "website":
        record["id"], record["number"] = 990_000 + number, str(990_000 + number)
    else:
        record["utm_campaign"] = f"broken-{number}"
    return record


def future_value(source: str, now: dt.datetime):
    moment = now + dt.timedelta(days=30)
    return {
        "amocrm": int(moment.replace(tzinfo=dt.UTC).timestamp()),
        "website": moment.strftime("%Y-%m-%dT%H:%M:%S"),
        "metrica": moment.date().isoformat(),
    }[source]


def apply(record: dict, changes: dict, future) -> dict:
    result = copy.deepcopy(record)
    for field, value in changes.items():
        result[field] = future if value is FUTURE else value(record) if callable(value) else value
    return result


def cases(source: str, clean: dict[str, list[dict]], now: dt.datetime) -> list[Case]:
    built = []
    for number, rule in enumerate(BREAKS[source], start=1):
        suite_stream, expectation, column, *severity = rule.check.split()
        stream = LINES_OF.get(suite_stream, suite_stream)
        record = apply(
            rekeyed(source, stream, clean[stream][0], number), rule.changes, future_value(source, now)
        )
        records = [record] + ([apply(record, rule.twin, None)] if rule.twin else [])
        key_of = rule.keys or (lambda r, spec=SPECS[source][stream]: [spec.key_of(r)])
        check = (f"{source}.{suite_stream}", EXPECTATIONS[expectation], column, (severity or ["error"])[0])
        built.append(Case(rule.name, stream, records, [k for r in records for k in key_of(r)], check))
    return built


# ---- reading the report ----------------------------------------------------------------------------------
def named_records(con, report, now) -> dict[str, set[tuple]]:
    """Record key → the failed checks (suite, expectation, column, severity) that name it."""
    keys = {suite.suite: suite.key for suite in all_suites(con, now)}
    named: dict[str, set[tuple]] = {}
    for result in report.errors + report.warnings:
        check = (result.suite, result.expectation, result.column, result.severity)
        for example in json.loads(result.details):
            named.setdefault(str(example[keys[result.suite]]), set()).add(check)
    return named


def assert_each_case_fails_exactly_its_check(con, cases: list[Case], now):
    report = run_quality(con, "r1", now=now)
    named = named_records(con, report, now)
    wrong = {
        case.name: named.get(key, set())
        for case in cases
        for key in case.keys
        if named.get(key, set()) != {case.check}
    }
    assert wrong == {}, f"cases not failing exactly their check: {wrong}"
    expected_keys = {key for case in cases for key in case.keys}
    assert set(named) == expected_keys, f"records named that no case broke: {set(named) - expected_keys}"
    # Every failure is fully accounted for (details show only three examples).
    for result in report.errors + report.warnings:
        check = (result.suite, result.expectation, result.column, result.severity)
        assert result.unexpected_count == sum(len(c.keys) for c in cases if c.check == check), result.line()


def land_with_cases(con, source: str, clean: dict[str, list[dict]], cases: list[Case]) -> None:
    streams = {stream: list(records) for stream, records in clean.items()}
    for case in cases:
        streams[case.stream] += case.records
    land(con, source, streams)


# ---- the tests -------------------------------------------------------------------------------------------
def test_the_sandbox_records_of_every_source_pass_every_check(con, company):
    now = now_of(company)
    land(con, "amocrm", clean_amocrm(company))
    land(con, "website", clean_website(company))
    land(con, "metrica", clean_metrica(company))
    suites = all_suites(con, now)
    report = run_quality(con, "r1", now=now)
    assert [r.line() for r in report.results if not r.success] == []
    assert len(report.results) == sum(len(suite.checks) for suite in suites)
    landed = {
        f"{schema.removeprefix('raw_')}.{table}"
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables where table_schema like 'raw%'"
        ).fetchall()
    }
    assert landed <= {suite.suite for suite in suites}, "every landed stream has its suite"
    stored = con.execute(
        "select count(*), count(*) filter (where success) from meta.quality_results"
    ).fetchone()
    assert stored == (len(report.results), len(report.results))


CLEAN = {"amocrm": clean_amocrm, "website": clean_website, "metrica": clean_metrica}


@pytest.mark.parametrize("source", CLEAN)
def test_each_broken_record_fails_exactly_its_check_and_is_named(con, company, source):
    now = now_of(company)
    clean = CLEAN[source](company)
    broken = cases(source, clean, now)
    land_with_cases(con, source, clean, broken)
    assert_each_case_fails_exactly_its_check(con, broken, now)


def test_the_error_lines_name_source_stream_and_record(con, company):
    now = now_of(company)
    clean = clean_website(company)
    broken = [case for case in cases("website", clean, now) if case.name == "total not numeric"]
    land_with_cases(con, "website", clean, broken)
    report = run_quality(con, "r1", now=now)
    [line] = [r.line() for r in report.errors]
    assert line.startswith("ERROR website.orders: ExpectColumnValuesToBeNull(amounts_not_numeric)")
    assert f'"order_id": "{broken[0].keys[0]}"' in line and "total=7 046,30" in line


@pytest.mark.integration
def test_an_error_in_a_crm_or_site_source_stops_publish_and_says_why(tmp_path, company):
    pipeline = SandboxPipeline.for_company(tmp_path / "site", company, sources=("website",))
    try:
        simulator = pipeline.landscape.simulators["website"]
        with simulator.store_lock:
            orders = simulator.store["orders"]
            broken = changed(orders[0], total="7 046,30 руб")
            simulator.store["orders"] = [broken, *orders[1:]]
        ok, summary = pipeline.run(company.as_of_date.isoformat())
    finally:
        pipeline.close()
    assert not ok
    problem = summary["problem"]
    assert problem.startswith("quality errors, publish stopped: ERROR website.orders:"), problem
    assert f'"order_id": "{broken["id"]}"' in problem and "amounts_not_numeric" in problem
    assert "dbt" not in summary and "publish" not in summary
    assert not pipeline.serving_file.exists()


def test_docs_quality_lists_every_check_as_declared():
    from quality.catalog import DOC, documented_table, every_suite, table

    undocumented = [
        f"{s.suite} {c.expectation}({c.column})" for s in every_suite() for c in s.checks if not c.why
    ]
    assert undocumented == [], "every check says why it matters"
    assert documented_table(DOC.read_text(encoding="utf-8")) == table(), (
        "docs/QUALITY.md is stale: run .venv/bin/python -m quality.catalog --write"
    )


def test_every_check_of_these_sources_has_a_record_that_breaks_it():
    from quality.catalog import every_suite

    declared = {
        (suite.suite, check.expectation, check.column, check.severity)
        for suite in every_suite()
        if suite.suite.split(".")[0] in BREAKS
        for check in suite.checks
    }
    broken = {
        (f"{source}.{stream}", EXPECTATIONS[expectation], column, (severity or ["error"])[0])
        for source, rules in BREAKS.items()
        for stream, expectation, column, *severity in (rule.check.split() for rule in rules)
    }
    assert declared - broken == set(), "checks no test breaks"
    assert broken - declared == set(), "cases for checks that do not exist"
