"""The CRM pipeline models and marts on hand-made raw amoCRM rows (docs/METRICS.md, the CRM metrics).

As of 2024-03-31 (Europe/Moscow, UTC+3: the as-of moment is 2024-03-31 21:00 UTC). Pipeline 10 «Продажи»
has stages S1 → S2 → S3, pipeline 20 «Интернет-магазин» N1 → N2. Times below are UTC.

  L1  S1 01-10 09:00 → S2 09:10 → S3 01-12 09:00 → won 01-31 21:30 (01 Feb 00:30 in Moscow)  10 000
  L2  S1 01-15 10:00 → S2 12:00 → lost 01-25 10:00, «Дорого»                                  5 000
  L3  S1 02-01 00:00 → S2 06:00 → S3 02-03 00:00 → won 02-05 00:00                           20 000
  L4  S1 02-10 08:00 → lost 02-11 08:00, no reason                                            6 000
  L5  S1 03-01 09:00 → S2 10:00, open (30.46 days in S2 at the as-of moment: stuck)          8 000
  L6  S1 03-20 09:00 → S2 09:05 → S3 03-30 09:00, open (1.5 days in S3: not stuck)           30 000
  L7  S1 03-05 09:00 → S2 12:00, deleted 03-06 (would be stuck, open and counted otherwise)  99 999
  L8  N1 03-31 22:00 — created after the as-of moment: nowhere                                  700
  L9  N1 03-31 20:30, never moved (its history is its current status), open                   1 500
  L10 N1 02-20 10:00 → N2 11:00 → won 02-25 10:00                                            3 000
  and a status event of a lead that was never landed (999): ignored.

First responses: L1 call_out by its manager after 5 min (a client's call_in before it does not count);
L2 a task completed after 20 min (a colleague's call_out at 3 min does not count); L3 call_out after 30
min (one before the lead was created does not count); L5 a task after 10 min beats a call after 12; L6 a
call after exactly 15 min (within the SLA); L10 a call after 45 min; L4 and L9 none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.dbt_harness import build_and_open

PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_project"
SALES, SHOP = 10, 20
S1, S2, S3, N1, N2, WON, LOST = 101, 102, 103, 201, 202, 142, 143
PRICE = {1: 10000, 2: 5000, 3: 20000, 4: 6000, 5: 8000, 6: 30000, 7: 99999, 8: 700, 9: 1500, 10: 3000}
OLGA, IVAN = 11, 12
MARTS = [
    "sales_pipeline_stages",
    "sales_pipeline",
    "sales_pipeline_total",
    "stuck_deals",
    "loss_reasons",
    "lead_response",
    "calls",
]


def unix(text: str) -> int:
    return int(dt.datetime.fromisoformat(f"2024-{text}").replace(tzinfo=dt.UTC).timestamp())


def days(start: str, end: str) -> float:
    return (unix(end) - unix(start)) / 86400


def p(values: list[float], q: float) -> float:
    """Continuous quantile, as DuckDB's quantile_cont."""
    values, position = sorted(values), q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (position - low) * (values[high] - values[low])


# ---- the lead histories: (lead, pipeline, responsible, [(status, at)], loss reason) ---------------------
HISTORIES = [
    (1, SALES, OLGA, [(S1, "01-10 09:00"), (S2, "01-10 09:10"), (S3, "01-12 09:00"), (WON, "01-31 21:30")]),
    (2, SALES, OLGA, [(S1, "01-15 10:00"), (S2, "01-15 12:00"), (LOST, "01-25 10:00")], 7701),
    (3, SALES, IVAN, [(S1, "02-01 00:00"), (S2, "02-01 06:00"), (S3, "02-03 00:00"), (WON, "02-05 00:00")]),
    (4, SALES, IVAN, [(S1, "02-10 08:00"), (LOST, "02-11 08:00")]),
    (5, SALES, OLGA, [(S1, "03-01 09:00"), (S2, "03-01 10:00")]),
    (6, SALES, OLGA, [(S1, "03-20 09:00"), (S2, "03-20 09:05"), (S3, "03-30 09:00")]),
    (7, SALES, OLGA, [(S1, "03-05 09:00"), (S2, "03-05 12:00")]),
    (8, SHOP, IVAN, [(N1, "03-31 22:00")]),
    (9, SHOP, IVAN, [(N1, "03-31 20:30")]),
    (10, SHOP, IVAN, [(N1, "02-20 10:00"), (N2, "02-20 11:00"), (WON, "02-25 10:00")]),
]


