"""Which leads the CRM holds and how each one went.

- one lead per site order (the WooCommerce integration), its fate following the order's;
- a lead won at a share of the 1C sales that did not come from the site (more often a first purchase,
  more often a firm), created 0-60 days before and closed at the sale's moment for its amount;
- lost and still-open leads of people who buy, people only the CRM knows (lost leads only), and the
  switchboard trap: firms in one business centre whose only number in the CRM is its reception;
- a few deleted leads: spam from the site form, and a form sent twice.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sandbox.world.channels import NO_TOUCH, form_touch
from sandbox.world.crm_model import CrmBuilder, between, roubles
from sandbox.world.documents import acquisition_days, basket
from sandbox.world.people import CITY_CODES, unique_landline
from sandbox.world.reference import HISTORY_START
from sandbox.world.sources_model import (
    CONFIRMED,
    NEW,
    NEW_ORDER,
    OPEN_STAGES,
    ROBOT,
    SALES,
    SHOP,
    UNSORTED,
    WON,
    Lead,
    SiteOrder,
    StageMove,
)
from sandbox.world.sources_people import new_person

CRM_START = datetime.combine(HISTORY_START, time())
REASON_WEIGHTS = {9_104_001: 30, 9_104_002: 22, 9_104_003: 18, 9_104_004: 16, 9_104_005: 7, 9_104_006: 7}
REFUSED, UNPAID, SPAM = 9_104_007, 9_104_008, 9_104_009
ORIGINS = {"form": 50, "call": 30, "referral": 20}
LEAD_NAMES = {
    "form": ("Заявка с сайта", "Заявка с сайта: обратный звонок", "Заявка с сайта: консультация"),
    "call": ("Входящий звонок",),
    "referral": ("Рекомендация клиента",),
    "manual": ("Сделка без заявки",),  # a manager enters a deal after the sale
}


def lead_name(rng: random.Random, origin: str, person) -> str:
    if person is not None and person.is_company:
        return f"{person.name}: оптовый заказ"
    return rng.choice(LEAD_NAMES[origin])


def sales_lead(
    b: CrmBuilder, person_id: str, created: datetime, price: int, origin: str | None = None
) -> Lead:
    """A lead in «Продажи»: forms and calls land in «Неразобранное», a manager's own entry in stage one."""
    rng = b.rng
    origin = origin or rng.choices(list(ORIGINS), weights=list(ORIGINS.values()))[0]
    touch = form_touch(rng) if origin == "form" else NO_TOUCH
    name = lead_name(rng, origin, b.person(person_id))
    start = NEW if origin in ("referral", "manual") else UNSORTED
    return b.new_lead(person_id, SALES, origin, touch, created, origin == "form", price, name, start)


def shop_lead(b: CrmBuilder, order: SiteOrder, sale=None) -> Lead:
    """The integration's lead for a site order; `sale` is the 1C shipment it became, if any."""
    rng, horizon = b.rng, b.sources.horizon
    created = order.created + timedelta(seconds=rng.randint(20, 90))
    price, name = roubles(order.total), f"Заказ с сайта №{order.number}"
    lead = b.new_lead(order.person_id, SHOP, "site_order", order.touch, created, True, price, name, NEW_ORDER)
    lead.site_order = order
    gift = order.onec_order_key is None and order.status == "completed"
    if order.status == "completed":
        lead.price = roubles(sale.amount) if sale else lead.price
        lead.sale_key = sale.ref_key if sale else f"site:{order.seq}"
        if not gift:
            b.plan_response(lead, 0.92, order.completed)
        _confirm(b, lead, order, order.completed)
        b.walk(lead, 0, order.completed, WON, ROBOT)
    elif order.status == "processing":
        b.plan_response(lead, 0.92, horizon)
        _confirm(b, lead, order, horizon)
    elif order.status == "cancelled":
        b.plan_response(lead, 0.9, order.modified)
        if lead.response_at and rng.random() < 0.5:
            b.walk(lead, 1, order.modified)
        b.lose(lead, 0, order.modified, REFUSED)
    elif order.status == "failed":
        b.plan_response(lead, 0.5, horizon)
        b.lose(lead, 0, order.modified, UNPAID, ROBOT)
    elif order.created < horizon - timedelta(days=4):  # pending: unpaid orders are closed after 3 days
        b.plan_response(lead, 0.85, horizon)
        b.lose(lead, 0, order.created + timedelta(days=3, seconds=rng.randint(0, 86_400)), UNPAID)
    return lead


