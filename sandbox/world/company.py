"""The fictional company: a seeded, deterministic model of a home-goods shop, its 1C base, CRM, web shop
and Metrica counter.

    company = generate_company(scale=0.02, seed=7, configuration="ut11")   # or "bp30", "unf"
    company.model, company.sources   # the clean model: 1C's history; the CRM, the site and the visits
    company.apply_nightly_changes()   # one night of edits in 1C, the CRM and the site

The systems' records are built from it beside this package, in systems/ (`store_of(company, "onec")`), and
the numbers the marts must show in truth/ (`truth_for(company, sources)`); nothing here imports either.

Every random draw comes from random.Random streams derived from the seed (one per concern, so a
change in one part does not reshuffle the others) and a seeded Faker; nothing reads the clock.
The 1C configuration (УТ 11, БП 3.0, УНФ) only changes how records are exported, so all share one truth,
but for one rule: only УТ 11's payments can name a customer order (sandbox/truth/receivables.py).
The CRM, the site and Metrica are layered onto the finished 1C history from streams of their own, so the
1C history (and its truth) is the same with or without them.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from faker import Faker

from sandbox.world.catalog import make_products
from sandbox.world.changes import NightReport, apply_night
from sandbox.world.counterparties import make_counterparties
from sandbox.world.crm_activity import build_activity
from sandbox.world.crm_leads import build_leads
from sandbox.world.crm_model import FIRST_IDS, CrmBuilder
from sandbox.world.documents import (
    Document,
    Model,
    acquisition_days,
    business_moment,
    make_return,
    purchase,
    purchase_days,
)
from sandbox.world.people import Person, make_person
from sandbox.world.reference import (
    AS_OF_DATE,
    CONFIGURATIONS,
    HISTORY_START,
    RefKeys,
    make_managers,
    make_price_types,
)
from sandbox.world.site_model import SiteBuilder, build_site
from sandbox.world.sources_model import FIRST_USER_ID, Sources, bulk_allocation
from sandbox.world.sources_night import apply_sources_night
from sandbox.world.sources_people import linkable_people
from sandbox.world.visits import build_visits

CUSTOMERS_AT_SCALE_1 = 20_000
PROSPECT_SHARE = 0.07  # people with a card who never bought
RETURN_SHARE = 0.03


def stream(seed: int, name: str) -> random.Random:
    return random.Random(f"salespipe:{seed}:{name}")


class Company:
    """The generated company; see the module docstring."""

    def __init__(self, model: Model, sources: Sources, configuration: str, faker: Faker):
        self._model = model
        self._sources = sources
        self._faker = faker
        self.configuration = configuration

    @property
    def as_of_date(self) -> date:
        return self._model.as_of_date

    @property
    def model(self) -> Model:
        """The clean model (read it, do not edit it): for tests and debugging."""
        return self._model

    @property
    def sources(self) -> Sources:
        """The clean CRM, site and Metrica model (read it, do not edit it): for tests and debugging."""
        return self._sources

    def apply_nightly_changes(self) -> NightReport:
        self._model.nights += 1
        night, seed = self._model.nights, self._model.seed
        self._faker.seed_instance(f"salespipe:{seed}:night:{night}")
        report = apply_night(self._model, stream(seed, f"night:{night}"), self._faker)
        # After the 1C night, from a stream of its own: the 1C night stays what it was before the CRM.
        apply_sources_night(
            self._model, self._sources, report, stream(seed, f"sources-night:{night}"), self._faker
        )
        return report


def generate_company(scale: float = 0.02, seed: int = 7, configuration: str = "ut11") -> Company:
    with bulk_allocation():
        return _generate(scale, seed, configuration)


def _generate(scale: float, seed: int, configuration: str) -> Company:
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
    return Company(model, write_sources(model, seed, faker), configuration, faker)


def write_sources(model: Model, seed: int, faker: Faker) -> Sources:
    """The site, the CRM and Metrica over the finished 1C history."""
    horizon = datetime.combine(model.as_of_date, time(21, 0))  # nights add theirs after it
    users = {m.ref_key: FIRST_USER_ID + i for i, m in enumerate(model.managers)}
    sources = Sources(horizon, users)
    build_site(SiteBuilder(model, sources, stream(seed, "site"), faker), linkable_people)
    crm = CrmBuilder(model, sources, stream(seed, "crm"), faker)
    sources.next_id.update(FIRST_IDS)
    build_leads(crm)
    crm.assign_contacts(sources.leads)
    build_activity(crm)
    crm.number(sources.leads, sources.contacts, sources.calls, sources.tasks)
    build_visits(sources, model.as_of_date, stream(seed, "visits"))
    return sources


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