def lead_records() -> list[dict]:
    records = []
    for lead_id, pipeline, user, moves, *reason in HISTORIES:
        status, last = moves[-1]
        records.append(
            {
                "id": lead_id,
                "name": f"Сделка {lead_id}",
                "price": PRICE[lead_id],
                "responsible_user_id": user,
                "status_id": status,
                "pipeline_id": pipeline,
                "loss_reason_id": reason[0] if reason else None,
                "created_by": user,
                "created_at": unix(moves[0][1]),
                "updated_at": unix(last),
                "closed_at": unix(last) if status in (WON, LOST) else None,
                "is_deleted": False,
                "_embedded": {"contacts": [{"id": 500 + lead_id, "is_main": True}]},
            }
        )
    return records


def status_event(event_id: str, lead_id: int, pipeline: int, before: int, after: int, at: str) -> dict:
    return {
        "id": event_id,
        "type": "lead_status_changed",
        "entity_id": lead_id,
        "entity_type": "lead",
        "created_by": OLGA,
        "created_at": unix(at),
        "value_before": [{"lead_status": {"id": before, "pipeline_id": pipeline}}],
        "value_after": [{"lead_status": {"id": after, "pipeline_id": pipeline}}],
    }


def event_records() -> list[dict]:
    events = []
    for lead_id, pipeline, _, moves, *_ in HISTORIES:
        for i, ((before, _), (after, at)) in enumerate(zip(moves, moves[1:], strict=False)):
            events.append(status_event(f"01e{lead_id:03d}{i}", lead_id, pipeline, before, after, at))
    events.append(status_event("01e9990", 999, SALES, S1, S2, "02-02 10:00"))  # a lead never landed
    events.append(
        {"id": "01d007", "type": "lead_deleted", "entity_id": 7, "entity_type": "lead", "created_by": OLGA}
        | {"created_at": unix("03-06 10:00"), "value_before": [], "value_after": []}
    )
    return events


def call(
    uniq: str, lead_id: int | None, by: int, at: str, kind: str = "call_out", duration: int = 60
) -> dict:
    return {
        "id": 9000 + len(uniq) * 100 + int(uniq[1:]),
        "entity_id": lead_id or 777,
        "created_by": by,
        "created_at": unix(at),
        "updated_at": unix(at),
        "responsible_user_id": by,
        "note_type": kind,
        "params": {
            "uniq": uniq,
            "duration": duration,
            "phone": "+79123456789",
            "call_status": 4 if duration else 6,
        },
        "lead_id": lead_id,
        "contact_id": 777 if lead_id is None else 500 + lead_id,
    }


CALLS = [
    call("C1", 1, OLGA, "01-10 09:01", "call_in"),  # the client calls first: not a response
    call("C2", 1, OLGA, "01-10 09:05"),
    call("C3", 2, IVAN, "01-15 10:03"),  # a colleague, not the responsible manager
    call("C4", 2, OLGA, "01-15 10:30"),
    call("C5", 3, IVAN, "01-31 23:00"),  # before the lead was created
    call("C6", 3, IVAN, "02-01 00:30", duration=0),  # not talked: still a response (a call was made)
    call("C7", 5, OLGA, "03-01 09:12"),
    call("C8", 6, OLGA, "03-20 09:15"),
    call("C9", 7, OLGA, "03-05 09:30"),  # on the deleted lead
    call("C10", 10, IVAN, "02-20 10:45"),
    call("C11", None, IVAN, "03-10 12:00", "call_in"),  # about no deal
    call("C12", 6, OLGA, "04-01 10:00"),  # after the as-of moment
]


def task(task_id: int, lead_id: int, created: str, done: str | None) -> dict:
    return {
        "id": task_id,
        "entity_type": "leads",
        "entity_id": lead_id,
        "task_type_id": 1,
        "responsible_user_id": OLGA,
        "created_by": 0,
        "is_completed": done is not None,
        "result": {"text": "Готово"} if done else {},
        "complete_till": unix("04-30 00:00"),
        "created_at": unix(created),
        "updated_at": unix(done or created),
    }


