"""The clean model of the shop's documents and how customers buy over the three years.

Customers are acquired over the whole history (more in Nov-Dec, fewer in summer, the shop grows),
buy again after gamma-distributed gaps at a personal rate, and may stop for good after any purchase.
Each purchase is a customer order followed by a shipment (the sale); a few sales are returned.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate

from sandbox.world.catalog import Product
from sandbox.world.counterparties import Card
from sandbox.world.people import Person
from sandbox.world.reference import HISTORY_START, ZERO_GUID, Manager, PriceType, RefKeys

SEASON = {
    1: 0.85,
    2: 0.85,
    3: 0.95,
    4: 1.0,
    5: 0.9,
    6: 0.75,
    7: 0.7,
    8: 0.8,
    9: 1.0,
    10: 1.05,
    11: 1.35,
    12: 1.6,
}
PEAK_SEASON = max(SEASON.values())
END_OF_DAY = time(23, 59, 59)  # 1C back-office staff often post documents at the end of the day
SERVICE_FOR_GROUP = {"Мебель": "Сборка мебели", "Освещение": "Установка светильника"}


@dataclass(slots=True)
class Line:
    product_key: str
    qty: int
    price: int  # kopecks; the retail price at the document date
    is_service: bool

    @property
    def amount(self) -> int:
        return self.qty * self.price


@dataclass(slots=True)
class Document:
    kind: str  # "order" | "shipment" | "return"
    ref_key: str
    date: datetime  # company-local, no offset
    card_key: str
    manager_key: str
    lines: list[Line]
    posted: bool = True
    deletion_mark: bool = False
    entered_at: datetime | None = None  # when it was typed in; later than `date` for back-dated ones
    number: int = 0
    manual_number: bool = False  # typed by hand: short, space-padded Number
    order_key: str = ZERO_GUID
    sale_key: str = ZERO_GUID  # returns: the shipment returned
    site_number: str = ""  # НомерПоДаннымКлиента: the site order number ("site" until the site numbers it)
    contract_key: str = ZERO_GUID
    incoming_date: datetime | None = None
    version: int = 1

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def is_live(self) -> bool:
        """Posted and not marked for deletion: a sale (shipment) or a return that counts."""
        return self.posted and not self.deletion_mark


@dataclass
class Model:
    """Everything the company is; the 1C store and the truth are both views of it."""

    seed: int
    as_of_date: date
    keys: RefKeys
    managers: list[Manager]
    price_types: list[PriceType]
    products: list[Product]
    people: list[Person]
    cards: list[Card]
    orders: list[Document] = field(default_factory=list)
    shipments: list[Document] = field(default_factory=list)
    returns: list[Document] = field(default_factory=list)
    contracts: dict[str, str] = field(default_factory=dict)  # person_id -> contract key (companies)
    used_phones: set[str] = field(default_factory=set)
    used_emails: set[str] = field(default_factory=set)
    next_number: dict[str, int] = field(default_factory=dict)
    nights: int = 0

    def __post_init__(self) -> None:
        self.product_by_key = {p.ref_key: p for p in self.products}
        self.card_by_key = {c.ref_key: c for c in self.cards}
        self.person_by_id = {p.person_id: p for p in self.people}
        goods = [p for p in self.products if not p.is_folder and not p.is_service and p.popularity > 0]
        self.goods = goods
        self.goods_cum_weights = list(accumulate(p.popularity for p in goods))
        self.group_names = {p.ref_key: p.name for p in self.products if p.is_folder}
        self.service_by_name = {p.name: p for p in self.products if p.is_service}


def _day_weights(start: date, end: date) -> tuple[list[date], list[float]]:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    weights = [SEASON[d.month] * (1 + 0.8 * i / len(days)) for i, d in enumerate(days)]
    return days, list(accumulate(weights))


def acquisition_days(rng: random.Random, count: int, start: date, end: date) -> list[date]:
    days, cum = _day_weights(start, end)
    return rng.choices(days, cum_weights=cum, k=count)


def purchase_days(rng: random.Random, first: date, is_company: bool, end: date) -> list[date]:
    """A renewal process with a personal rate, seasonal thinning and churn after each purchase."""
    # Tuned so scale 1 gives ~10 sales per customer over the three years (~200k sales for 20k people).
    rate = min(60.0, rng.lognormvariate(math.log(40 if is_company else 20), 0.9))  # purchases per year
    churn = 0.02 if is_company else 0.035
    days, day = [first], first
    while rng.random() > churn:
        day += timedelta(days=int(rng.gammavariate(1.3, 365 / rate / 1.3)))
        if day > end:
            break
        if rng.random() < SEASON[day.month] / PEAK_SEASON:
            days.append(day)
    return days


def business_moment(rng: random.Random, day: date, end_of_day_share: float = 0.35) -> datetime:
    if rng.random() < end_of_day_share:
        return datetime.combine(day, END_OF_DAY)
    return datetime.combine(day, time(rng.randint(9, 20), rng.randint(0, 59), rng.randint(0, 59)))


def manager_for(model: Model, person: Person, moment: datetime, rng: random.Random) -> str:
    if rng.random() < 0.04:  # nobody filled the manager in
        return ZERO_GUID
    manager = next(m for m in model.managers if m.ref_key == person.manager_key)
    if moment.date() > manager.active_until:  # the former manager's customers passed to a colleague
        return model.managers[hash_index(person.person_id, len(model.managers) - 1)].ref_key
    return manager.ref_key


def hash_index(text: str, size: int) -> int:
    """A stable (not PYTHONHASHSEED-dependent) index for a string."""
    return sum(ord(ch) * (i + 1) for i, ch in enumerate(text)) % size


def basket(model: Model, person: Person, moment: datetime, rng: random.Random) -> list[Line]:
    """1-4 lines: distinct goods priced at the moment, sometimes with a service (delivery, assembly)."""
    wanted = rng.choices([1, 2, 3, 4], weights=[50, 27, 14, 9])[0]
    lines: list[Line] = []
    chosen: set[str] = set()
    for _ in range(wanted * 4):
        if len(lines) >= wanted:
            break
        product = rng.choices(model.goods, cum_weights=model.goods_cum_weights)[0]
        price = product.retail.at(moment)
        if product.ref_key in chosen or price is None:
            continue
        chosen.add(product.ref_key)
        qty = rng.randint(1, product.max_qty * (3 if person.is_company else 1)) if rng.random() < 0.3 else 1
        if rng.random() < 0.15:  # a loyalty or manager's discount: prices with kopecks
            price = round(price * (100 - rng.choice([3, 5, 7, 10])) / 100)
        lines.append(Line(product.ref_key, qty, price, False))
        service_name = SERVICE_FOR_GROUP.get(model.group_names.get(product.parent_key, ""))
        if service_name and len(lines) < wanted and rng.random() < 0.5:
            lines.append(_service_line(model, service_name, moment))
    if not lines:  # only products not on sale yet were drawn: take the first one that is
        product = next(p for p in model.goods if p.retail.at(moment) is not None)
        lines.append(Line(product.ref_key, 1, product.retail.at(moment), False))
    if rng.random() < 0.25 and len(lines) < 4:
        lines.append(
            _service_line(
                model,
                rng.choice(
                    ["Доставка по городу", "Доставка по городу", "Доставка за город", "Подъём на этаж"]
                ),
                moment,
            )
        )
    return lines


def _service_line(model: Model, name: str, moment: datetime) -> Line:
    service = model.service_by_name[name]
    return Line(service.ref_key, 1, service.retail.at(moment), True)


def purchase(
    model: Model, person: Person, card_key: str, moment: datetime, rng: random.Random, posted: bool = True
) -> Document:
    """An order and its shipment (the sale); returns the shipment."""
    lines = basket(model, person, moment, rng)
    manager = manager_for(model, person, moment, rng)
    # An order never predates the history (the shop opened on HISTORY_START).
    order_moment = max(_order_moment(rng, moment), datetime.combine(HISTORY_START, time(0, 1)))
    from_site = rng.random() < 0.3
    order = Document(
        "order",
        model.keys.new(),
        order_moment,
        card_key,
        manager,
        [Line(x.product_key, x.qty, x.price, x.is_service) for x in lines],
        entered_at=order_moment,
        site_number="site" if from_site else "",
    )
    shipment = Document(
        "shipment",
        model.keys.new(),
        moment,
        card_key,
        manager,
        lines,
        posted=posted,
        entered_at=moment,
        order_key=order.ref_key,
        site_number=order.site_number,
    )
    if person.is_company:
        shipment.contract_key = model.contracts.setdefault(person.person_id, model.keys.new())
        if rng.random() < 0.2:  # the contract was not filled in on this one
            shipment.contract_key = ZERO_GUID
        if rng.random() < 0.5:
            shipment.incoming_date = datetime.combine(moment.date(), time())
    model.orders.append(order)
    model.shipments.append(shipment)
    return shipment


def _order_moment(rng: random.Random, moment: datetime) -> datetime:
    days_before = rng.choices([0, 1, 2, 3, 4, 5], weights=[40, 25, 12, 10, 8, 5])[0]
    day = moment.date() - timedelta(days=days_before)
    latest = moment - timedelta(minutes=5) if days_before == 0 else datetime.combine(day, time(23, 50))
    earliest = datetime.combine(day, time(8, 0))
    if latest <= earliest:
        return datetime.combine(day, time(0, 1))
    seconds = int((latest - earliest).total_seconds())
    return earliest + timedelta(seconds=rng.randint(0, seconds))


def make_return(model: Model, sale: Document, rng: random.Random, end: date) -> Document | None:
    """A full or partial return of the goods (not services) of a sale, 1-30 days after it."""
    goods = [line for line in sale.lines if not line.is_service]
    day = sale.date.date() + timedelta(days=rng.randint(1, 30))
    if not goods or day > end:
        return None
    if rng.random() < 0.35:
        lines = [Line(x.product_key, x.qty, x.price, False) for x in goods]
    else:
        picked = rng.sample(goods, rng.randint(1, len(goods)))
        lines = [Line(x.product_key, rng.randint(1, x.qty), x.price, False) for x in picked]
    moment = business_moment(rng, day, 0.2)
    doc = Document(
        "return",
        model.keys.new(),
        moment,
        sale.card_key,
        sale.manager_key,
        lines,
        entered_at=moment,
        sale_key=sale.ref_key,
    )
    model.returns.append(doc)
    return doc
