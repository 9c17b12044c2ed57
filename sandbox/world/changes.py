"""One night of edits in the 1C base, the kind an incremental loader must survive.

Back-dated new shipments (older than the connector's 31-day window: only a DataVersion scan finds
them), re-posted shipments with changed quantities, shipments marked for deletion (1C unposts them),
a draft posted, fresh shipments in the last days, a brand-new customer, and sometimes a draft deleted
outright (its key vanishes). Everything stays within the history and <= as_of_date; the truth is
recomputed from the model afterwards, and the report says how the sales should have moved.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from faker import Faker

from sandbox.world.counterparties import Contact, primary_card
from sandbox.world.documents import Document, Model, business_moment, purchase
from sandbox.world.people import make_person
from sandbox.world.reference import ZERO_GUID

OVERLAP_WINDOW_DAYS = 31


@dataclass
class NightReport:
    night: int
    # (action, Ref_Key, change of the sales amount in kopecks, change of the sales count)
    actions: list[tuple[str, str, int, int]] = field(default_factory=list)
    new_customers: int = 0
    # The CRM and the site that night (sources_night.py): (action, amoCRM lead id | site order id)
    crm_actions: list[tuple[str, int]] = field(default_factory=list)
    site_actions: list[tuple[str, int]] = field(default_factory=list)
    # Metrica that night: (action, (day, (traffic source, utm source, medium, campaign)))
    metrica_actions: list[tuple[str, tuple]] = field(default_factory=list)

    @property
    def sales_amount_delta(self) -> float:
        """How much gross sales (and, as no return changes, revenue) moved, in roubles."""
        return round(sum(a[2] for a in self.actions) / 100, 2)

    @property
    def sales_count_delta(self) -> int:
        return sum(a[3] for a in self.actions)

    def count(self, action: str) -> int:
        return sum(1 for a in self.actions if a[0] == action)

    def sources_count(self, action: str) -> int:
        """How many CRM, site or Metrica actions of this kind the night had."""
        return sum(1 for a in self.crm_actions + self.site_actions + self.metrica_actions if a[0] == action)


def apply_night(model: Model, rng: random.Random, faker: Faker) -> NightReport:
    report = NightReport(model.nights)
    entered_at = datetime.combine(model.as_of_date, time(22, 0)) + timedelta(minutes=model.nights)
    returned = {r.sale_key for r in model.returns}
    editable = [s for s in model.shipments if s.is_live and s.ref_key not in returned]
    picked = rng.sample(editable, 5)
    for sale in picked[:3]:
        _repost_with_new_quantity(sale, rng, report)
    for sale in picked[3:]:
        sale.posted, sale.deletion_mark = False, True  # 1C unposts a document marked for deletion
        sale.version += 1
        report.actions.append(("deletion_marked", sale.ref_key, -sale.amount, -1))
    drafts = [s for s in model.shipments if not s.posted and not s.deletion_mark]
    if drafts:
        draft = rng.choice(drafts)
        draft.posted, draft.version = True, draft.version + 1
        report.actions.append(("posted_draft", draft.ref_key, draft.amount, 1))
        drafts.remove(draft)
    buyers = sorted({model.card_by_key[s.card_key].person_id for s in editable})
    for _ in range(rng.randint(2, 4)):  # back-dated beyond the overlap window
        day = model.as_of_date - timedelta(days=rng.randint(OVERLAP_WINDOW_DAYS + 9, 120))
        _new_sale(model, rng.choice(buyers), day, entered_at, rng, report, "backdated")
    for _ in range(rng.randint(3, 6)):
        day = model.as_of_date - timedelta(days=rng.randint(0, 3))
        _new_sale(model, rng.choice(buyers), day, entered_at, rng, report, "recent")
    person_id = _new_customer(model, rng, faker)
    _new_sale(
        model,
        person_id,
        model.as_of_date - timedelta(days=rng.randint(0, 2)),
        entered_at,
        rng,
        report,
        "new_customer",
    )
    report.new_customers = 1
    _touch_a_card(model, rng, faker)
    if drafts and rng.random() < 0.5:  # deleted outright: the key vanishes from the store
        gone = rng.choice(drafts)
        model.shipments.remove(gone)
        report.actions.append(("hard_deleted_draft", gone.ref_key, 0, 0))
    return report


def _repost_with_new_quantity(sale: Document, rng: random.Random, report: NightReport) -> None:
    line = rng.choice(sale.lines)
    before = sale.amount
    line.qty += 1 if line.qty == 1 or rng.random() < 0.5 else -1
    sale.version += 1
    report.actions.append(("reposted", sale.ref_key, sale.amount - before, 0))


def _new_sale(
    model: Model,
    person_id: str,
    day,
    entered_at: datetime,
    rng: random.Random,
    report: NightReport,
    action: str,
) -> Document:
    person = model.person_by_id[person_id]
    sale = purchase(model, person, rng.choice(person.card_keys), business_moment(rng, day), rng)
    order = model.orders[-1]
    for doc, kind in ((order, "order"), (sale, "shipment")):
        doc.entered_at = entered_at
        doc.number = model.next_number[kind]
        model.next_number[kind] += 1
    report.actions.append((action, sale.ref_key, sale.amount, 1))
    return sale


def _new_customer(model: Model, rng: random.Random, faker: Faker) -> str:
    person = make_person(
        f"P{len(model.people) + 1:06d}", rng, faker, model.managers[:-1], model.used_phones, model.used_emails
    )
    folder = next(c.ref_key for c in model.cards if c.is_folder and c.description == "Интернет-магазин")
    card = primary_card(person, rng, faker, model.keys, ZERO_GUID if person.is_company else folder)
    card.code = max(c.code for c in model.cards) + 1
    model.people.append(person)
    model.person_by_id[person.person_id] = person
    model.cards.append(card)
    model.card_by_key[card.ref_key] = card
    return person.person_id


def _touch_a_card(model: Model, rng: random.Random, faker: Faker) -> None:
    """A manager adds a delivery address to a live card: a catalog change that is not a new key."""
    card = rng.choice([c for c in model.cards if c.person_id and not c.deletion_mark])
    person = model.person_by_id[card.person_id]
    card.contacts.append(
        Contact("Адрес", "Адрес доставки", f"{person.city}, {faker.street_address()}", city=person.city)
    )
    card.version += 1
