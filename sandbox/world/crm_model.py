"""The CRM (amoCRM) as true facts: leads with their stage-by-stage histories, contacts, ids.

`CrmBuilder` holds the moves every lead is made of: who is responsible, when a manager first responds,
how a lead walks its pipeline one stage at a time and ends won or lost, and the contact it hangs on
(made at the person's first lead; sometimes a second one, as integrations and managers do). Which leads
exist is crm_leads.py; calls and tasks are crm_activity.py.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, time, timedelta

from faker import Faker

from sandbox.world.channels import Touch
from sandbox.world.documents import Model, hash_index
from sandbox.world.people import Person, spell_email
from sandbox.world.sources_model import (
    FIRST_USER_ID,
    LOST,
    OPEN_STAGES,
    ROBOT,
    CrmContact,
    Lead,
    Sources,
    StageMove,
)
from sandbox.world.sources_people import CRM_PHONE_STYLES, crm_phone, person_of, profile_of

OPENS, CLOSES = time(9, 0), time(20, 0)  # managers work Monday to Saturday
JUNK_NAMES = ("test", "Тест", "asdf", "Спам", "ddd")
JUNK_PHONES = ("+7 (000) 000-00-00", "111", "89999999999")
FIRST_IDS = {"lead": 31_400_000, "contact": 52_100_000, "note": 180_000_000, "task": 27_000_000}


def roubles(kopecks: int) -> int:
    """amoCRM keeps a deal's price in whole roubles (half up)."""
    return (kopecks + 50) // 100


