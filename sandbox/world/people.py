"""The shop's true customers (people and companies): who they are and how their phones and e-mails get
spelled when someone types them. A `Person` is the truth: one real person or company; how 1C holds
them (counterparty cards) is sandbox/world/counterparties.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from faker import Faker

from sandbox.world.reference import Manager, unique_mobile

CITIES = {
    "Москва": 30,
    "Санкт-Петербург": 15,
    "Екатеринбург": 6,
    "Новосибирск": 6,
    "Казань": 5,
    "Нижний Новгород": 4,
    "Краснодар": 4,
    "Самара": 3,
    "Ростов-на-Дону": 3,
    "Челябинск": 3,
    "Уфа": 3,
    "Пермь": 2,
    "Воронеж": 2,
    "Красноярск": 2,
    "Тюмень": 2,
}
CITY_CODES = {
    "Москва": "495",
    "Санкт-Петербург": "812",
    "Екатеринбург": "343",
    "Новосибирск": "383",
    "Казань": "843",
    "Нижний Новгород": "831",
    "Краснодар": "861",
    "Самара": "846",
}
EMAIL_DOMAINS = {
    "mail.ru": 30,
    "yandex.ru": 30,
    "gmail.com": 15,
    "bk.ru": 6,
    "list.ru": 5,
    "inbox.ru": 5,
    "rambler.ru": 4,
    "ya.ru": 5,
}
TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
        ],
        strict=True,
    )
)
PERSON_SHARE_OF_COMPANIES = 0.07


@dataclass(slots=True)
class Person:
    person_id: str
    is_company: bool
    name: str  # short name as the shop would type it
    full_name: str
    city: str
    phone: str  # 10 digits, the number the person really has
    email: str  # lower case, "" when the person gave none
    inn: str
    manager_key: str
    card_keys: list[str] = field(default_factory=list)  # live cards that carry this person's documents


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def translit(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower() if ch.isalnum())


def spell_phone(phone: str, style: int) -> str:
    """The same 10-digit number as different people type it; all normalize to +7 + phone."""
    a, b, c, d = phone[:3], phone[3:6], phone[6:8], phone[8:]
    return [
        f"+7 ({a}) {b}-{c}-{d}",
        f"8{phone}",
        f"8 {a} {b} {c} {d}",
        f"{a}-{b}-{c}-{d}",
        f"+7{phone}",
        f"8({a}){b}-{c}-{d}",
        f"+7 {a} {b} {c} {d}",
        f"7{phone}",
    ][style]


PHONE_STYLES = 8


def spell_email(email: str, style: int) -> str:
    """Caps and stray spaces as people type them; all normalize (trim, lower) to the same address."""
    user, domain = email.split("@")
    return [
        email,
        email.upper(),
        f" {user.capitalize()}@{domain.capitalize()}",
        f"{email} ",
        f"{user.title()}@{domain.upper()}  ",
    ][style]


def _unique_email(rng: random.Random, stem: str, used: set[str], domain: str) -> str:
    email = f"{stem}@{domain}"
    while email in used:
        email = f"{stem}{rng.randint(1, 999)}@{domain}"
    used.add(email)
    return email


def _company_name(faker: Faker, rng: random.Random) -> tuple[str, str]:
    raw = faker.company()
    core = raw.split("«", 1)[1].rstrip("»") if "«" in raw else raw
    form, long_form = rng.choices(
        [("ООО", "Общество с ограниченной ответственностью"), ("АО", "Акционерное общество")], weights=[9, 1]
    )[0]
    return f"{form} «{core}»", f"{long_form} «{core}»"


def make_person(
    person_id: str,
    rng: random.Random,
    faker: Faker,
    managers: list[Manager],
    used_phones: set[str],
    used_emails: set[str],
) -> Person:
    city = weighted(rng, CITIES) if rng.random() < 0.9 else faker.city_name()
    manager = rng.choice(managers).ref_key
    if rng.random() < PERSON_SHARE_OF_COMPANIES:
        name, full_name = _company_name(faker, rng)
        phone = unique_mobile(rng, used_phones)
        if city in CITY_CODES and rng.random() < 0.6:  # an office landline instead of a mobile
            used_phones.discard(phone)
            phone = unique_landline(rng, CITY_CODES[city], used_phones)
        slug = translit(name.split("«")[1])[:20] or "firma"
        email = _unique_email(
            rng, f"{rng.choice(['info', 'zakaz', 'office', 'snab'])}.{slug}", used_emails, f"{slug}.ru"
        )
        return Person(person_id, True, name, full_name, city, phone, email, faker.businesses_inn(), manager)
    male = rng.random() < 0.45
    if male:
        last, first, middle = faker.last_name_male(), faker.first_name_male(), faker.middle_name_male()
    else:
        last, first, middle = faker.last_name_female(), faker.first_name_female(), faker.middle_name_female()
    full_name = f"{last} {first} {middle}"
    email = ""
    if rng.random() < 0.8:
        stem = rng.choice(
            [
                f"{translit(last)}.{translit(first)}",
                f"{translit(first)}{translit(last)[:1]}",
                f"{translit(last)}{rng.randint(70, 2005)}",
                f"{translit(first)}.{translit(last)}",
            ]
        )
        email = _unique_email(rng, stem, used_emails, weighted(rng, EMAIL_DOMAINS))
    inn = faker.individuals_inn() if rng.random() < 0.05 else ""  # a sole trader gives a 12-digit ИНН
    return Person(
        person_id, False, full_name, full_name, city, unique_mobile(rng, used_phones), email, inn, manager
    )


def unique_landline(rng: random.Random, area: str, used: set[str]) -> str:
    while True:
        phone = f"{area}{rng.randint(2_000_000, 9_999_999)}"
        if phone not in used:
            used.add(phone)
            return phone
