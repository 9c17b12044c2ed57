"""The web shop's orders (WooCommerce) as true facts, made from and alongside the 1C history.

Every 1C customer order flagged as coming from the site gets the WooCommerce order it started as; its
status follows what became of it in 1C. Then orders that never reach 1C: failed payments, abandoned
(pending) orders, orders the buyer cancelled, and e-gift certificates (completed, handled outside 1C:
sales of their own). Order ids come last, in order of creation, and 1C's НомерПоДаннымКлиента gets them.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from faker import Faker

from sandbox.world.channels import site_touch
from sandbox.world.documents import Document, Line, Model, acquisition_days, basket
from sandbox.world.reference import HISTORY_START
from sandbox.world.sources_model import SiteLine, SiteOrder, Sources
from sandbox.world.sources_people import SITE_PHONE_STYLES, new_person, person_of, profile_of, site_phone

DELIVERY = {"Доставка по городу", "Доставка за город"}  # the site charges these as shipping
GIFT_NOMINALS = (1000, 2000, 3000, 5000, 10000)
GIFT_PRODUCT_ID = 90  # WordPress post ids of the certificate products: 90 + index of the nominal
FIRST_PRODUCT_ID = 200  # catalog products: 200 + their place in the catalog
FIRST_POST_ID = 4100
SHOP_OPENED = datetime.combine(HISTORY_START, time())
# Orders that never reach 1C, per order that does.
OFF_ONEC = {"failed": 0.05, "pending": 0.04, "cancelled": 0.04}
GIFT_SHARE = 0.03  # of all completed orders


def billing(person, profile, rng: random.Random) -> dict[str, str]:
    """The checkout form as this buyer filled it in this time."""
    first, last = profile.first_name, profile.last_name
    shape = rng.random()
    if shape < 0.06:
        first, last = first.lower(), last.lower()
    elif shape < 0.10:  # the whole name in the first field
        first, last = f"{first} {last}", ""
    email = profile.site_email
    if rng.random() < 0.12:
        user, domain = email.split("@")
        email = rng.choice([email.capitalize(), f"{user.title()}@{domain.capitalize()}", email.upper()])
    return {
        "first_name": first,
        "last_name": last,
        "company": person.name if person.is_company else "",
        "address_1": profile.address,
        "address_2": "",
        "city": person.city,
        "state": "",
        "postcode": profile.postcode,
        "country": "RU",
        "email": email,
        "phone": site_phone(person.phone, rng.randrange(SITE_PHONE_STYLES)),
    }


def gift_line(rng: random.Random) -> SiteLine:
    index = rng.randrange(len(GIFT_NOMINALS))
    nominal = GIFT_NOMINALS[index]
    name = f"Подарочный сертификат {nominal:,} ₽".replace(",", " ")
    return SiteLine(name, GIFT_PRODUCT_ID + index, f"GIFT-{nominal}", 1, nominal * 100)


class SiteBuilder:
    """Makes site orders into `sources` with one random stream (the generation's or a night's)."""

    def __init__(self, model: Model, sources: Sources, rng: random.Random, faker: Faker):
        self.model, self.sources, self.rng, self.faker = model, sources, rng, faker
        self.product_ids = {p.ref_key: FIRST_PRODUCT_ID + i for i, p in enumerate(model.products)}

    def lines(self, lines: list[Line]) -> tuple[list[SiteLine], int]:
        """1C lines as the site sold them: goods and services as products, delivery as shipping."""
        items, shipping = [], 0
        for line in lines:
            product = self.model.product_by_key[line.product_key]
            if product.name in DELIVERY:
                shipping += line.amount
            else:
                post_id = self.product_ids[line.product_key]
                items.append(SiteLine(product.name, post_id, product.sku, line.qty, line.price))
        return items, shipping

    def order(self, person_id: str, created: datetime, status: str, lines, shipping: int) -> SiteOrder:
        model, sources, rng = self.model, self.sources, self.rng
        person = person_of(model, sources, person_id)
        profile = profile_of(sources, person, rng, self.faker, model.as_of_date, model.used_emails)
        online = rng.random() < 0.7
        payment = (
            "bacs" if person.is_company and rng.random() < 0.6 else "yookassa_bank_card" if online else "cod"
        )
        order = SiteOrder(
            sources.next_seq(),
            person_id,
            created,
            status,
            lines,
            shipping,
            site_touch(rng),
            payment,
            billing(person, profile, rng),
            profile.registered and rng.random() < 0.85,
            created,
        )
        sources.site_orders.append(order)
        return order

    def from_onec(self, order: Document, shipment: Document | None, horizon: datetime) -> SiteOrder:
        """The site order a 1C order came from; its status is what 1C made of it by `horizon`."""
        rng = self.rng
        created = order.date - timedelta(minutes=rng.randint(2, 180))
        created = max(SHOP_OPENED, min(created, horizon - timedelta(minutes=rng.randint(1, 60))))
        if shipment is None or shipment.deletion_mark:
            status = "cancelled"
        elif shipment.posted and shipment.date <= horizon:
            status = "completed"
        else:  # a draft in 1C, or shipped after the horizon: paid and waiting
            status = "processing"
        person_id = self.model.card_by_key[order.card_key].person_id
        site = self.order(person_id, created, status, *self.lines(order.lines))
        site.onec_order_key = order.ref_key
        self.stamp(site, horizon, shipment.date if status == "completed" else None)
        return site

    def off_onec(self, kind: str, person_id: str, moment: datetime, horizon: datetime) -> SiteOrder:
        """An order that never reaches 1C: failed, pending, cancelled, or an e-gift certificate."""
        rng = self.rng
        created = max(SHOP_OPENED, min(moment, horizon - timedelta(minutes=rng.randint(15, 600))))
        if kind == "gift":
            order = self.order(person_id, created, "completed", [gift_line(rng)], 0)
            order.payment = "yookassa_bank_card"  # paid online and completed automatically
            self.stamp(order, horizon, created + timedelta(minutes=rng.randint(3, 15)))
            return order
        person = person_of(self.model, self.sources, person_id)
        order = self.order(person_id, created, kind, *self.lines(basket(self.model, person, created, rng)))
        self.stamp(order, horizon, None)
        return order

    def stamp(self, order: SiteOrder, horizon: datetime, completed: datetime | None) -> None:
        """Paid, completed and modified moments that fit the status."""
        start, rng = order.created, self.rng
        if order.status in ("completed", "processing") and order.payment == "yookassa_bank_card":
            order.paid = start + timedelta(minutes=rng.randint(1, 6))
        if order.status == "completed":
            order.completed = max(completed, start + timedelta(seconds=30))
            order.paid = min(order.paid or order.completed, order.completed)  # cash or invoice: on delivery
            order.modified = order.completed
        elif order.status == "cancelled":
            order.modified = min(horizon, start + timedelta(minutes=rng.randint(30, 3 * 24 * 60)))
        elif order.status == "failed":
            order.modified = start + timedelta(minutes=rng.randint(1, 5))
        elif order.status == "processing":
            order.modified = order.paid or start + timedelta(minutes=rng.randint(1, 30))
        order.modified = max(order.modified, start)

    def number(self, orders: list[SiteOrder]) -> None:
        """Post ids in order of creation (WordPress shares them with pages and products, hence the gaps);
        a site account gets its id at the first order placed logged in; 1C learns the order numbers."""
        model, sources, rng = self.model, self.sources, self.rng
        by_key = {o.ref_key: o for o in model.orders}
        shipments = {s.order_key: s for s in model.shipments}
        for order in sorted(orders, key=lambda o: (o.created, o.seq)):
            order.order_id = sources.new_id("post", rng.choice((1, 1, 1, 2, 3, 5, 8)))
            profile = sources.profiles[order.person_id]
            if order.logged_in:
                if not profile.site_account:
                    profile.site_account = sources.new_id("site_user", rng.choice((1, 1, 2)))
                order.customer_id = profile.site_account
            if order.onec_order_key:
                onec_order = by_key[order.onec_order_key]
                onec_order.site_number = order.number
                if shipment := shipments.get(onec_order.ref_key):
                    shipment.site_number = order.number


def build_site(builder: SiteBuilder, linkable) -> None:
    model, sources = builder.model, builder.sources
    sources.next_id.update(post=FIRST_POST_ID, site_user=1)
    shipment_of = {s.order_key: s for s in model.shipments}
    for order in model.orders:
        if order.site_number:
            builder.from_onec(order, shipment_of.get(order.ref_key), sources.horizon)
    sources.linkable = linkable(model, sources)
    _orders_off_onec(builder)
    builder.number(sources.site_orders)


def _orders_off_onec(builder: SiteBuilder) -> None:
    """From people the matching can recognise, or new site-only buyers (a quarter)."""
    model, sources, rng = builder.model, builder.sources, builder.rng
    reached = len(sources.site_orders)
    completed = sum(o.status == "completed" for o in sources.site_orders)
    plan = [kind for kind, share in OFF_ONEC.items() for _ in range(round(share * reached))]
    plan += ["gift"] * round(completed * GIFT_SHARE / (1 - GIFT_SHARE))
    buyers = sorted(sources.linkable)
    days = acquisition_days(rng, len(plan), HISTORY_START, model.as_of_date)
    for kind, day in zip(plan, days, strict=True):
        if rng.random() < 0.25 or not buyers:
            person_id = new_person(model, sources, "W", rng, builder.faker).person_id
        else:
            person_id = rng.choice(buyers)
        builder.off_onec(kind, person_id, _moment(rng, day), sources.horizon)


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(7, 23), rng.randint(0, 59), rng.randint(0, 59)))
