"""One night in the CRM and on the site, after 1C's night, the way an incremental
loader must survive it. Everything happens "tonight": after the generated horizon, second by second from
22:00 + 4 minutes per night, so every change carries a newer timestamp than anything before it.

- the site catches up with 1C: the night's new 1C orders from the site get their site orders (completed
  if shipped) and the integration's leads; a posted 1C draft completes its site order and wins its lead;
  a re-posted 1C sale re-prices the lead it won;
- new site orders placed tonight (pending, failed, sometimes an e-gift certificate: a sale of its own);
- new leads, a few leads moved one stage on, one or two won (at the night's 1C sales), one or two lost,
  one deleted; Metrica revises the as-of day with the new leads' visits, and filters the smallest group
  of it that no lead came from away (robots): the row is gone from every later report;
- the shop's admin trashes a site-only sale and deletes a junk order for good: both drop out of every
  listing the connector reads (the window never sees them go). amoCRM is not told (the integration syncs
  status changes, and a trash is none): their leads stay as they were.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from faker import Faker

from sandbox.world.changes import NightReport
from sandbox.world.crm_leads import reason, sales_lead
from sandbox.world.crm_model import CrmBuilder, roubles
from sandbox.world.documents import Model, basket
from sandbox.world.site_model import SiteBuilder, gift_line
from sandbox.world.sources_model import (
    ADMIN_ID,
    CONFIRMED,
    CONTRACT,
    LOST,
    NEW_ORDER,
    OPEN_STAGES,
    ROBOT,
    SALES,
    SHOP,
    WON,
    Lead,
    SiteOrder,
    Sources,
    StageMove,
)
from sandbox.world.sources_people import linkable_people, new_person
from sandbox.world.visits import revise_away, revise_day


class Night:
    def __init__(self, model: Model, sources: Sources, report: NightReport, rng: random.Random, faker: Faker):
        self.model, self.sources, self.report, self.rng = model, sources, report, rng
        self.clock = datetime.combine(model.as_of_date, time(22, 0)) + timedelta(
            minutes=4 * (model.nights - 1)
        )
        self.site = SiteBuilder(model, sources, rng, faker)
        self.crm = CrmBuilder(model, sources, rng, faker)
        self.leads: list[Lead] = []
        self.actions: list[tuple[str, Lead]] = []  # reported once the new leads have their ids
        self.contacts_before = len(sources.contacts)
        self.dusk = self.clock  # what existed before tonight was modified before this

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=self.rng.randint(1, 3))
        return self.clock

    def move(self, lead: Lead, status: int, by: int | None = None, action: str | None = None) -> None:
        lead.moves.append(StageMove(status, self.tick(), lead.responsible if by is None else by))
        if action:
            self.actions.append((action, lead))

    def new_lead(self, lead: Lead) -> Lead:
        self.leads.append(lead)
        return lead

    # ---------------------------------------------------------------------------------------- site
    def shop_lead(self, order: SiteOrder, sale=None) -> Lead:
        """The integration's lead, made tonight; completed orders are confirmed and won at once."""
        lead = self.crm.new_lead(
            order.person_id,
            SHOP,
            "site_order",
            order.touch,
            self.tick(),
            True,
            roubles(order.total),
            f"Заказ с сайта №{order.number}",
            NEW_ORDER,
        )
        lead.site_order = order
        if order.status in ("completed", "processing"):
            self.move(lead, CONFIRMED, ROBOT)
        if order.status == "completed":
            self.win(lead, sale, ROBOT)
        return self.new_lead(lead)

    def win(self, lead: Lead, sale, by: int | None = None) -> None:
        stages = OPEN_STAGES[lead.pipeline]
        for status in stages[stages.index(lead.status) + 1 :]:
            self.move(lead, status, by)
        self.move(lead, WON, by, "won")
        lead.price = roubles(sale.amount if sale is not None else lead.site_order.total)
        lead.sale_key = sale.ref_key if sale is not None else f"site:{lead.site_order.seq}"

    def catch_up_with_onec(self) -> None:
        shipments = {s.order_key: s for s in self.model.shipments}
        fresh = [o for o in self.model.orders if o.site_number == "site"]
        orders = []
        for order in fresh:
            site = self.site.from_onec(order, shipments.get(order.ref_key), self.clock)
            site.modified = self.tick()
            orders.append(site)
        self.site.number(orders)
        for site in orders:
            self.report.site_actions.append(("new_order_in_onec", site.order_id))
            self.shop_lead(site, shipments.get(site.onec_order_key))
        posted = {key for action, key, _, _ in self.report.actions if action == "posted_draft"}
        for site in self.sources.site_orders:
            sale = shipments.get(site.onec_order_key)
            if sale is not None and sale.ref_key in posted and site.status == "processing":
                self.complete(site, sale)
        reposted = {key for action, key, _, _ in self.report.actions if action == "reposted"}
        by_key = {s.ref_key: s for s in self.model.shipments if s.ref_key in reposted}
        for lead in self.sources.leads:
            if lead.sale_key in by_key and lead.status == WON:  # the integration syncs the new amount
                lead.price = roubles(by_key[lead.sale_key].amount)
                lead.edited_at = self.tick()
                self.actions.append(("price_synced", lead))

    def complete(self, site: SiteOrder, sale) -> None:
        site.status, site.completed = "completed", self.tick()
        site.paid = site.paid or site.completed
        site.modified = site.completed
        self.report.site_actions.append(("completed", site.order_id))
        lead = next(x for x in self.sources.leads if x.site_order is site)
        if lead.closed_at is None and not lead.deleted_at:
            self.win(lead, sale, ROBOT)

    def tonight_orders(self) -> None:
        """Placed tonight and never in 1C: an abandoned or failed payment, sometimes a certificate."""
        rng, buyers = self.rng, sorted(self.sources.linkable)
        kinds = [rng.choice(["pending", "failed", "pending"]) for _ in range(rng.randint(1, 2))]
        kinds += ["gift"] if rng.random() < 0.4 else []
        orders = []
        for kind in kinds:
            person_id = rng.choice(buyers)
            created = self.tick()
            if kind == "gift":
                order = self.site.order(person_id, created, "completed", [gift_line(rng)], 0)
                order.payment, order.paid = "yookassa_bank_card", self.tick()
                order.completed = order.modified = self.tick()
            else:
                person = self.crm.person(person_id)
                lines, shipping = self.site.lines(basket(self.model, person, created, rng))
                order = self.site.order(person_id, created, kind, lines, shipping)
                order.modified = self.tick() if kind == "failed" else created
            orders.append(order)
        self.site.number(orders)
        for order in orders:
            action = "site_only_sale" if order.status == "completed" else f"new_order:{order.status}"
            self.report.site_actions.append((action, order.order_id))
            self.shop_lead(order)

    def admin_cleanup(self) -> None:
        """A site-only sale trashed (a test order, a certificate refused by the bank) and a junk order that
        never reached 1C (failed, abandoned or cancelled) deleted for good, both from before tonight."""
        listed = sorted(
            (o for o in self.sources.site_orders if o.on_site and o.modified < self.dusk),
            key=lambda o: o.order_id,
        )
        sales = [o for o in listed if o.is_site_only_sale]
        if sales:
            order = self.rng.choice(sales)
            order.status, order.modified = "trash", self.tick()
            self.report.site_actions.append(("order_trashed", order.order_id))
        junk = [
            o for o in listed if o.onec_order_key is None and o.status in ("failed", "pending", "cancelled")
        ]
        if junk:
            order = self.rng.choice(junk)
            order.deleted_at = self.tick()
            self.report.site_actions.append(("order_deleted", order.order_id))

    # ----------------------------------------------------------------------------------------- CRM
    def open_sales_leads(self) -> list[Lead]:
        return [
            x for x in self.sources.leads if x.pipeline == SALES and x.closed_at is None and not x.deleted_at
        ]

    def new_leads(self) -> None:
        rng, people = self.rng, sorted(self.sources.linkable)
        for _ in range(rng.randint(2, 5)):
            if rng.random() < 0.15:
                person_id = new_person(self.model, self.sources, "C", rng, self.crm.faker).person_id
            else:
                person_id = rng.choice(people)
            lead = sales_lead(self.crm, person_id, self.tick(), 0, rng.choice(["form", "form", "call"]))
            self.new_lead(lead)

    def wins(self) -> None:
        """The night's own 1C sales (not from the site) that a manager closes in the CRM tonight."""
        model, rng = self.model, self.rng
        site_orders = {o.ref_key for o in model.orders if o.site_number}
        fresh = {key for action, key, _, _ in self.report.actions if action in ("recent", "new_customer")}
        sales = [s for s in model.shipments if s.ref_key in fresh and s.order_key not in site_orders]
        sales = [s for s in sales if s.date <= self.clock]
        for i, sale in enumerate(sales[:2]):
            person_id = model.card_by_key[sale.card_key].person_id
            if person_id not in self.sources.linkable or (i and rng.random() < 0.5):
                continue
            lead = next((x for x in self.open_sales_leads() if x.person_id == person_id), None)
            if lead is None:  # entered after the fact, straight into the first stage
                lead = self.new_lead(sales_lead(self.crm, person_id, self.tick(), 0, "manual"))
            self.win(lead, sale)

    def moves_and_losses(self) -> None:
        rng = self.rng
        candidates = [x for x in self.open_sales_leads() if x.status != CONTRACT and x not in self.leads]
        for lead in rng.sample(candidates, min(len(candidates), rng.randint(2, 4))):
            stages = OPEN_STAGES[SALES]
            self.move(lead, stages[stages.index(lead.status) + 1], action="stage_moved")
        candidates = [x for x in self.open_sales_leads() if x not in self.leads]
        for lead in rng.sample(candidates, min(len(candidates), rng.randint(1, 2))):
            lead.loss_reason = reason(rng)
            self.move(lead, LOST, action="lost")

    def delete_one(self) -> None:
        """A manager deletes a lead nobody worked on (its notes and tasks would go with it)."""
        worked = {c.lead.seq for c in self.sources.calls if c.lead} | {t.lead.seq for t in self.sources.tasks}
        idle = [x for x in self.sources.leads if x.status != WON and not x.deleted_at and x.seq not in worked]
        lead = self.rng.choice(idle)
        lead.deleted_at, lead.deleted_by = self.tick(), ADMIN_ID
        self.actions.append(("deleted", lead))

    def run(self) -> None:
        self.sources.linkable = linkable_people(self.model, self.sources)
        self.catch_up_with_onec()
        self.tonight_orders()
        self.new_leads()
        self.wins()
        self.moves_and_losses()
        self.crm.assign_contacts(self.leads)
        self.crm.number(self.leads, self.sources.contacts[self.contacts_before :], [], [])
        self.delete_one()
        revise_day(self.sources, self.model.as_of_date, self.leads, self.rng)
        if (gone := revise_away(self.sources, self.model.as_of_date)) is not None:
            self.report.metrica_actions.append(("visits_revised_away", (self.model.as_of_date, gone)))
        self.admin_cleanup()  # last: the night's other changes draw the same random numbers as before it
        self.report.crm_actions += [("new_lead", lead.lead_id) for lead in self.leads]
        self.report.crm_actions += [(action, lead.lead_id) for action, lead in self.actions]


def apply_sources_night(
    model: Model, sources: Sources, report: NightReport, rng: random.Random, faker: Faker
):
    Night(model, sources, report, rng, faker).run()
