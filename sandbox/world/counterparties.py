"""How the shop typed its customers into 1C: `Catalog_Контрагенты` cards and their contact details.

A `Card` is one counterparty element; a person may have several cards (typed twice with different phone
spellings), junk cards belong to nobody. Contact details are chosen so that the matching rule of
docs/METRICS.md (one customer: a shared normalized phone or email, ignoring contacts on more than 3
cards) rebuilds exactly the true people - the truth depends on it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from faker import Faker

from sandbox.world.people import PHONE_STYLES, Person, spell_email, spell_phone, unique_landline
from sandbox.world.reference import ZERO_GUID, Manager, RefKeys


@dataclass(slots=True)
class Contact:
    kind: str  # Телефон | АдресЭлектроннойПочты | Адрес
    view: str  # Вид as text
    text: str  # Представление, as typed
    phone: str = ""
    email: str = ""
    city: str = ""


@dataclass(slots=True)
class Card:
    ref_key: str
    person_id: str | None  # None: a junk/test card that belongs to nobody
    description: str
    full_name: str
    inn: str
    is_company: bool
    parent_key: str = ZERO_GUID
    contacts: list[Contact] = field(default_factory=list)
    deletion_mark: bool = False
    is_folder: bool = False
    code: int = 0
    version: int = 1


def phone_contact(phone: str, style: int, view: str = "Телефон контрагента") -> Contact:
    text = spell_phone(phone, style)
    return Contact("Телефон", view, text, phone=text)


def email_contact(email: str, style: int) -> Contact:
    text = spell_email(email, style)
    return Contact("АдресЭлектроннойПочты", "Email контрагента", text, email=text)


def address_contact(person: Person, faker: Faker) -> Contact:
    view = "Юридический адрес" if person.is_company else "Адрес доставки"
    return Contact("Адрес", view, f"{person.city}, {faker.street_address()}", city=person.city)


def primary_card(
    person: Person,
    rng: random.Random,
    faker: Faker,
    keys: RefKeys,
    parent_key: str,
    with_contacts: bool = True,
) -> Card:
    card = Card(
        keys.new(), person.person_id, person.name, person.full_name, person.inn, person.is_company, parent_key
    )
    if with_contacts:
        card.contacts.append(phone_contact(person.phone, rng.randrange(PHONE_STYLES)))
        if person.email:
            card.contacts.append(email_contact(person.email, 0 if rng.random() < 0.8 else rng.randrange(5)))
        if rng.random() < 0.6:
            card.contacts.append(address_contact(person, faker))
    person.card_keys.append(card.ref_key)
    return card


def duplicate_card(person: Person, first: Card, rng: random.Random, keys: RefKeys) -> Card:
    """The same person typed in again: another phone spelling and/or the e-mail in other case/spaces."""
    first_phone = next(c.text for c in first.contacts if c.kind == "Телефон")
    styles = [s for s in range(PHONE_STYLES) if spell_phone(person.phone, s) != first_phone]
    link = rng.choice(["phone", "phone", "email", "both"]) if person.email else "phone"
    card = Card(
        keys.new(),
        person.person_id,
        _description_variant(person, rng),
        person.full_name,
        person.inn if rng.random() < 0.5 else "",
        person.is_company,
        first.parent_key,
    )
    if link in ("phone", "both"):
        card.contacts.append(phone_contact(person.phone, rng.choice(styles), "Мобильный телефон"))
    if link in ("email", "both"):
        card.contacts.append(email_contact(person.email, rng.randrange(1, 5)))
    return card


def _description_variant(person: Person, rng: random.Random) -> str:
    if person.is_company:
        core = person.name.split("«")[1].rstrip("»")
        return rng.choice([f"{core} ООО", f"ООО {core}", person.name.upper()])
    last, first, middle = person.name.split(" ")
    return rng.choice(
        [f"{last} {first}", f"{last} {first[0]}.{middle[0]}.", person.name.upper(), f"{first} {last}"]
    )


JUNK_NAMES = [
    "Тест",
    "Тестовый контрагент",
    "test",
    "Покупатель (не использовать)",
    "Дубль - удалить",
    "Ошибка ввода",
    "ааа",
]


def junk_card(rng: random.Random, keys: RefKeys) -> Card:
    """A test or mistaken card, marked for deletion, with no posted documents: not a customer."""
    card = Card(keys.new(), None, rng.choice(JUNK_NAMES), "", "", False, deletion_mark=True)
    if rng.random() < 0.5:
        text = rng.choice(["+7 (000) 000-00-00", "89999999999", "111", "-"])
        card.contacts.append(Contact("Телефон", "Телефон контрагента", text, phone=text))
    return card


def make_counterparties(
    people: list[Person],
    rng: random.Random,
    faker: Faker,
    keys: RefKeys,
    managers: list[Manager],
    used_phones: set[str],
) -> list[Card]:
    """Folders, one card per person, then the mess: duplicates, junk, shared manager/office phones."""
    folders = [
        Card(keys.new(), None, name, "", "", False, is_folder=True)
        for name in ["Покупатели", "Юридические лица", "Интернет-магазин"]
    ]
    n = len(people)
    order = rng.sample(people, n)
    # Disjoint roles so each mess stays what it is: a person gets at most one kind of oddity.
    dup_count, deleted_dup_count = max(8, round(0.04 * n)), max(3, round(0.01 * n))
    bare_count = max(3, round(0.04 * n))
    duplicated = order[:dup_count]
    deleted_dup = order[dup_count : dup_count + deleted_dup_count]
    bare = set(p.person_id for p in order[dup_count + deleted_dup_count :][:bare_count])
    singles = order[dup_count + deleted_dup_count + bare_count :]
    cards: list[Card] = []
    first_card: dict[str, Card] = {}
    for person in people:
        parent = (
            folders[1].ref_key
            if person.is_company
            else rng.choice([folders[0].ref_key, folders[2].ref_key, ZERO_GUID])
        )
        card = primary_card(person, rng, faker, keys, parent, with_contacts=person.person_id not in bare)
        first_card[person.person_id] = card
        cards.append(card)
    extra: list[Card] = []
    for i, person in enumerate(duplicated):
        for _ in range(2 if i % 7 == 0 else 1):  # rarely three cards for one person
            dup = duplicate_card(person, first_card[person.person_id], rng, keys)
            person.card_keys.append(dup.ref_key)
            extra.append(dup)
    for person in deleted_dup:
        dup = duplicate_card(person, first_card[person.person_id], rng, keys)
        dup.deletion_mark = True  # marked, never used: the person stays one customer
        extra.append(dup)
    extra += [junk_card(rng, keys) for _ in range(max(4, round(0.015 * n)))]
    _type_shared_numbers(singles, first_card, rng, managers, used_phones)
    everything = cards + extra
    rng.shuffle(everything)  # codes follow creation order, which is not the order of people
    for code, card in enumerate(folders + everything, start=1):
        card.code = code
    return folders + everything


def _type_shared_numbers(
    singles: list[Person],
    first_card: dict[str, Card],
    rng: random.Random,
    managers: list[Manager],
    used_phones: set[str],
) -> None:
    """A manager's own mobile typed into many clients' cards, and office switchboards shared by
    colleagues; each lands on 4+ cards, so the matching rule must not treat it as a customer key."""
    n = len(first_card)
    pool = iter(rng.sample(singles, len(singles)))
    for manager, count in ((managers[0], max(5, round(0.004 * n))), (managers[1], max(4, round(0.002 * n)))):
        for _ in range(count):
            card = first_card[next(pool).person_id]
            if card.contacts and rng.random() < 0.4:  # typed over the client's own number
                card.contacts = [c for c in card.contacts if c.kind != "Телефон"]
            card.contacts.insert(0, phone_contact(manager.phone, rng.randrange(PHONE_STYLES)))
    for _ in range(max(1, round(n / 500))):
        office = unique_landline(rng, "495", used_phones)
        for _ in range(rng.randint(4, 6)):
            card = first_card[next(pool).person_id]
            card.contacts.append(phone_contact(office, rng.randrange(PHONE_STYLES), "Рабочий телефон"))
