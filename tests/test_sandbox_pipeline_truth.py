"""The truth of the pipeline marts (sandbox/truth_pipeline*.py) on tiny hand-built CRM histories: every
expected number below is worked out by hand in the comments, not copied from a run."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import pytest

from sandbox.truth.activity import calls_by_month, crm_fields, customer_keys, touches
from sandbox.truth.lead_history import cutoff_of, kopecks_half_away, live_leads, visits_of
from sandbox.truth.pipeline import (
    Stage,
    loss_reasons,
    month_snapshots,
    open_pipeline,
    sales_pipeline,
    stage_benchmarks,
    stuck_deals,
)
from sandbox.world.channels import NO_TOUCH, Touch
from sandbox.world.sources_model import (
    LOST,
    NEW,
    QUALIFY,
    SALES,
    UNSORTED,
    WON,
    Call,
    CrmContact,
    Lead,
    SiteOrder,
    Sources,
    StageMove,
    Task,
)

MANAGER, COLLEAGUE = 10_512_001, 10_512_002


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def make_lead(seq: int, moves, price: int = 1000, reason=None, deleted=None, contact=None, touch=NO_TOUCH):
    """moves: [(status, "ISO moment")]; the first is the stage the lead was created in."""
    moments = [(status, at(when)) for status, when in moves]
    return Lead(
        seq,
        "P1",
        SALES,
        "form",
        touch,
        moments[0][1],
        MANAGER,
        MANAGER,
        price,
        f"lead {seq}",
        [StageMove(status, moment, MANAGER) for status, moment in moments],
        contact=contact,
        loss_reason=reason,
        deleted_at=deleted,
        lead_id=31_400_000 + seq,
    )


def histories(leads, cutoff):
    return {lead.seq: visits_of(lead, cutoff) for lead in live_leads(leads, cutoff)}


def test_history_is_cut_at_the_end_of_the_as_of_date_and_to_whole_seconds():
    cutoff = cutoff_of(date(2024, 1, 30))
    assert cutoff == at("2024-01-31T00:00:00")
    lead = make_lead(
        1,
        [
            (UNSORTED, "2024-01-01T10:00:00.700"),
            (NEW, "2024-01-02T10:00:00.200"),
            (QUALIFY, "2024-01-31T00:00:00"),  # at the cutoff: has not happened yet
        ],
    )
    first, second = visits_of(lead, cutoff)
    # amoCRM keeps seconds: 10:00:00 → 10:00:00 the next day is exactly one day, not 0.99999 days
    assert (first.entered, first.left, first.next_status, first.days) == (
        at("2024-01-01T10:00:00"),
        at("2024-01-02T10:00:00"),
        NEW,
        1.0,
    )
    assert (second.status, second.left, second.next_status, second.days) == (NEW, None, None, None)


def test_benchmarks_weigh_by_closed_deals_through_the_stage_and_interpolate_quantiles():
    day = "2024-01-0{}T12:00:00"
    leads = [
        make_lead(1, [(UNSORTED, day.format(1)), (NEW, day.format(2)), (WON, day.format(4))]),
        make_lead(2, [(UNSORTED, day.format(1)), (NEW, day.format(3)), (LOST, day.format(4))]),
        make_lead(3, [(UNSORTED, day.format(1)), (LOST, day.format(5))]),
        make_lead(4, [(UNSORTED, day.format(1)), (NEW, day.format(2))]),  # open: weighs nothing
    ]
    bench = stage_benchmarks(histories(leads, cutoff_of(date(2024, 1, 31))))
    # Неразобранное: closed deals 1, 2, 3, one won → 1/3; stays 1, 2, 4, 1 days → sorted 1, 1, 2, 4:
    # median at rank 1.5 = 1.5; p90 at rank 0.9 × 3 = 2.7 → 2 + 0.7 × (4 − 2) = 3.4
    assert bench[UNSORTED].win_probability == Fraction(1, 3)
    assert bench[UNSORTED].median_days == pytest.approx(1.5)
    assert bench[UNSORTED].p90_days == pytest.approx(3.4)
    # Новая заявка: closed 1 (won) and 2 (lost) → 1/2; finished stays 2 and 1 (lead 4 is still there)
    assert bench[NEW].win_probability == Fraction(1, 2)
    assert (bench[NEW].median_days, bench[NEW].p90_days) == (pytest.approx(1.5), pytest.approx(1.9))
    # Квалификация: nobody passed it → no probability (weighs 0) and no yardstick
    assert bench[QUALIFY] == Stage(None, None, None)


def test_kopecks_round_half_away_from_zero_on_the_exact_product():
    assert kopecks_half_away(Fraction(1, 8)) == 13  # 0.125 RUB = 12.5 kopecks → 13
    assert kopecks_half_away(Fraction(-1, 8)) == -13
    assert kopecks_half_away(Fraction(3, 200)) == 2  # 0.015 RUB (inexact as a double) → 0.02
    assert kopecks_half_away(Fraction(1000, 3)) == 33_333  # 333.333… → 333.33


def test_weighted_amount_is_rounded_per_deal_and_an_unweighted_stage_counts_zero():
    cutoff = cutoff_of(date(2024, 1, 31))
    leads = [
        make_lead(1, [(UNSORTED, "2024-01-10T10:00:00")], price=1),
        make_lead(2, [(UNSORTED, "2024-01-11T10:00:00")], price=1),
        make_lead(3, [(NEW, "2024-01-12T10:00:00")], price=700),
    ]
    bench = {UNSORTED: Stage(None, None, Fraction(1, 3)), NEW: Stage(None, None, None)}
    opened = open_pipeline(histories(leads, cutoff), bench, {0: cutoff})
    # 1 × 1/3 = 0.333… → 0.33 per deal, so 0.66 (rounding the sum, 0.666…, would give 0.67)
    assert opened[0, SALES, UNSORTED] == {"open_deals": 2, "open_amount": 2, "weighted_kopecks": 66}
    assert opened[0, SALES, NEW] == {"open_deals": 1, "open_amount": 700, "weighted_kopecks": 0}
    assert opened[0, None, None] == {"open_deals": 3, "open_amount": 702, "weighted_kopecks": 66}


def test_open_pipeline_is_counted_at_each_month_end_and_the_as_of_month_at_the_cutoff():
    as_of = date(2024, 2, 10)
    cutoff = cutoff_of(as_of)
    leads = [
        # A: leaves Неразобранное exactly at midnight of 1 Feb → still there at January's end
        make_lead(
            1,
            [(UNSORTED, "2024-01-05T10:00:00"), (NEW, "2024-02-01T00:00:00"), (WON, "2024-02-05T10:00:00")],
            price=1000,
        ),
        make_lead(2, [(UNSORTED, "2024-01-20T10:00:00"), (LOST, "2024-01-25T10:00:00")], price=999),
        make_lead(3, [(UNSORTED, "2024-01-31T23:59:59"), (NEW, "2024-02-03T00:00:00")], price=1001),
        # D: created at the very moment of January's snapshot → not open at January's end
        make_lead(4, [(UNSORTED, "2024-02-01T00:00:00")], price=500),
    ]
    visits = histories(leads, cutoff)
    bench = stage_benchmarks(visits)  # Неразобранное: A won, B lost → 1/2; Новая заявка: A won → 1
    snapshots = month_snapshots(visits, as_of, cutoff)
    assert list(snapshots.values()) == [at("2024-02-01T00:00:00"), cutoff]
    rows = {
        (r["month"], r["row_type"], r["pipeline"], r["stage"]): r
        for r in sales_pipeline(visits, bench, snapshots)
    }
    jan_unsorted = rows["2024-01", "stage", "Продажи", "Неразобранное"]
    # A 1000 × 1/2 = 500.00, C 1001 × 1/2 = 500.50
    assert (jan_unsorted["open_deals"], jan_unsorted["open_amount"], jan_unsorted["weighted_amount"]) == (
        2,
        Decimal("2001.00"),
        Decimal("1000.50"),
    )
    # January's entries to Неразобранное: A (26 d 14 h, advanced), B (5 d, lost), C (2 d 1 s, advanced)
    assert [jan_unsorted[k] for k in ("deals_entered", "deals_advanced", "deals_lost_from_stage")] == [
        3,
        2,
        1,
    ]
    assert jan_unsorted["median_days_in_stage"] == pytest.approx(5.0)
    assert jan_unsorted["p90_days_in_stage"] == pytest.approx(5 + 0.8 * (26 + 14 / 24 - 5))  # rank 1.8 of 3
    feb_total = rows["2024-02", "total", None, None]
    # at the cutoff: D in Неразобранное (500 × 1/2 = 250.00), C in Новая заявка (1001 × 1 = 1001.00)
    assert (feb_total["open_deals"], feb_total["open_amount"], feb_total["weighted_amount"]) == (
        2,
        Decimal("1501.00"),
        Decimal("1251.00"),
    )
    feb_new = rows["2024-02", "stage", "Продажи", "Новая заявка"]
    # February's entries to Новая заявка: A (4 d 10 h, then won) and C (still there)
    assert [feb_new[k] for k in ("deals_entered", "deals_advanced", "deals_still_in_stage")] == [2, 1, 1]
    assert (feb_new["median_days_in_stage"], feb_new["win_probability"]) == (pytest.approx(4 + 10 / 24), 1.0)
    shop = rows["2024-02", "pipeline", "Интернет-магазин", None]
    assert (shop["open_deals"], shop["open_amount"], shop["weighted_amount"]) == (0, Decimal(0), Decimal(0))
    assert len(rows) == 2 * (7 + 2 + 1)  # every month × (7 stages, 2 pipelines, the total)


def test_stuck_deals_are_open_and_over_the_p90_of_finished_stays_of_their_stage():
    cutoff = cutoff_of(date(2024, 3, 10))  # 2024-03-11 00:00
    leads = [
        make_lead(i, [(UNSORTED, "2024-03-01T00:00:00"), (LOST, f"2024-03-0{1 + i}T00:00:00")])
        for i in (1, 2, 3)
    ]
    leads += [
        make_lead(4, [(UNSORTED, "2024-03-08T00:00:00")], price=800),  # 3 days > p90 2.8: stuck
        make_lead(5, [(UNSORTED, "2024-03-08T12:00:00")]),  # 2.5 days: not stuck
        make_lead(6, [(NEW, "2024-01-01T00:00:00")]),  # 70 days, but nobody ever left Новая заявка
    ]
    visits = histories(leads, cutoff)
    # stays in Неразобранное 1, 2, 3 days: median 2, p90 at rank 1.8 = 2.8; all three lost → P = 0
    assert stuck_deals(visits, stage_benchmarks(visits), cutoff) == [
        {
            "lead_id": 31_400_004,
            "stage": "Неразобранное",
            "amount": Decimal("800.00"),
            "days_in_stage": 3.0,
            "stage_p90_days": pytest.approx(2.8),
            "stage_median_days": 2.0,
            "weighted_amount": Decimal("0.00"),
        }
    ]


def test_loss_reasons_by_closing_month_with_shares_and_deleted_leads_left_out():
    cutoff = cutoff_of(date(2024, 2, 29))
    lost = lambda seq, when, price, reason, deleted=None: make_lead(  # noqa: E731
        seq, [(UNSORTED, "2024-01-02T10:00:00"), (LOST, when)], price, reason, deleted
    )
    leads = [
        lost(1, "2024-01-10T10:00:00", 100, 9_104_001),
        lost(2, "2024-01-31T23:59:59", 300, 9_104_001),
        lost(3, "2024-01-15T10:00:00", 0, 9_104_002),
        lost(4, "2024-02-01T00:00:00", 0, 9_104_003),
        lost(5, "2024-01-16T10:00:00", 5000, 9_104_002, deleted=at("2024-01-17T10:00:00")),
    ]
    rows = loss_reasons(histories(leads, cutoff))
    shares = [(r["month"], r["loss_reason_id"], r["lost_deals"], r["lost_amount"]) for r in rows]
    assert shares == [
        ("2024-01", 9_104_001, 2, Decimal("400.00")),
        ("2024-01", 9_104_002, 1, Decimal("0.00")),
        ("2024-02", 9_104_003, 1, Decimal("0.00")),
    ]
    # January: 3 lost deals for 400 RUB → 2/3 and 400/400, 1/3 and 0/400; February: nothing lost in money
    assert [(r["share_of_lost_deals"], r["share_of_lost_amount"]) for r in rows] == [
        (pytest.approx(2 / 3), 1.0),
        (pytest.approx(1 / 3), 0.0),
        (1.0, None),
    ]
    assert [(r["loss_reason_name"], r["month_lost_deals"]) for r in rows] == [
        ("Дорого", 3),
        ("Выбрали конкурента", 3),
        ("Не отвечает", 1),
    ]


def contact(seq: int, person_id: str, created: str, deleted=None) -> CrmContact:
    return CrmContact(
        seq,
        person_id,
        at(created),
        "",
        "",
        "",
        MANAGER,
        MANAGER,
        [],
        [],
        deleted_at=deleted,
        contact_id=52_100_000 + seq,
    )


def call(uniq, kind, when, lead=None, by=MANAGER, duration=0, on_contact=None) -> Call:
    return Call(uniq, kind, at(when), by, duration, 4 if duration else 6, "+79120000000", lead, on_contact)


def test_calls_one_row_per_call_deleted_leads_dropped_and_first_responses_marked():
    cutoff = cutoff_of(date(2024, 1, 31))
    someone = contact(1, "P1", "2024-01-01T09:00:00")
    x = make_lead(1, [(UNSORTED, "2024-01-10T10:00:00")], contact=someone)
    y = make_lead(2, [(UNSORTED, "2024-01-11T10:00:00")], contact=someone)
    z = make_lead(3, [(UNSORTED, "2024-01-12T10:00:00")], deleted=at("2024-01-12T11:00:00"))
    sources = Sources(at("2024-01-31T21:00:00"), {})
    sources.calls = [
        call("a", "call_in", "2024-01-10T10:01:00", x, duration=60),  # the client: no response
        call("b", "call_out", "2024-01-10T10:02:00", x, by=COLLEAGUE),  # a colleague: no response
        call("c", "call_out", "2024-01-10T10:05:00", x, duration=100),  # x's first response
        call("d", "call_out", "2024-01-11T10:04:00", y, duration=30),  # after y's task: not the first
        call("e", "call_out", "2024-01-12T10:30:00", z, duration=500),  # deleted lead: dropped
        call("f", "call_in", "2024-01-20T10:00:00", on_contact=someone, duration=40),  # about no deal
        call("g", "call_in", "2024-02-01T00:00:00", on_contact=someone),  # after the cutoff
    ]
    sources.tasks = [Task(y, 1, "", at("2024-01-11T10:01:00"), MANAGER, cutoff, at("2024-01-11T10:03:00"))]
    leads = live_leads([x, y, z], cutoff)
    fields = ("calls", "talked", "duration_seconds", "on_leads", "first_responses")
    # in: a (talked 60 s, on x) and f (talked 40 s, no deal); out: b (missed), c (100 s, x's first response),
    # d (30 s); e is on a deleted lead, g comes after the cutoff
    assert calls_by_month(sources, leads, cutoff) == [
        {"month": "2024-01", "direction": "in", **dict(zip(fields, (2, 2, 100, 1, 0), strict=True))},
        {"month": "2024-01", "direction": "out", **dict(zip(fields, (3, 2, 130, 3, 1), strict=True))},
    ]


def test_first_contact_channel_and_maturation_of_one_customer():
    t = at("2024-03-01T12:00:00")
    site_order, lead = (t, 1, "777", "SEO"), (t, 2, "31400001", "Direct")  # same second: the site order wins
    crm_contact = (t - timedelta(minutes=1), 3, "52100001", None)  # first contact, but carries no channel
    assert crm_fields([lead, site_order, crm_contact], date(2024, 3, 11)) == {
        "first_contact_date": date(2024, 3, 1),
        "acquisition_channel": "SEO",
        "maturation_days": 10,
    }
    only_called = [(t, 4, "uniq", None)]
    # a first sale before the first contact (a 1C customer the CRM met later) has no maturation
    assert crm_fields(only_called, date(2024, 2, 1)) == {
        "first_contact_date": date(2024, 3, 1),
        "acquisition_channel": "unknown",
        "maturation_days": None,
    }
    assert crm_fields([], date(2024, 2, 1)) == dict.fromkeys(
        ("first_contact_date", "acquisition_channel", "maturation_days")
    )


def test_touches_belong_to_the_person_behind_each_record():
    cutoff = cutoff_of(date(2024, 3, 31))
    ann, gone = (
        contact(1, "ANN", "2024-03-01T10:00:00"),
        contact(2, "BOB", "2024-03-01T10:00:00", at("2024-03-02")),
    )
    yandex = Touch("utm", "yandex", "cpc")
    lead = make_lead(1, [(UNSORTED, "2024-03-01T10:00:05")], contact=ann, touch=yandex)
    deleted = make_lead(2, [(UNSORTED, "2024-02-01T10:00:00")], contact=ann, deleted=at("2024-02-02"))
    order = lambda oid, touch, status="completed": SiteOrder(  # noqa: E731
        oid,
        "ANN",
        at("2024-03-05T10:00:00"),
        status,
        [],
        0,
        touch,
        "",
        {},
        False,
        at("2024-03-05"),
        order_id=oid,
    )
    sources = Sources(at("2024-03-31T21:00:00"), {})
    sources.contacts = [ann, gone]
    sources.site_orders = [order(900, Touch("admin", "yandex", "cpc")), order(901, yandex, "trash")]
    sources.calls = [
        call("u", "call_in", "2024-03-03T09:00:00", lead),
        call("v", "call_in", "2024-03-04T09:00:00", on_contact=gone),
    ]
    found = touches(sources, live_leads([lead, deleted], cutoff), cutoff)
    assert sorted(found) == ["ANN"]  # BOB's contact is deleted: his call belongs to nobody
    assert sorted(found["ANN"]) == [
        (at("2024-03-01T10:00:00"), 3, "52100001", None),
        (at("2024-03-01T10:00:05"), 2, "31400001", "Яндекс Директ"),
        (at("2024-03-03T09:00:00"), 4, "u", None),
        (at("2024-03-05T10:00:00"), 1, "900", "unknown"),  # typed in the admin: the shop sends no UTM
    ]  # the trashed order 901 and the deleted lead are no touches


def test_customer_id_is_the_smallest_live_card_else_site_order_else_contact():
    card = lambda key, person, marked=False: SimpleNamespace(  # noqa: E731
        ref_key=key, person_id=person, deletion_mark=marked, is_folder=False
    )
    model = SimpleNamespace(cards=[card("b-2", "P1"), card("c-3", "P1"), card("a-1", "P1", marked=True)])
    sources = Sources(at("2024-03-31T21:00:00"), {})
    sources.contacts = [
        contact(5, "P1", "2024-01-01"),
        contact(7, "C1", "2024-01-01"),
        contact(6, "C1", "2024-01-02"),
    ]
    sources.site_orders = [
        SiteOrder(
            1,
            "W1",
            at("2024-01-01"),
            "completed",
            [],
            0,
            NO_TOUCH,
            "",
            {},
            False,
            at("2024-01-01"),
            order_id=w,
        )
        for w in (1200, 990)
    ]
    assert customer_keys(model, sources) == {"P1": "b-2", "W1": "website:990", "C1": "amocrm:52100006"}
    # a pipeline that reads amoCRM alone knows P1 by their contact, and W1 not at all
    assert customer_keys(model, sources, ("amocrm",)) == {"P1": "amocrm:52100005", "C1": "amocrm:52100006"}


def test_a_generated_company_agrees_with_the_crm_truth_on_what_both_count():
    """Two independent codings of one history: the open deals at the as-of date and the stage entries."""
    from sandbox.truth.crm import crm_truth
    from sandbox.truth.pipeline import pipeline_extras_truth
    from sandbox.world.company import generate_company

    company = generate_company(scale=0.02, seed=3)
    company.apply_nightly_changes()  # moves, wins, losses and a deletion after the horizon, before the cutoff
    extras = pipeline_extras_truth(company.model, company.sources)
    crm = crm_truth(company.model, company.sources, with_visits=False)
    as_of_month = company.as_of_date.strftime("%Y-%m")
    stage_rows = [r for r in extras["sales_pipeline"] if r["row_type"] == "stage"]
    total = next(
        r for r in extras["sales_pipeline"] if r["row_type"] == "total" and r["month"] == as_of_month
    )
    assert total["open_deals"] == crm["leads_by_status"]["open"] > 0
    entered = {s["stage"]: s["entered"] for s in crm["stages"]}
    assert {s: sum(r["deals_entered"] for r in stage_rows if r["stage"] == s) for s in entered} == entered
    lost_by_month = {w["month"]: w["lost"] for w in crm["win_rate"] if w["lost"]}
    assert {r["month"]: r["month_lost_deals"] for r in extras["loss_reasons"]} == lost_by_month
