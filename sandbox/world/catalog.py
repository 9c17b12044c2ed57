"""The product catalog of the fictional company "Уютный дом" (a home-goods shop) and its price history.

Everything here is the *clean* model; the 1C export (systems/onec/export.py) turns it into OData records.
Money is kept in integer kopecks so sums are exact and the truth never suffers float drift.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.world.reference import AS_OF_DATE, HISTORY_START, ZERO_GUID, RefKeys

# Prices are entered shortly before the shop opened, so every first sale has a price.
OPENING_PRICE_PERIOD = datetime(2023, 9, 25, 0, 0, 0)


@dataclass(slots=True)
class PriceHistory:
    """Prices of one product under one price type: sorted (period, kopecks)."""

    periods: list[datetime] = field(default_factory=list)
    kopecks: list[int] = field(default_factory=list)

    def add(self, period: datetime, kop: int) -> None:
        """Record a price; like the 1C register, a second write for the same period overwrites it."""
        i = bisect.bisect_left(self.periods, period)
        if i < len(self.periods) and self.periods[i] == period:
            self.kopecks[i] = kop
            return
        self.periods.insert(i, period)
        self.kopecks.insert(i, kop)

    def at(self, moment: datetime) -> int | None:
        """The price with the latest period <= moment (as 1C's SliceLast), None when there is none yet."""
        i = bisect.bisect_right(self.periods, moment)
        return self.kopecks[i - 1] if i else None


@dataclass(slots=True)
class Product:
    ref_key: str
    code: str
    name: str
    sku: str
    parent_key: str  # group folder or ZERO_GUID
    is_folder: bool = False
    is_service: bool = False
    popularity: float = 1.0
    max_qty: int = 1
    deletion_mark: bool = False
    purchase: PriceHistory = field(default_factory=PriceHistory)
    retail: PriceHistory = field(default_factory=PriceHistory)
    wholesale: PriceHistory = field(default_factory=PriceHistory)
    version: int = 1


# (group, sku prefix, retail price range in roubles, max quantity per line, item nouns)
GROUPS = [
    (
        "Посуда",
        "KT",
        (290, 6900),
        4,
        [
            "Кастрюля",
            "Сковорода",
            "Набор тарелок",
            "Чайник",
            "Кружка",
            "Салатник",
            "Ковш",
            "Форма для запекания",
        ],
    ),
    (
        "Текстиль",
        "TX",
        (490, 8900),
        3,
        ["Плед", "Комплект постельного белья", "Полотенце", "Подушка", "Одеяло", "Скатерть", "Шторы"],
    ),
    (
        "Хранение",
        "ST",
        (190, 3900),
        4,
        ["Контейнер", "Корзина", "Органайзер", "Кофр", "Вешалка", "Полка навесная"],
    ),
    (
        "Освещение",
        "LT",
        (1490, 24900),
        2,
        ["Люстра", "Торшер", "Настольная лампа", "Бра", "Светильник потолочный"],
    ),
    (
        "Декор",
        "DC",
        (290, 7900),
        3,
        ["Ваза", "Рамка для фото", "Зеркало", "Часы настенные", "Свеча ароматическая", "Картина"],
    ),
    (
        "Мебель",
        "FN",
        (2490, 44900),
        2,
        ["Стул", "Табурет", "Журнальный столик", "Стеллаж", "Комод", "Тумба прикроватная", "Шкаф"],
    ),
    (
        "Ванная",
        "BT",
        (290, 3900),
        3,
        ["Коврик для ванной", "Шторка для ванной", "Дозатор", "Набор аксессуаров"],
    ),
    (
        "Бытовая техника",
        "AP",
        (1490, 29900),
        1,
        ["Чайник электрический", "Блендер", "Пылесос", "Утюг", "Микроволновая печь", "Кофеварка"],
    ),
    ("Сад и дача", "GD", (390, 11900), 2, ["Гамак", "Садовый стул", "Мангал", "Лейка", "Шланг садовый"]),
    ("Ковры", "RG", (590, 19900), 2, ["Ковёр", "Дорожка", "Коврик придверный"]),
]
MODELS = ["Сканди", "Лофт", "Прованс", "Модерн", "Нордик", "Классик", "Уют", "Эко", "Бриз", "Токио"]
COLOURS = ["белый", "серый", "бежевый", "графит", "синий", "зелёный", "терракота", "натуральный"]
# (name, retail roubles, purchase roubles or None: some services cost the shop nothing extra)
SERVICES = [
    ("Доставка по городу", 490, 350),
    ("Доставка за город", 1290, 900),
    ("Сборка мебели", 1490, 1000),
    ("Установка светильника", 990, 600),
    ("Подъём на этаж", 390, None),
    ("Упаковка подарочная", 250, None),
]
LOOSE_PRODUCTS = [
    ("Пакет фирменный", 15, 4),
    ("Средство по уходу за мебелью", 390, 180),
    ("Батарейки AA, 4 шт.", 290, 140),
]


def nice_retail_price(roubles: float) -> int:
    """Shop prices end in 90 roubles (12 990, 1 290, 390); returns kopecks."""
    if roubles < 100:
        return int(round(roubles)) * 100
    return (int(roubles // 100) * 100 + 90) * 100


def _price_moment(rng: random.Random) -> datetime:
    """A price change inside the history; most at midnight, some at the hour someone entered them."""
    day = HISTORY_START + timedelta(days=rng.randint(20, (AS_OF_DATE - HISTORY_START).days - 10))
    if rng.random() < 0.8:
        return datetime(day.year, day.month, day.day)
    return datetime(day.year, day.month, day.day, rng.randint(9, 18), rng.choice([0, 15, 30, 45]))


def _add_price_history(
    rng: random.Random,
    product: Product,
    retail_kop: int,
    purchase_kop: int | None,
    start: datetime,
    purchase_start: datetime,
) -> None:
    product.retail.add(start, retail_kop)
    if purchase_kop is not None:
        product.purchase.add(purchase_start, purchase_kop)
    for _ in range(rng.randint(1, 3)):  # prices change 1-3 times over the three years
        moment = max(_price_moment(rng), start + timedelta(days=7))
        factor = rng.uniform(1.03, 1.15)
        retail_kop = nice_retail_price(retail_kop / 100 * factor)
        product.retail.add(moment, retail_kop)
        if purchase_kop is not None:
            purchase_kop = round(purchase_kop * factor * rng.uniform(0.97, 1.03))
            # The purchase price is often re-entered on another day than the retail one.
            shifted = moment - timedelta(days=rng.randint(0, 10)) if rng.random() < 0.5 else moment
            product.purchase.add(max(shifted, purchase_start), purchase_kop)


def make_products(rng: random.Random, keys: RefKeys) -> list[Product]:
    """Group folders with goods, a services group, and a few goods outside any group."""
    products: list[Product] = []
    code = iter(range(1, 100_000))
    for group, prefix, (low, high), max_qty, nouns in GROUPS:
        folder = Product(keys.new(), f"00-{next(code):08d}", group, "", ZERO_GUID, is_folder=True)
        products.append(folder)
        for n in range(rng.randint(8, 14)):
            name = f"{rng.choice(nouns)} «{rng.choice(MODELS)}» {rng.choice(COLOURS)}"
            item = Product(
                keys.new(),
                f"00-{next(code):08d}",
                name,
                f"{prefix}-{rng.randint(1000, 9999)}",
                folder.ref_key,
                popularity=1 / (n + 1) ** 0.7,
                max_qty=max_qty,
            )
            retail = nice_retail_price(math.exp(rng.uniform(math.log(low), math.log(high))))
            purchase = round(retail / rng.uniform(1.5, 2.3))
            start = OPENING_PRICE_PERIOD
            if rng.random() < 0.12:  # a product introduced later in the history
                start = _price_moment(rng)
            # A few purchase prices were loaded late: sales before that have an unknown cost (METRICS.md).
            purchase_start = start + timedelta(days=rng.randint(30, 120)) if rng.random() < 0.04 else start
            _add_price_history(rng, item, retail, purchase, start, purchase_start)
            if rng.random() < 0.3:
                item.wholesale.add(start, round(retail * 0.85))
            item.deletion_mark = rng.random() < 0.03  # discontinued, still in old documents
            products.append(item)
    services = Product(keys.new(), f"00-{next(code):08d}", "Услуги", "", ZERO_GUID, is_folder=True)
    products.append(services)
    for name, retail, purchase in SERVICES:
        item = Product(
            keys.new(), f"00-{next(code):08d}", name, "", services.ref_key, is_service=True, popularity=0.0
        )
        _add_price_history(
            rng, item, retail * 100, purchase and purchase * 100, OPENING_PRICE_PERIOD, OPENING_PRICE_PERIOD
        )
        products.append(item)
    for name, retail, purchase in LOOSE_PRODUCTS:
        item = Product(
            keys.new(),
            f"00-{next(code):08d}",
            name,
            f"MS-{rng.randint(100, 999)}",
            ZERO_GUID,
            popularity=0.25,
            max_qty=3,
        )
        _add_price_history(
            rng, item, retail * 100, purchase * 100, OPENING_PRICE_PERIOD, OPENING_PRICE_PERIOD
        )
        products.append(item)
    return products