def _confirm(b: CrmBuilder, lead: Lead, order: SiteOrder, before: datetime) -> None:
    """«Подтверждён»: a manager confirms on the first call, else the robot when the payment comes in."""
    if lead.response_at and lead.response_at < before:
        b.walk(lead, 1, before)
    elif order.paid and lead.created < order.paid < before:
        lead.moves.append(StageMove(CONFIRMED, order.paid, ROBOT))
    else:
        b.walk(lead, 1, before)


def won_sales_leads(b: CrmBuilder) -> int:
    """Leads that end in a 1C sale (not from the site); the last evening's sales are not closed yet."""
    model, rng = b.model, b.rng
    site_orders = {o.ref_key for o in model.orders if o.site_number}
    first_sale: dict[str, tuple] = {}
    for sale in model.shipments:
        if sale.is_live:
            pid = model.card_by_key[sale.card_key].person_id
            first_sale[pid] = min(first_sale.get(pid, (sale.date, sale.ref_key)), (sale.date, sale.ref_key))
    won = 0
    for sale in model.shipments:
        pid = model.card_by_key[sale.card_key].person_id
        if not sale.is_live or sale.order_key in site_orders or pid not in b.sources.linkable:
            continue
        firm = model.person_by_id[pid].is_company
        first = first_sale[pid][1] == sale.ref_key
        if rng.random() < ((0.6 if firm else 0.4) if first else (0.2 if firm else 0.08)):
            won += won_lead(b, pid, sale)
    return won


def won_lead(b: CrmBuilder, person_id: str, sale) -> int:
    rng, firm = b.rng, b.person(person_id).is_company
    cycle = timedelta(days=min(60.0, rng.gammavariate(1.1, 18 if firm else 8)), minutes=10)
    created = (sale.date - cycle).replace(microsecond=0)
    if created < CRM_START:
        created = between(rng, CRM_START, sale.date - timedelta(minutes=9))
    lead = sales_lead(b, person_id, created, roubles(sale.amount))
    steps = len(OPEN_STAGES[SALES]) - 1 - OPEN_STAGES[SALES].index(lead.status)
    if sale.date > b.sources.horizon:  # agreed, shipped tonight: the manager closes it tomorrow
        b.plan_response(lead, 0.97, b.sources.horizon)
        b.walk(lead, steps, b.sources.horizon)
        return 0
    b.plan_response(lead, 0.97, sale.date)
    b.walk(lead, steps, sale.date, WON)
    lead.sale_key = sale.ref_key
    return 1


def lost_lead(b: CrmBuilder, person_id: str, created: datetime) -> Lead:
    rng = b.rng
    price = 0 if rng.random() < 0.35 else estimate(b, person_id, created)  # not every manager fills it in
    lead = sales_lead(b, person_id, created, price)
    b.plan_response(lead, 0.9, b.sources.horizon)
    end = min(b.sources.horizon, created + timedelta(days=min(60.0, rng.lognormvariate(1.6, 1.0)), hours=1))
    end = end.replace(microsecond=0)
    if not lead.response_at:  # nobody called: closed from where it came in
        b.lose(lead, 0, end, rng.choice([9_104_004, SPAM]))
        return lead
    room = len(OPEN_STAGES[SALES]) - 1 - OPEN_STAGES[SALES].index(lead.status)
    steps = min(room, rng.choices([0, 1, 2, 3, 4], weights=[30, 30, 22, 12, 6])[0])
    b.lose(lead, steps, max(end, lead.response_at + timedelta(minutes=5)), reason(rng))
    return lead


def estimate(b: CrmBuilder, person_id: str, moment: datetime) -> int:
    """The deal amount a manager expects: a basket this person might buy."""
    return roubles(sum(line.amount for line in basket(b.model, b.person(person_id), moment, b.rng)))


def reason(rng: random.Random) -> int:
    return rng.choices(list(REASON_WEIGHTS), weights=list(REASON_WEIGHTS.values()))[0]


