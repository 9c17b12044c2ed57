"""The fictional company: a seeded, deterministic model of a home-goods shop and its 1C base.

    company = generate_company(scale=0.02, seed=7, configuration="ut11")   # or "bp30"
    company.onec_store()   # entity set -> records, as 1C OData v3 JSON (CONTRACTS §1)
    company.truth()        # the key numbers from the clean model (CONTRACTS §6)
    company.apply_nightly_changes()   # one night of edits in 1C

Every random draw comes from random.Random streams derived from the seed (one per concern, so a
change in one part does not reshuffle the others) and a seeded Faker; nothing reads the clock.
The configuration only changes how records are exported, so "ut11" and "bp30" share one truth.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from faker import Faker

from sandbox.catalog import AS_OF_DATE, HISTORY_START, RefKeys, make_managers, make_price_types, make_products
from sandbox.changes import NightReport, apply_night
from sandbox.documents import (
    Document,
    Model,
    acquisition_days,
    business_moment,
    make_return,
    purchase,
    purchase_days,
)
from sandbox.onec_export import CONFIGURATIONS, export_store
from sandbox.people import Person, make_counterparties, make_person
from sandbox.truth import truth_from_model

CUSTOMERS_AT_SCALE_1 = 20_000
PROSPECT_SHARE = 0.07  # people with a card who never bought
RETURN_SHARE = 0.03


def stream(seed: int, name: str) -> random.Random:
    return random.Random(f"salespipe:{seed}:{name}")


class Company:
    """The generated company; see the module docstring."""

    def __init__(self, model: Model, configuration: str, faker: Faker):
        self._model = model
        self._faker = faker
        self.configuration = configuration

    @property
    def as_of_date(self) -> date:
        return self._model.as_of_date

    @property
    def model(self) -> Model:
        """The clean model (read it, do not edit it): for tests and debugging."""
        return self._model

    def onec_store(self) -> dict[str, list[dict]]:
        return export_store(self._model, self.configuration)

    def truth(self) -> dict:
        return truth_from_model(self._model)

    def apply_nightly_changes(self) -> NightReport:
        self._model.nights += 1
        night = self._model.nights
        self._faker.seed_instance(f"salespipe:{self._model.seed}:night:{night}")
        return apply_night(self._model, stream(self._model.seed, f"night:{night}"), self._faker)


def generate_company(scale: float = 0.02, seed: int = 7, configuration: str = "ut11") -> Company:
    if configuration not in CONFIGURATIONS:
        raise ValueError(f"configuration must be one of {sorted(CONFIGURATIONS)}, got {configuration!r}")
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    faker = Faker("ru_RU")
    faker.seed_instance(seed)
    keys = RefKeys(stream(seed, "keys"))
    used_phones: set[str] = set()
    used_emails: set[str] = set()
    managers = make_managers(stream(seed, "managers"), keys, used_phones)
    price_types = make_price_types(keys)
    products = make_products(stream(seed, "catalog"), keys)
    people_rng = stream(seed, "people")
    people = [
        make_person(f"P{i + 1:06d}", people_rng, faker, managers, used_phones, used_emails)
        for i in range(max(40, round(CUSTOMERS_AT_SCALE_1 * scale)))
    ]
    cards = make_counterparties(people, stream(seed, "cards"), faker, keys, managers, used_phones)
    model = Model(
        seed,
        AS_OF_DATE,
        keys,
        managers,
        price_types,
        products,
        people,
        cards,
        used_phones=used_phones,
        used_emails=used_emails,
    )
    write_history(model, stream(seed, "history"))
    return Company(model, configuration, faker)


def write_history(model: Model, rng: random.Random) -> None:
    """Three years of buying, then the documents people leave behind by mistake, then numbering."""
    end = model.as_of_date
    first_days = acquisition_days(rng, len(model.people), HISTORY_START, end)
    for person, first in zip(model.people, first_days, strict=True):
        if rng.random() < PROSPECT_SHARE:
            continue
        days = purchase_days(rng, first, person.is_company, end)
        for day, card_key in zip(days, _cards_for_purchases(person, len(days), rng), strict=True):
            sale = purchase(model, person, card_key, business_moment(rng, day), rng)
            if rng.random() < RETURN_SHARE:
                make_return(model, sale, rng, end)
    add_loose_ends(model, rng)
    number_documents(model)


def _cards_for_purchases(person: Person, count: int, rng: random.Random) -> list[str]:
    """Mostly the first card; a duplicate card gets its own purchases (at least one when possible)."""
    keys = person.card_keys
    picks = [keys[0] if len(keys) == 1 or rng.random() < 0.6 else rng.choice(keys[1:]) for _ in range(count)]
    for i, key in enumerate(keys[1:], start=1):
        if key not in picks and count > i:
            picks[-i] = key
    return picks


def add_loose_ends(model: Model, rng: random.Random) -> None:
    """Documents that are not sales: drafts, mistakes marked for deletion, cancelled orders, unposted
    returns; plus back-dated entry and edits that bump DataVersion."""
    end = model.as_of_date
    buyers = sorted({model.card_by_key[s.card_key].person_id for s in model.shipments})
    sales = len(model.shipments)

    def random_purchase(posted: bool) -> Document:
        person = model.person_by_id[rng.choice(buyers)]
        day = HISTORY_START + timedelta(days=rng.randint(0, (end - HISTORY_START).days))
        return purchase(model, person, rng.choice(person.card_keys), business_moment(rng, day), rng, posted)

    for _ in range(max(8, round(0.01 * sales))):  # drafts: saved, never posted
        random_purchase(posted=False)
    for _ in range(max(6, round(0.01 * sales))):  # typed twice by mistake, the copy marked for deletion
        shipment = random_purchase(posted=False)
        shipment.deletion_mark = True
        order = model.orders[-1]
        order.posted, order.deletion_mark = False, True
    for _ in range(max(6, round(0.02 * sales))):  # orders cancelled before shipping
        random_purchase(posted=True)
        model.shipments.pop()
        model.orders[-1].posted = rng.random() < 0.5
        model.orders[-1].deletion_mark = not model.orders[-1].posted
    returned = {r.sale_key for r in model.returns}
    candidates = [s for s in model.shipments if s.is_live and s.ref_key not in returned]
    for sale in rng.sample(candidates, max(3, round(0.05 * len(model.returns)))):
        doc = make_return(model, sale, rng, end)
        if doc is not None:  # entered and abandoned, or marked for deletion
            doc.posted = False
            doc.deletion_mark = rng.random() < 0.5
    last_moment = datetime.combine(end, time(23, 59, 59))
    for doc in model.shipments:
        if rng.random() < 0.02:  # typed in days or weeks after the date it carries
            doc.entered_at = min(last_moment, doc.date + timedelta(days=rng.randint(3, 45)))
        if rng.random() < 0.05:  # edited and re-posted without changing the numbers
            doc.version += rng.randint(1, 2)
        doc.manual_number = rng.random() < 0.015
    for card in model.cards:
        card.version += 1 if rng.random() < 0.05 else 0


def number_documents(model: Model) -> None:
    """Numbers follow the order of entry, so back-dated documents break the Date order."""
    for kind, docs in (("order", model.orders), ("shipment", model.shipments), ("return", model.returns)):
        for number, doc in enumerate(sorted(docs, key=lambda d: (d.entered_at, d.ref_key)), start=1):
            doc.number = number
        model.next_number[kind] = len(docs) + 1
    for doc in sorted((o for o in model.orders if o.site_number), key=lambda d: (d.date, d.ref_key)):
        doc.site_number = f"W-{model.next_site_number}"
        model.next_site_number += 1
    by_order = {s.order_key: s for s in model.shipments}
    for order in model.orders:
        if order.ref_key in by_order:
            by_order[order.ref_key].site_number = order.site_number