def response_delay(rng: random.Random, created: datetime) -> timedelta:
    """Minutes in working hours; a lead that comes in after hours waits for the next morning."""
    if created.weekday() < 6 and OPENS <= created.time() < CLOSES:
        return timedelta(minutes=min(300.0, rng.lognormvariate(math.log(8), 1.0)))
    day = created.date() if created.time() < OPENS else created.date() + timedelta(days=1)
    if day.weekday() == 6:
        day += timedelta(days=1)
    opening = datetime.combine(day, OPENS)
    return opening - created + timedelta(minutes=rng.lognormvariate(math.log(20), 0.7))


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole second strictly inside (start, end) when there is room, else start + 1 s."""
    span = int((end - start).total_seconds())
    return start + timedelta(seconds=1 + int(rng.random() * (span - 1)) if span > 1 else 1)


class CrmBuilder:
    def __init__(self, model: Model, sources: Sources, rng: random.Random, faker: Faker):
        self.model, self.sources, self.rng, self.faker = model, sources, rng, faker
        self.managers = {m.ref_key: m for m in model.managers}
        self.owned: dict[str, list[CrmContact]] = {}
        self.second_planned: dict[str, bool] = {}
        for contact in sources.contacts:
            if contact.person_id and not contact.deleted_at:
                self.owned.setdefault(contact.person_id, []).append(contact)

    def person(self, person_id: str) -> Person:
        return person_of(self.model, self.sources, person_id)

    def responsible(self, person: Person, moment: datetime) -> int:
        """The person's manager; after a manager left, a colleague (as in 1C, documents.manager_for)."""
        manager = self.managers[person.manager_key]
        if moment.date() > manager.active_until:
            manager = self.model.managers[hash_index(person.person_id, len(self.model.managers) - 1)]
        return self.sources.users[manager.ref_key]

    def new_lead(
        self, person_id, pipeline, origin, touch: Touch, created, by_robot, price, name, start
    ) -> Lead:
        responsible = self.responsible(self.person(person_id), created) if person_id else self.any_user()
        lead = Lead(
            self.sources.next_seq(),
            person_id,
            pipeline,
            origin,
            touch,
            created,
            responsible,
            ROBOT if by_robot else responsible,
            price,
            name,
            [StageMove(start, created, ROBOT if by_robot else responsible)],
        )
        self.sources.leads.append(lead)
        return lead

    def any_user(self) -> int:
        return FIRST_USER_ID + self.rng.randrange(len(self.model.managers) - 1)

    def plan_response(self, lead: Lead, chance: float, limit: datetime) -> None:
        """When a manager first calls back (or completes a task); squeezed before `limit` if needed."""
        rng = self.rng
        if rng.random() >= chance:
            return
        at = (lead.created + response_delay(rng, lead.created)).replace(microsecond=0)
        if at >= limit:  # the deal moved faster than the usual callback
            at = between(rng, lead.created, lead.created + (limit - lead.created) / 3 + timedelta(seconds=2))
        lead.response_at = max(at, lead.created + timedelta(seconds=1))
        lead.response_by_task = rng.random() < 0.2

    def walk(
        self, lead: Lead, steps: int, end: datetime, final: int | None = None, by: int | None = None
    ) -> None:
        """Advance `steps` open stages one at a time before `end`, then (optionally) close at exactly `end`.
        The step out of the entry stage comes with the first response when there is one."""
        rng, stages = self.rng, OPEN_STAGES[lead.pipeline]
        targets = list(stages[stages.index(lead.status) + 1 :][:steps])
        start, response = lead.moves[-1].at, lead.response_at
        if targets and response and start < response and response + timedelta(seconds=130) < end:
            first = response + timedelta(seconds=rng.randint(5, 120))
            times = [first] + sorted(between(rng, first, end) for _ in targets[1:])
        else:
            times = sorted(between(rng, start, end) for _ in targets)
        for status, moment in zip(targets, times, strict=True):
            moment = max(moment, lead.moves[-1].at + timedelta(seconds=1))
            lead.moves.append(StageMove(status, moment, lead.responsible))
        if final:
            moment = max(end, lead.moves[-1].at + timedelta(seconds=1))
            lead.moves.append(StageMove(final, moment, lead.responsible if by is None else by))

    def lose(self, lead: Lead, steps: int, end: datetime, reason: int, by: int | None = None) -> None:
        self.walk(lead, steps, end, LOST, by)
        lead.loss_reason = reason

    # ---------------------------------------------------------------------------------- contacts
    def assign_contacts(self, leads: list[Lead], second_contact_share: float = 0.05) -> None:
        """In order of creation: the person's first lead makes their contact; for some people a later lead
        makes a second one (the integration did not find the first, or a manager typed a new one)."""
        for lead in sorted(leads, key=lambda x: (x.created, x.seq)):
            if lead.person_id is None:
                lead.contact = self.junk_contact(lead)
                continue
            mine = self.owned.setdefault(lead.person_id, [])
            if not mine:
                mine.append(self.contact(lead, main=True))
                twice = self.rng.random() < second_contact_share
                reception = self.sources.switchboards.get(lead.person_id)
                self.second_planned[lead.person_id] = twice and not reception
            elif len(mine) == 1 and self.second_planned.get(lead.person_id):
                mine.append(self.contact(lead, main=False))
            lead.contact = mine[-1] if len(mine) > 1 and self.rng.random() < 0.5 else mine[0]

    def contact(self, lead: Lead, main: bool) -> CrmContact:
        rng, person = self.rng, self.person(lead.person_id)
        profile = profile_of(
            self.sources, person, rng, self.faker, self.model.as_of_date, self.model.used_emails
        )
        phones, emails = self.contact_keys(lead, person, profile.site_email)
        if not main:  # the second contact: another spelling of the phone, or only the e-mail
            if emails and rng.random() < 0.4:
                phones = []
            elif rng.random() < 0.5:
                emails = []
        name = f"{profile.first_name} {profile.last_name}"
        if person.is_company and rng.random() < 0.5:
            name += f" ({person.name})"
        contact = CrmContact(
            self.sources.next_seq(),
            person.person_id,
            lead.created - timedelta(seconds=rng.randint(1, 20)),  # a contact is saved before its lead
            profile.first_name,
            profile.last_name,
            name,
            lead.responsible,
            lead.created_by,
            phones,
            emails,
            city=person.city if rng.random() < 0.7 else "",
            gender=profile.gender if rng.random() < 0.6 else "",
            birthday=profile.birthday if rng.random() < 0.35 else None,
        )
        self.sources.contacts.append(contact)
        return contact

    def contact_keys(self, lead: Lead, person: Person, site_email: str):
        rng = self.rng
        if reception := self.sources.switchboards.get(person.person_id):  # all the CRM has of them
            return [(crm_phone(reception, rng.randrange(CRM_PHONE_STYLES)), "WORK")], []
        code = "MOB" if person.phone.startswith("9") and rng.random() < 0.7 else "WORK"
        phones = [(crm_phone(person.phone, rng.randrange(CRM_PHONE_STYLES)), code)]
        email = site_email if lead.origin == "site_order" else person.email
        if not email:
            return phones, []
        typed = spell_email(email, rng.choice([1, 2])) if rng.random() < 0.08 else email
        return phones, [(typed.strip(), "WORK")]

    def junk_contact(self, lead: Lead) -> CrmContact:
        rng = self.rng
        name = rng.choice(JUNK_NAMES)
        phones, emails = [(rng.choice(JUNK_PHONES), "WORK")], [("test@test.ru", "WORK")]
        created = lead.created - timedelta(seconds=2)
        contact = CrmContact(
            self.sources.next_seq(),
            None,
            created,
            name,
            "",
            name,
            lead.responsible,
            ROBOT,
            phones,
            emails,
            deleted_at=lead.deleted_at,
        )
        self.sources.contacts.append(contact)
        return contact

    # ---------------------------------------------------------------------------------------- ids
    def number(self, leads, contacts, calls, tasks) -> None:
        """amoCRM ids grow with creation time, with gaps (other accounts share the sequences)."""
        rng, sources = self.rng, self.sources
        gap = lambda most: 1 + int(rng.random() * most)  # noqa: E731
        for lead in sorted(leads, key=lambda x: (x.created, x.seq)):
            lead.lead_id = sources.new_id("lead", gap(3))
        for contact in sorted(contacts, key=lambda x: (x.created, x.seq)):
            contact.contact_id = sources.new_id("contact", gap(3))
        for call in sorted(calls, key=lambda x: x.at):  # stable: ties keep the order they were made in
            if call.lead:
                call.lead_note_id = sources.new_id("note", gap(4))
            if call.contact:
                call.contact_note_id = sources.new_id("note", gap(2))
        for task in sorted(tasks, key=lambda x: x.created):
            task.task_id = sources.new_id("task", gap(3))
