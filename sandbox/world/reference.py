"""The company's reference data: its dates, reference keys, managers (1C users) and price types.

Everything here is the *clean* model; the 1C export (systems/onec/export.py) turns it into OData records.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
HISTORY_START = date(2023, 10, 1)
AS_OF_DATE = date(2026, 9, 30)
# The 1C configurations the company's infobase can run (УТ 11, БП 3.0, УНФ): part of the company, but they
# change only how 1C records it (systems/onec/export_names.py names each one's sets and fields).
CONFIGURATIONS = ("ut11", "bp30", "unf")


class RefKeys:
    """Seeded, unique, 1C-looking reference keys (uuid1 layout with this infobase's node id)."""

    def __init__(self, rng: random.Random):
        self._rng = rng
        self._seen: set[str] = set()
        self._node = f"{rng.getrandbits(48):012x}"

    def new(self) -> str:
        r = self._rng
        while True:
            key = (
                f"{r.getrandbits(32):08x}-{r.getrandbits(16):04x}-11{0xE0 | r.getrandbits(4):02x}-"
                f"{0x8000 | r.getrandbits(14):04x}-{self._node}"
            )
            if key not in self._seen:
                self._seen.add(key)
                return key


@dataclass(slots=True)
class Manager:
    """A user of 1C who handles customers; phone is private (typed into client cards by mistake)."""

    ref_key: str
    code: str
    name: str
    phone: str  # 10 digits
    deletion_mark: bool = False
    active_until: date = AS_OF_DATE  # a former manager's customers pass to a colleague after this date
    version: int = 1


@dataclass(slots=True)
class PriceType:
    ref_key: str
    code: str
    name: str
    version: int = 1


MANAGER_NAMES = [
    "Смирнова Анна Викторовна",
    "Кузнецов Дмитрий Олегович",
    "Попова Екатерина Игоревна",
    "Васильев Артём Сергеевич",
    "Морозова Ольга Николаевна",
    "Новиков Илья Андреевич",
    "Фёдорова Татьяна Павловна",
]


def make_managers(rng: random.Random, keys: RefKeys, used_phones: set[str]) -> list[Manager]:
    count = rng.randint(5, 7)
    managers = []
    for i, name in enumerate(MANAGER_NAMES[:count]):
        phone = unique_mobile(rng, used_phones)
        managers.append(Manager(keys.new(), f"{i + 1:09d}", name, phone))
    # One manager left in the middle of the history: still in the catalog, marked for deletion.
    managers[-1].deletion_mark = True
    managers[-1].active_until = date(2025, 3, 31)
    return managers


def unique_mobile(rng: random.Random, used: set[str]) -> str:
    """A 10-digit Russian mobile number (9XX...) nobody else has."""
    while True:
        phone = f"9{rng.randint(0, 999_999_999):09d}"
        if phone[1:3] not in ("00", "40") and phone not in used:
            used.add(phone)
            return phone


def make_price_types(keys: RefKeys) -> list[PriceType]:
    return [
        PriceType(keys.new(), f"{i + 1:09d}", name)
        for i, name in enumerate(["Закупочная", "Розничная", "Оптовая"])
    ]