TASKS = [
    task(301, 2, "01-15 10:05", "01-15 10:20"),
    task(302, 4, "02-10 08:05", None),  # never done
    task(303, 5, "03-01 09:02", "03-01 09:10"),
    task(304, 1, "01-10 10:00", "01-11 10:00"),  # after the first response
]


def statuses(pipeline: int, stages: list[tuple[int, str]]) -> dict:
    rows = [{"id": s, "name": name, "sort": 10 * (i + 1), "type": 0} for i, (s, name) in enumerate(stages)]
    rows += [
        {"id": WON, "name": "Успешно реализовано", "sort": 10000},
        {"id": LOST, "name": "Закрыто", "sort": 11000},
    ]
    return {"id": pipeline, "_embedded": {"statuses": [r | {"pipeline_id": pipeline} for r in rows]}}


AMOCRM = {
    "users": [{"id": OLGA, "name": "Петрова Ольга"}, {"id": IVAN, "name": "Сидоров Иван"}],
    "pipelines": [
        statuses(SALES, [(S1, "Неразобранное"), (S2, "Новая заявка"), (S3, "КП")]) | {"name": "Продажи"},
        statuses(SHOP, [(N1, "Новый заказ"), (N2, "Подтверждён")]) | {"name": "Интернет-магазин"},
    ],
    "loss_reasons": [{"id": 7701, "name": "Дорого", "sort": 1}],
    "leads": lead_records(),
    "events": event_records(),
    "calls": CALLS,
    "tasks": TASKS,
}


def land_fixture(path: Path) -> None:
    from flows.sources import ensure_raw_tables
    from warehouse.landing import ensure_meta

    con = duckdb.connect(str(path))
    ensure_meta(con)
    ensure_raw_tables(con)
    seq = 0
    for stream, records in AMOCRM.items():
        rows = []
        for record in records:
            seq += 1
            text = json.dumps(record, ensure_ascii=False)
            key = record["params"]["uniq"] if stream == "calls" else str(record["id"])
            digest = hashlib.md5(text.encode()).hexdigest()
            rows.append((key, None, text, digest, False, "run-1", dt.datetime(2024, 4, 1), seq))
        con.executemany(f"insert into raw_amocrm.{stream} values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt_pipeline")
    db_path = tmp / "warehouse.duckdb"
    land_fixture(db_path)
    # only these marts and what they need: other marts' fixtures are not this file's business
    select = ("--select", " ".join(f"+{name}" for name in MARTS), "--indirect-selection", "cautious")
    con = build_and_open(db_path, tmp, {"as_of_date": "2024-03-31", "timezone": "Europe/Moscow"}, select)
    yield con
    con.close()