def open_lead(b: CrmBuilder, person_id: str) -> Lead:
    """Still open at the horizon; a third are old and stuck in their stage."""
    rng, horizon = b.rng, b.sources.horizon
    days = rng.uniform(0.05, 45) if rng.random() < 0.7 else rng.uniform(60, 300)
    created = (horizon - timedelta(days=days)).replace(microsecond=0)
    lead = sales_lead(b, person_id, created, estimate(b, person_id, created))
    b.plan_response(lead, 0.9, horizon)
    room = len(OPEN_STAGES[SALES]) - 1 - OPEN_STAGES[SALES].index(lead.status)
    steps = 0 if not lead.response_at else rng.randint(0, room)
    b.walk(lead, steps, created + (horizon - created) * rng.uniform(0.2, 0.9))
    return lead


def season_moments(b: CrmBuilder, count: int, last_days_off: int = 1) -> list[datetime]:
    """Moments spread like the shop's trade (busier in winter, growing) up to `last_days_off` before as-of."""
    rng = b.rng
    days = acquisition_days(rng, count, HISTORY_START, b.model.as_of_date - timedelta(days=last_days_off))
    return [
        datetime.combine(d, time(rng.randint(8, 22), rng.randint(0, 59), rng.randint(0, 59))) for d in days
    ]


def other_leads(b: CrmBuilder, won: int) -> None:
    """Lost and open leads of 1C people, CRM-only people with lost leads, and the switchboard."""
    rng, model, sources = b.rng, b.model, b.sources
    people = sorted(sources.linkable)
    for moment in season_moments(b, round(1.1 * won)):
        lost_lead(b, rng.choice(people), moment)
    for _ in range(round(0.12 * won)):
        open_lead(b, rng.choice(people))
    crm_only = [
        new_person(model, sources, "C", rng, b.faker) for _ in range(max(12, round(0.04 * len(model.people))))
    ]
    lost_leads_of(b, crm_only, [1, 1, 2])
    switchboard_leads(b)


def lost_leads_of(b: CrmBuilder, people: list, counts: list[int]) -> None:
    """1-2 lost leads each (moments drawn in one go: the day weights are costly to build)."""
    per_person = [b.rng.choice(counts) for _ in people]
    moments = iter(season_moments(b, sum(per_person)))
    for person, count in zip(people, per_person, strict=True):
        for _ in range(count):
            lost_lead(b, person.person_id, next(moments))


def switchboard_leads(b: CrmBuilder) -> None:
    """Firms in one business centre that gave only its reception number: unrelated, one number."""
    rng, model, sources = b.rng, b.model, b.sources
    firms = []
    for _ in range(max(1, round(len(model.people) / 1500))):
        reception = unique_landline(rng, CITY_CODES["Москва"], model.used_phones)
        for _ in range(rng.randint(4, 6)):
            firms.append(new_person(model, sources, "C", rng, b.faker, company=True))
            sources.switchboards[firms[-1].person_id] = reception
    lost_leads_of(b, firms, [1, 2])


def deleted_leads(b: CrmBuilder) -> None:
    """Spam from the site form (the lead and its junk contact deleted) and forms sent twice."""
    rng, sources = b.rng, b.sources
    count = max(2, round(0.002 * len(sources.leads)))
    for moment in season_moments(b, count, last_days_off=3):
        lead = b.new_lead(None, SALES, "spam", NO_TOUCH, moment, True, 0, "Заявка с сайта", UNSORTED)
        lead.deleted_at = lead.created + timedelta(minutes=rng.randint(5, 2 * 24 * 60))
        lead.deleted_by = lead.responsible
    horizon = sources.horizon - timedelta(days=3)
    forms = [lead for lead in sources.leads if lead.origin == "form" and lead.created < horizon]
    for original in rng.sample(forms, min(len(forms), count)):
        created = original.created + timedelta(minutes=rng.randint(1, 30))
        twin = sales_lead(b, original.person_id, created, 0, "form")
        twin.touch, twin.name = original.touch, original.name
        twin.deleted_at = created + timedelta(minutes=rng.randint(60, 2 * 24 * 60))
        twin.deleted_by = twin.responsible


def build_leads(b: CrmBuilder) -> None:
    model, sources = b.model, b.sources
    shipments = {s.order_key: s for s in model.shipments}
    for order in sorted(sources.site_orders, key=lambda o: (o.created, o.seq)):
        sale = shipments.get(order.onec_order_key) if order.onec_order_key else None
        shop_lead(b, order, sale if sale is not None and sale.is_live else None)
    won = won_sales_leads(b)
    other_leads(b, won)
    deleted_leads(b)
