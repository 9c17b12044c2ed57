"""Deterministic, realistic stores for the WooCommerce and Metrica simulators.

`woo_store()`: ~350 site orders (2023-10-01 … 2024-06-30, Moscow time) across every status, with guests,
repeat customers, Cyrillic names, phones typed every which way and order-attribution meta.
`metrica_store()`: two years of visits per day × traffic source × UTM with weekly and yearly seasonality.
Built from a seeded `random.Random` only (no Faker: its output drifts between versions).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox.systems.website.server import woo_dates

SITE_TZ = ZoneInfo("Europe/Moscow")
ORDERS_FROM = datetime(2023, 10, 1, tzinfo=SITE_TZ)
ORDERS_UNTIL = datetime(2024, 6, 30, 21, 0, tzinfo=SITE_TZ)
VISITS_FROM, VISITS_UNTIL = date(2022, 7, 1), date(2024, 6, 30)
COUNTER_ID = 44147844

FIRST_NAMES = {
    "М": ["Алексей", "Дмитрий", "Сергей", "Иван", "Михаил", "Андрей", "Павел", "Олег", "Юрий", "Фёдор"],
    "Ж": ["Анна", "Мария", "Елена", "Ольга", "Татьяна", "Наталья", "Ирина", "Юлия", "Дарья", "Алёна"],
}
SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Орлов",
]
CITIES = [
    ("Москва", "", "1010"),
    ("Санкт-Петербург", "", "1900"),
    ("Екатеринбург", "Свердловская область", "6200"),
]
STREETS = ["ул. Ленина", "пр-т Мира", "ул. Гагарина", "Садовая ул.", "ул. Пушкина"]
COMPANIES = ["ООО «Ромашка»", "ИП Сидоров А. В.", "АО «Вектор»"]
PRODUCTS = [  # (product_id, name, sku, price in RUB)
    (101, "Чайник электрический Polaris", "PL-1725", 2490),
    (102, "Кофемолка Bosch TSM6A013B", "BS-6A013", 3190),
    (103, "Термокружка 450 мл", "TM-450", 990),
    (104, "Набор ножей «Шеф» 5 предметов", "KN-CHEF5", 5490),
    (105, "Сковорода 28 см, антипригарная", "SK-28", 2190),
    (106, "Блендер погружной", "BL-700", 3990),
    (107, "Подарочный сертификат 3000 ₽", "GIFT-3000", 3000),
]
# (weight, source_type, utm_source, utm_medium, utm_campaign, referrer)
ATTRIBUTION = [
    (20, "utm", "yandex", "cpc", "brand", "https://yandex.ru/"),
    (12, "utm", "yandex", "cpc", "catalog", "https://yandex.ru/"),
    (7, "utm", "google", "cpc", "brand", "https://www.google.com/"),
    (18, "organic", "yandex", "organic", None, "https://yandex.ru/"),
    (7, "organic", "google", "organic", None, "https://www.google.com/"),
    (14, "typein", "(direct)", "(none)", None, None),
    (5, "referral", "vc.ru", "referral", None, "https://vc.ru/"),
    (4, "utm", "newsletter", "email", "sale_2024", None),
    (4, "utm", "vk", "social", "vk_posts", "https://vk.com/"),
    (3, "utm", "telegram", "social", "tg_channel", None),
    (2, "admin", None, None, None, None),
    (4, None, None, None, None, None),  # an order placed before attribution was switched on
]
STATUSES = [
    ("completed", 58),
    ("processing", 9),
    ("on-hold", 4),
    ("pending", 6),
    ("cancelled", 11),
    ("failed", 6),
    ("refunded", 6),
]
PAYMENTS = [("cod", "Оплата при получении"), ("yookassa_bank_card", "Банковская карта")]


def woo_store(count: int = 350, seed: int = 7) -> dict[str, list[dict]]:
    rng = random.Random(seed)
    people = [_person(rng, n) for n in range(count * 2 // 3)]
    moments = sorted(_instant(rng) for _ in range(count))
    orders, ids = [], _post_ids(rng, count)
    meta_ids = iter(range(50_001, 10**7))
    for order_id, created in zip(ids, moments, strict=True):
        orders.append(_order(rng, order_id, created, rng.choice(people), meta_ids))
    return {"orders": orders}


def metrica_store(first: date = VISITS_FROM, last: date = VISITS_UNTIL, seed: int = 7) -> dict:
    rng = random.Random(seed)
    rows = []
    day = first
    while day <= last:
        rows.extend(_visit_rows(rng, day))
        day += timedelta(days=1)
    return {"counter": {"id": COUNTER_ID, "timezone": "Europe/Moscow"}, "visits": rows}


# ------------------------------------------------------------------------------------------ orders
def _post_ids(rng: random.Random, count: int) -> list[int]:
    # Orders share WordPress's post id sequence with pages and products, so ids rise with gaps.
    ids, current = [], 1000
    for _ in range(count):
        current += rng.choice((1, 1, 1, 2, 3, 7))
        ids.append(current)
    return ids


def _instant(rng: random.Random) -> datetime:
    span = (ORDERS_UNTIL - ORDERS_FROM).total_seconds() - 8 * 86400
    return (ORDERS_FROM + timedelta(seconds=rng.uniform(0, span))).astimezone(UTC).replace(microsecond=0)


def _person(rng: random.Random, n: int) -> dict:
    gender = rng.choice("МЖ")
    surname = rng.choice(SURNAMES) + ("а" if gender == "Ж" else "")
    first = rng.choice(FIRST_NAMES[gender])
    city, state, postcode = rng.choice(CITIES)
    digits = f"9{rng.randrange(10**9):09d}"
    login = f"{_latin(first)}.{_latin(surname)}{n}"
    return {
        "first_name": first,
        "last_name": surname,
        "company": rng.choice(COMPANIES) if rng.random() < 0.08 else "",
        "address_1": f"{rng.choice(STREETS)}, д. {rng.randint(1, 120)}, кв. {rng.randint(1, 300)}",
        "city": city,
        "state": state,
        "postcode": f"{postcode}{rng.randint(0, 99):02d}",
        "country": "RU",
        "email": login.capitalize() + "@Mail.ru" if rng.random() < 0.15 else f"{login}@yandex.ru",
        "digits": digits,
        "customer_id": 0 if rng.random() < 0.45 else 2000 + n,
    }


def _phone(rng: random.Random, digits: str) -> str:
    a, b, c, d = digits[:3], digits[3:6], digits[6:8], digits[8:]
    forms = [f"+7 ({a}) {b}-{c}-{d}", f"8{digits}", f"8 {a} {b} {c} {d}", f"+7{digits}", f"{a}-{b}-{c}{d}"]
    return rng.choice(forms)


def _order(rng: random.Random, order_id: int, created: datetime, person: dict, meta_ids) -> dict:
    status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
    paid, completed, modified = _lifecycle(rng, status, created)
    lines = _line_items(rng, order_id)
    shipping = 0 if sum(float(line["total"]) for line in lines) >= 5000 else 350
    total = sum(float(line["total"]) for line in lines) + shipping
    method, title = rng.choice(PAYMENTS)
    address = {k: person[k] for k in ("first_name", "last_name", "company", "address_1")}
    address |= {"address_2": "", "city": person["city"], "state": person["state"]}
    address |= {"postcode": person["postcode"], "country": "RU"}
    billing = address | {"email": person["email"], "phone": _phone(rng, person["digits"])}
    shipping_address = address | {"phone": ""}
    order = {"id": order_id, "parent_id": 0, "number": str(order_id)}
    order |= {
        "order_key": f"wc_order_{rng.getrandbits(52):013x}",
        "created_via": "checkout",
        "version": "8.9.3",
    }
    order |= {"status": status, "currency": "RUB", "prices_include_tax": True}
    order |= _dates("date_created", created) | _dates("date_modified", modified)
    order |= {"discount_total": "0.00", "discount_tax": "0.00", "shipping_total": f"{shipping:.2f}"}
    order |= {"shipping_tax": "0.00", "cart_tax": "0.00", "total": f"{total:.2f}", "total_tax": "0.00"}
    order |= {"customer_id": person["customer_id"], "customer_note": "", "billing": billing}
    order |= {"shipping": shipping_address, "payment_method": method, "payment_method_title": title}
    order |= {"transaction_id": ""} | _dates("date_paid", paid) | _dates("date_completed", completed)
    order |= {"meta_data": _meta(rng, meta_ids), "line_items": lines, "tax_lines": [], "fee_lines": []}
    order |= {"shipping_lines": [], "coupon_lines": [], "refunds": []}
    return order


def _lifecycle(rng: random.Random, status: str, created: datetime):
    """(paid, completed, modified) instants for an order that ended in `status`."""
    minutes = lambda low, high: timedelta(minutes=rng.randint(low, high))  # noqa: E731
    paid = created + minutes(1, 30) if status in ("processing", "completed", "refunded") else None
    completed = created + minutes(24 * 60, 6 * 24 * 60) if status in ("completed", "refunded") else None
    modified = {
        "completed": completed,
        "refunded": created + minutes(8 * 24 * 60, 9 * 24 * 60),
        "processing": paid,
        "cancelled": created + minutes(60, 3 * 24 * 60),
        "failed": created + minutes(1, 5),
        "on-hold": created + minutes(5, 600),
    }.get(status) or created
    return paid, completed, modified


def _dates(name: str, moment: datetime | None) -> dict:
    if moment is None:
        return {name: None, f"{name}_gmt": None}
    local, gmt = woo_dates(moment, SITE_TZ)
    return {name: local, f"{name}_gmt": gmt}


def _line_items(rng: random.Random, order_id: int) -> list[dict]:
    lines = []
    for n, (product_id, name, sku, price) in enumerate(rng.sample(PRODUCTS, rng.choice((1, 1, 2, 3)))):
        quantity = rng.choice((1, 1, 1, 2, 3))
        amount = f"{price * quantity:.2f}"
        lines.append(
            {
                "id": order_id * 10 + n,
                "name": name,
                "product_id": product_id,
                "variation_id": 0,
                "quantity": quantity,
                "tax_class": "",
                "subtotal": amount,
                "subtotal_tax": "0.00",
                "total": amount,
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [],
                "sku": sku,
                "price": price,
            }
        )
    return lines


def _meta(rng: random.Random, meta_ids) -> list[dict]:
    weights = [row[0] for row in ATTRIBUTION]
    _, source_type, utm_source, medium, campaign, referrer = rng.choices(ATTRIBUTION, weights)[0]
    pairs = [("is_vat_exempt", "no")]
    if source_type is not None:
        pairs += [
            ("_wc_order_attribution_source_type", source_type),
            ("_wc_order_attribution_utm_source", utm_source),
            ("_wc_order_attribution_utm_medium", medium),
            ("_wc_order_attribution_utm_campaign", campaign),
            ("_wc_order_attribution_referrer", referrer),
            ("_wc_order_attribution_device_type", rng.choice(("Mobile", "Mobile", "Desktop", "Tablet"))),
        ]
    return [{"id": next(meta_ids), "key": key, "value": value} for key, value in pairs if value is not None]


def _latin(text: str) -> str:
    table = str.maketrans("абвгдеёжзийклмнопрстуфхцчшщыэюяьъ", "abvgdeejziiklmnoprstufhccss_eua__")
    return text.lower().translate(table).replace("_", "")


# ------------------------------------------------------------------------------------------ visits
# (traffic_source_id, utm_source, utm_medium, utm_campaign, share of the day's visits)
VISIT_MIX = [
    ("ad", "yandex", "cpc", "brand", 0.17),
    ("ad", "yandex", "cpc", "catalog", 0.12),
    ("ad", "google", "cpc", "brand", 0.06),
    ("organic", None, None, None, 0.28),
    ("direct", None, None, None, 0.17),
    ("referral", None, None, None, 0.06),
    ("email", "newsletter", "email", "sale_2024", 0.03),
    ("social", "vk", "social", "vk_posts", 0.04),
    ("social", "telegram", "social", "tg_channel", 0.02),
    ("social", None, None, None, 0.02),
    ("internal", None, None, None, 0.01),
    ("undefined", None, None, None, 0.02),
]


def _visit_rows(rng: random.Random, day: date) -> list[dict]:
    weekly = 0.75 if day.weekday() >= 5 else 1.08
    yearly = 1 + 0.25 * _december_peak(day)
    growth = 1 + (day - VISITS_FROM).days / 1500
    base = 420 * weekly * yearly * growth
    rows = []
    for source, utm_source, medium, campaign, share in VISIT_MIX:
        visits = round(base * share * rng.uniform(0.7, 1.3))
        if visits == 0:
            continue  # Metrica has no row for a combination nobody came from that day
        users = max(1, round(visits * rng.uniform(0.78, 0.93)))
        rows.append(
            {
                "date": day.isoformat(),
                "traffic_source_id": source,
                "utm_source": utm_source,
                "utm_medium": medium,
                "utm_campaign": campaign,
                "visits": visits,
                "users": users,
            }
        )
    return rows


def _december_peak(day: date) -> float:
    # 1.0 in mid-December, falling off linearly to 0 six months away.
    distance = abs((day.timetuple().tm_yday - 350 + 182) % 365 - 182)
    return max(0.0, 1 - distance / 182)