def rows(con, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def stage_rows(con, month: str | None = None) -> dict:
    where = f"and month = '{month}'" if month else ""
    found = rows(
        con,
        "select status_id, sum(deals_entered) as entered, sum(deals_advanced) as advanced, "
        "sum(deals_lost_from_stage) as lost, sum(deals_still_in_stage) as still, "
        "any_value(stage_conversion) as conversion, any_value(median_days_in_stage) as median, "
        "any_value(p90_days_in_stage) as p90, any_value(open_deals) as open_deals, "
        "any_value(win_probability) as win_probability, any_value(weighted_amount) as weighted "
        f"from marts.sales_pipeline_stages where true {where} group by status_id",
    )
    return {row.pop("status_id"): row for row in found}


def test_stage_history_follows_the_events(marts):
    visits = marts.execute(
        "select lead_id, list(status_id order by visit_number), list(next_status_id order by visit_number) "
        "from transform.int_lead_stage_history group by lead_id order by lead_id"
    ).fetchall()
    assert [v[0] for v in visits] == [1, 2, 3, 4, 5, 6, 9, 10]  # deleted 7, late 8 and unlanded 999 out
    assert visits[0][1:] == ([S1, S2, S3, WON], [S2, S3, WON, None])  # won stage by stage
    assert visits[1][1:] == ([S1, S2, LOST], [S2, LOST, None])
    assert visits[6][1:] == ([N1], [None])  # no events: the current status
    entered, left, seconds = marts.execute(
        "select entered_at, left_at, seconds_in_stage from transform.int_lead_stage_history "
        "where lead_id = 1 and status_id = 102"
    ).fetchone()
    assert (entered, left) == (dt.datetime(2024, 1, 10, 9, 10), dt.datetime(2024, 1, 12, 9, 0))
    assert seconds == 2 * 86400 - 10 * 60


def test_stage_conversion_over_all_months(marts):
    stages = stage_rows(marts)
    assert {s: (r["entered"], r["advanced"], r["lost"], r["still"]) for s, r in stages.items()} == {
        S1: (6, 5, 1, 0),
        S2: (5, 3, 1, 1),
        S3: (3, 2, 0, 1),
        N1: (2, 1, 0, 1),
        N2: (1, 1, 0, 0),
    }


def test_stage_conversion_and_time_in_stage_by_month(marts):
    january = stage_rows(marts, "2024-01-01")
    assert (january[S2]["entered"], january[S2]["advanced"], january[S2]["conversion"]) == (2, 1, 0.5)
    s1_stays = [days("01-10 09:00", "01-10 09:10"), days("01-15 10:00", "01-15 12:00")]
    assert january[S1]["median"] == pytest.approx((s1_stays[0] + s1_stays[1]) / 2)
    assert january[S1]["p90"] == pytest.approx(s1_stays[0] + 0.9 * (s1_stays[1] - s1_stays[0]))
    march = stage_rows(marts, "2024-03-01")
    assert march[S2]["median"] == pytest.approx(days("03-20 09:05", "03-30 09:00"))  # L5 still there
    assert (march[S3]["entered"], march[S3]["conversion"], march[S3]["median"]) == (1, 0.0, None)


def test_win_rate_by_count_and_amount_in_local_months(marts):
    found = {
        (str(r["month"]), r["pipeline_name"]): r
        for r in rows(
            marts,
            "select * from marts.sales_pipeline union all by name select * from marts.sales_pipeline_total",
        )
    }
    january, february = found["2024-01-01", None], found["2024-02-01", None]
    # L1 closed at 21:30 UTC on 31 January = 00:30 on 1 February in Moscow: a February win
    assert (january["won_deals"], january["lost_deals"], january["win_rate_count"]) == (0, 1, 0.0)
    assert (february["won_deals"], february["lost_deals"]) == (3, 1)
    assert (february["won_amount"], february["lost_amount"]) == (Decimal("33000.00"), Decimal("6000.00"))
    assert february["win_rate_count"] == 0.75
    assert february["win_rate_amount"] == pytest.approx(33000 / 39000)
    sales = found["2024-02-01", "Продажи"]
    assert (sales["won_deals"], sales["lost_deals"], sales["win_rate_amount"]) == (
        2,
        1,
        pytest.approx(30000 / 36000),
    )
    assert found["2024-03-01", None]["win_rate_count"] is None  # nothing closed in March


def test_sales_cycle_median(marts):
    cycles = [days("01-10 09:00", "01-31 21:30"), days("02-01 00:00", "02-05 00:00"), 5.0]
    (month, to_date), *_ = marts.execute(
        "select median_cycle_days, median_cycle_days_to_date from marts.sales_pipeline_total "
        "where month = '2024-02-01'"
    ).fetchall()
    assert month == to_date == pytest.approx(sorted(cycles)[1])
    assert cycles[0] == pytest.approx(21 + 12.5 / 24)
    (sales_to_date,) = marts.execute(
        "select median_cycle_days_to_date from marts.sales_pipeline "
        "where pipeline_name = 'Продажи' and month = '2024-03-01'"
    ).fetchone()
    assert sales_to_date == pytest.approx((cycles[0] + cycles[1]) / 2)


def test_weighted_forecast_from_stage_win_probabilities(marts):
    benchmarks = dict(
        marts.execute("select status_id, win_probability from transform.int_lead_stage_benchmarks").fetchall()
    )
    # closed deals through S1: L1 won, L2 lost, L3 won, L4 lost; through S2: L1, L2, L3; S3: L1, L3
    assert benchmarks == {S1: 0.5, S2: pytest.approx(2 / 3), S3: 1.0, N1: 1.0, N2: 1.0}
    total = rows(
        marts,
        "select open_deals, open_amount, weighted_amount from marts.sales_pipeline_total "
        "where month = '2024-03-01'",
    )
    # L5 8 000 in S2 × 2/3 + L6 30 000 in S3 × 1 + L9 1 500 in N1 × 1 (deleted L7 and late L8 are out)
    assert total == [
        {"open_deals": 3, "open_amount": Decimal("39500.00"), "weighted_amount": Decimal("36833.33")}
    ]
    # at the end of January (21:00 UTC) L1 still sat in S3: it was won half an hour later
    january = stage_rows(marts, "2024-01-01")
    assert (january[S3]["open_deals"], january[S3]["weighted"]) == (1, Decimal("10000.00"))
    assert stage_rows(marts, "2024-02-01")[S2]["open_deals"] == 0


def test_stuck_deals_exceed_the_stage_p90(marts):
    s2_stays = [
        days("01-10 09:10", "01-12 09:00"),
        days("01-15 12:00", "01-25 10:00"),
        days("02-01 06:00", "02-03 00:00"),
        days("03-20 09:05", "03-30 09:00"),
    ]
    stuck = rows(
        marts, "select lead_id, stage_name, days_in_stage, stage_p90_days, amount from marts.stuck_deals"
    )
    assert stuck == [
        {
            "lead_id": 5,  # L6 (1.5 days in S3, p90 17.8) is not stuck; deleted L7 never is
            "stage_name": "Новая заявка",
            "days_in_stage": pytest.approx(days("03-01 10:00", "03-31 21:00")),
            "stage_p90_days": pytest.approx(p(s2_stays, 0.9)),
            "amount": Decimal("8000.00"),
        }
    ]


def test_deleted_lead_is_nowhere(marts):
    for table in ("transform.int_lead_outcomes", "transform.int_lead_first_response", "marts.stuck_deals"):
        assert marts.execute(f"select count(*) from {table} where lead_id in (7, 8)").fetchone() == (0,)
    assert marts.execute("select count(*) from marts.calls where call_uniq = 'C9'").fetchone() == (0,)


def test_loss_reasons_share_of_the_month(marts):
    found = marts.execute(
        "select month, loss_reason_name, lost_deals, lost_amount, share_of_lost_deals "
        "from marts.loss_reasons order by month"
    ).fetchall()
    assert found == [
        (dt.date(2024, 1, 1), "Дорого", 1, Decimal("5000.00"), 1.0),
        (dt.date(2024, 2, 1), "Не указана", 1, Decimal("6000.00"), 1.0),
    ]


def test_first_response_by_call_or_completed_task(marts):
    responses = {
        r["lead_id"]: (r["first_response_type"], r["response_minutes"])
        for r in rows(marts, "select * from transform.int_lead_first_response")
    }
    assert responses == {
        1: ("call", 5.0),
        2: ("task", 20.0),
        3: ("call", 30.0),
        4: (None, None),
        5: ("task", 10.0),
        6: ("call", 15.0),
        9: (None, None),
        10: ("call", 45.0),
    }


def test_lead_response_per_manager_and_month(marts):
    found = marts.execute(
        "select strftime(month, '%Y-%m'), manager_name, leads, responded_leads, median_response_minutes, "
        "within_sla_share from marts.lead_response order by all"
    ).fetchall()
    assert found == [
        ("2024-01", "Петрова Ольга", 2, 2, 12.5, 0.5),
        ("2024-02", "Сидоров Иван", 3, 2, 37.5, 0.0),
        ("2024-03", "Петрова Ольга", 2, 2, 12.5, 1.0),  # 15 minutes exactly is within the SLA
        ("2024-03", "Сидоров Иван", 1, 0, None, 0.0),
    ]


def test_calls_fact(marts):
    calls = {r["call_uniq"]: r for r in rows(marts, "select * from marts.calls")}
    assert sorted(calls) == sorted(["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C10", "C11"])
    assert sorted(u for u, r in calls.items() if r["is_first_response"]) == ["C10", "C2", "C6", "C8"]
    first = calls["C1"]
    assert (first["direction"], first["manager_name"], first["lead_id"], first["contact_id"]) == (
        "in",
        "Петрова Ольга",
        1,
        501,
    )
    assert (first["started_at"], first["call_date"]) == (dt.datetime(2024, 1, 10, 9, 1), dt.date(2024, 1, 10))
    assert (calls["C6"]["is_talked"], calls["C6"]["duration_seconds"], calls["C2"]["is_talked"]) == (
        False,
        0,
        True,
    )
    assert (calls["C5"]["call_date"], calls["C11"]["lead_id"]) == (
        dt.date(2024, 2, 1),
        None,
    )  # 02:00 in Moscow
