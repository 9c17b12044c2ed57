"""The people behind the CRM and the site: profiles, people 1C never saw, and who can be recognised.

A person's records in different systems are the same customer only through shared keys (a phone or an
e-mail, normalized) or a source reference (a site order number in 1C). `linkable_people` finds the 1C
people whose CRM contacts and site orders the pipeline's matching can tie back to their 1C cards;
only they get records outside 1C that are not tied by a reference, so the truth stays reachable.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import date, timedelta

from faker import Faker

from sandbox.world.documents import Model
from sandbox.world.people import EMAIL_DOMAINS, Person, make_person, translit, weighted
from sandbox.world.sources_model import Profile, Sources

STREETS = (
    "ул. Ленина",
    "пр-т Мира",
    "ул. Гагарина",
    "Садовая ул.",
    "ул. Пушкина",
    "ул. Советская",
    "Лесная ул.",
    "ул. Молодёжная",
    "Школьная ул.",
    "ул. Строителей",
)
MAX_SHARED_CONTACT = 3  # a contact on more 1C cards is not a customer key (docs/METRICS.md)


def normalize_phone(text: str) -> str | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    return "+7" + digits if len(digits) == 10 else None


def normalize_email(text: str) -> str | None:
    return text.strip().lower() or None


def crm_phone(phone: str, style: int) -> str:
    """How managers and integrations type a number into amoCRM."""
    a, b, c, d = phone[:3], phone[3:6], phone[6:8], phone[8:]
    styles = [f"8 ({a}) {b}-{c}-{d}", f"+7 {a} {b}{c}{d}", f"7{phone}", f"+7{phone}", f"8-{a}-{b}-{c}-{d}"]
    return styles[style]


def site_phone(phone: str, style: int) -> str:
    """How buyers type their number at checkout (a masked field for some, free text for others)."""
    a, b, c, d = phone[:3], phone[3:6], phone[6:8], phone[8:]
    return [f"+7 ({a}) {b}-{c}-{d}", f"8{phone}", phone, f"8 {a} {b} {c}{d}", f"+7({a}){b}{c}{d}"][style]


CRM_PHONE_STYLES, SITE_PHONE_STYLES = 5, 5


def profile_of(
    sources: Sources, person: Person, rng: random.Random, faker: Faker, as_of: date, used_emails: set[str]
) -> Profile:
    """Made once per person, the first time the CRM or the site meets them."""
    found = sources.profiles.get(person.person_id)
    if found:
        return found
    if person.is_company:
        male = rng.random() < 0.5
        first = faker.first_name_male() if male else faker.first_name_female()
        last = faker.last_name_male() if male else faker.last_name_female()
        gender, birthday = "", None
    else:
        last, first, middle = person.full_name.split(" ")
        gender = "М" if middle.endswith("ич") else "Ж"
        birthday = as_of - timedelta(days=rng.randint(19 * 365, 72 * 365))
    email = person.email or _made_up_email(rng, first, last, used_emails)
    address = f"{rng.choice(STREETS)}, д. {rng.randint(1, 120)}" + (
        "" if person.is_company else f", кв. {rng.randint(1, 300)}"
    )
    profile = Profile(
        first, last, gender, birthday, email, rng.random() < 0.5, address, f"{rng.randint(100000, 699999)}"
    )
    sources.profiles[person.person_id] = profile
    return profile


def _made_up_email(rng: random.Random, first: str, last: str, used: set[str]) -> str:
    """A person with no e-mail in 1C still has to type one at checkout."""
    stem = f"{translit(first)}.{translit(last)}{rng.randint(1, 99)}"
    email = f"{stem}@{weighted(rng, EMAIL_DOMAINS)}"
    while email in used:
        email = f"{stem}{rng.randint(100, 999)}@{weighted(rng, EMAIL_DOMAINS)}"
    used.add(email)
    return email


def new_person(
    model: Model, sources: Sources, prefix: str, rng: random.Random, faker: Faker, company: bool = False
) -> Person:
    """Someone only the CRM or the site knows (prefix "C" or "W"), with a phone and e-mail nobody has;
    `company` asks for a firm (a buyer at one), else whoever make_person draws."""
    person_id = f"{prefix}{len(sources.extra_people) + 1:06d}"
    while True:
        person = make_person(person_id, rng, faker, model.managers[:-1], model.used_phones, model.used_emails)
        if person.is_company or not company:
            break
    sources.extra_people[person_id] = person
    return person


def onec_keys(model: Model) -> dict[str, set[str]]:
    """person_id -> the normalized phones and e-mails on their live cards that the matching rule uses."""
    owners: dict[str, set[str]] = defaultdict(set)
    for card in model.cards:
        if card.is_folder or card.deletion_mark:
            continue
        for contact in card.contacts:
            key = normalize_phone(contact.phone) if contact.phone else normalize_email(contact.email)
            if key:
                owners[key].add(card.ref_key)
    keys: dict[str, set[str]] = defaultdict(set)
    for key, cards in owners.items():
        if len(cards) <= MAX_SHARED_CONTACT:
            for ref_key in cards:
                if person_id := model.card_by_key[ref_key].person_id:
                    keys[person_id].add(key)
    return keys


def linkable_people(model: Model, sources: Sources) -> set[str]:
    """1C people whose own phone or e-mail is a key on their cards, or who have a site order that reached
    a live 1C order (the order number ties the site to the card)."""
    keys = onec_keys(model)
    live_orders = {o.ref_key for o in model.orders if not o.deletion_mark}
    referenced = {s.person_id for s in sources.site_orders if s.onec_order_key in live_orders}
    found = set()
    for person in model.people:
        own = keys.get(person.person_id, set())
        if "+7" + person.phone in own or (person.email and person.email in own):
            found.add(person.person_id)
        elif person.person_id in referenced and any(
            not model.card_by_key[k].deletion_mark for k in person.card_keys
        ):
            found.add(person.person_id)
    return found


def person_of(model: Model, sources: Sources, person_id: str) -> Person:
    return model.person_by_id.get(person_id) or sources.extra_people[person_id]
