"""The clean model of the CRM, the web shop and Metrica, layered onto the 1C history.

Plain records only; site_model.py, crm_model.py and crm_activity.py build them, systems/*/export.py
turn them into API JSON and truth/ counts them (both beside this package). Every moment is company-local
(Europe/Moscow, like 1C's dates); exports convert to UTC where the API wants it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sandbox.world.channels import Touch
from sandbox.world.people import Person

# Moscow has kept UTC+3 all year since 2014, so one offset is exact over the whole history.
MSK_OFFSET = timedelta(hours=3)
_EPOCH_LOCAL = datetime(1970, 1, 1) + MSK_OFFSET

ACCOUNT_ID = 31_250_417
SALES, SHOP = 7_512_301, 7_512_302  # pipelines «Продажи» and «Интернет-магазин»
WON, LOST = 142, 143
UNSORTED, NEW, QUALIFY, PROPOSAL, CONTRACT = 61_980_001, 61_980_002, 61_980_003, 61_980_004, 61_980_005
NEW_ORDER, CONFIRMED = 61_980_011, 61_980_012
OPEN_STAGES = {SALES: (UNSORTED, NEW, QUALIFY, PROPOSAL, CONTRACT), SHOP: (NEW_ORDER, CONFIRMED)}
PIPELINE_NAMES = {SALES: "Продажи", SHOP: "Интернет-магазин"}
STAGE_NAMES = {
    UNSORTED: "Неразобранное",
    NEW: "Новая заявка",
    QUALIFY: "Квалификация",
    PROPOSAL: "Коммерческое предложение",
    CONTRACT: "Согласование договора",
    NEW_ORDER: "Новый заказ",
    CONFIRMED: "Подтверждён",
    WON: "Успешно реализовано",
    LOST: "Закрыто и не реализовано",
}
LOSS_REASONS = {
    9_104_001: "Дорого",
    9_104_002: "Выбрали конкурента",
    9_104_003: "Не отвечает",
    9_104_004: "Неактуально",
    9_104_005: "Нет в наличии",
    9_104_006: "Не устроили сроки доставки",
    9_104_007: "Отказ от заказа",
    9_104_008: "Не оплачен",
    9_104_009: "Спам / дубль",
}
ROBOT = 0  # amoCRM's created_by for integrations and digital pipeline robots
FIRST_USER_ID = 10_512_001
ADMIN_ID = 10_512_100


@contextmanager
def bulk_allocation() -> Iterator[None]:
    """Pause the cyclic garbage collector while building hundreds of thousands of small records: they
    hold no reference cycles, and at scale 1 its repeated full scans cost more than the building."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def unix(moment: datetime) -> int:
    """Company-local moment → unix seconds (UTC), as amoCRM sends every timestamp."""
    return int((moment - _EPOCH_LOCAL).total_seconds())


@dataclass(slots=True)
class Profile:
    """What the CRM and the site know of a person beyond 1C."""

    first_name: str  # for a company: the buyer at the firm
    last_name: str
    gender: str  # "М" | "Ж" | "" (a company)
    birthday: date | None
    site_email: str  # the e-mail typed at checkout (the site requires one, so it may be made up)
    registered: bool  # has a site account (else always checks out as a guest)
    address: str
    postcode: str
    site_account: int = 0  # WooCommerce customer id, given at the first order placed logged in


@dataclass(slots=True)
class SiteLine:
    name: str
    product_id: int
    sku: str
    qty: int
    price: int  # kopecks

    @property
    def amount(self) -> int:
        return self.qty * self.price


@dataclass(slots=True)
class SiteOrder:
    seq: int  # creation order: a stable tie-break before ids are given
    person_id: str
    created: datetime
    status: str  # completed | processing | pending | cancelled | failed | trash (an admin trashed it)
    lines: list[SiteLine]
    shipping: int  # kopecks
    touch: Touch
    payment: str  # WooCommerce payment method id
    billing: dict[str, str]
    logged_in: bool  # checked out with the person's site account (customer_id), else as a guest
    modified: datetime
    paid: datetime | None = None
    completed: datetime | None = None
    onec_order_key: str | None = None  # the 1C ЗаказКлиента it reached; None: never reached 1C
    order_id: int = 0
    customer_id: int = 0
    deleted_at: datetime | None = None  # deleted for good by an admin: gone from the site

    @property
    def on_site(self) -> bool:
        """Listed by the shop (status=any): not trashed, not deleted. Only such an order is a site order."""
        return self.deleted_at is None and self.status != "trash"

    @property
    def number(self) -> str:
        return str(self.order_id)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines) + self.shipping

    @property
    def is_site_only_sale(self) -> bool:
        """A completed order with no 1C document is a sale of its own (docs/METRICS.md)."""
        return self.status == "completed" and self.deleted_at is None and self.onec_order_key is None


@dataclass(slots=True)
class CrmContact:
    seq: int
    person_id: str | None  # None: spam typed into a form
    created: datetime
    first_name: str
    last_name: str
    name: str
    responsible: int
    created_by: int
    phones: list[tuple[str, str]]  # (as typed, enum_code WORK|MOB)
    emails: list[tuple[str, str]]
    city: str = ""
    gender: str = ""
    birthday: date | None = None
    deleted_at: datetime | None = None
    contact_id: int = 0


@dataclass(frozen=True, slots=True)
class StageMove:
    status: int
    at: datetime
    by: int


@dataclass(slots=True)
class Lead:
    seq: int
    person_id: str | None
    pipeline: int
    origin: str  # site_order | form | call | referral | manual | spam
    touch: Touch
    created: datetime
    responsible: int
    created_by: int
    price: int  # whole roubles, as amoCRM keeps it
    name: str
    moves: list[StageMove]  # moves[0]: the stage it was created in, at `created`
    contact: CrmContact | None = None
    loss_reason: int | None = None
    sale_key: str | None = None  # the 1C shipment Ref_Key (or "site:<seq>") a won lead led to
    site_order: SiteOrder | None = None
    edited_at: datetime | None = None  # a later edit (price synced from 1C) that bumps updated_at
    deleted_at: datetime | None = None
    deleted_by: int = ADMIN_ID
    response_at: datetime | None = None  # the planned first response; calls and tasks are made to fit
    response_by_task: bool = False
    lead_id: int = 0

    @property
    def status(self) -> int:
        return self.moves[-1].status

    @property
    def closed_at(self) -> datetime | None:
        return self.moves[-1].at if self.status in (WON, LOST) else None

    @property
    def updated(self) -> tuple[datetime, int]:
        """(moment, user) of the last change amoCRM would stamp into updated_at/updated_by."""
        last = (self.moves[-1].at, self.moves[-1].by or self.responsible)
        if self.edited_at and self.edited_at > last[0]:
            last = (self.edited_at, ROBOT)
        if self.deleted_at:
            last = (self.deleted_at, self.deleted_by)
        return last


@dataclass(slots=True)
class Call:
    uniq: str
    kind: str  # call_in | call_out
    at: datetime
    by: int
    duration: int
    call_status: int  # 4 = talked
    phone: str
    lead: Lead | None  # None: a call with no deal behind it
    contact: CrmContact | None  # the telephony also wrote it on this contact
    lead_note_id: int = 0
    contact_note_id: int = 0


@dataclass(slots=True)
class Task:
    lead: Lead
    task_type: int  # 1 call, 2 meeting
    text: str
    created: datetime
    by: int
    due: datetime
    completed_at: datetime | None = None
    result: str = ""
    task_id: int = 0


@dataclass
class Sources:
    """Everything the CRM, the site and Metrica hold, as true facts."""

    horizon: datetime  # generated activity ends here; nights add theirs after it
    users: dict[str, int]  # 1C manager Ref_Key -> amoCRM user id
    profiles: dict[str, Profile] = field(default_factory=dict)
    extra_people: dict[str, Person] = field(default_factory=dict)  # known only to the CRM or the site
    site_orders: list[SiteOrder] = field(default_factory=list)
    leads: list[Lead] = field(default_factory=list)
    contacts: list[CrmContact] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    visits: dict[tuple, list[int]] = field(default_factory=dict)  # (date, visit key) -> [visits, users]
    switchboards: dict[str, str] = field(default_factory=dict)  # person_id -> the reception number they gave
    linkable: set[str] = field(default_factory=set)
    next_id: dict[str, int] = field(default_factory=dict)
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def new_id(self, kind: str, gap: int = 1) -> int:
        self.next_id[kind] += gap
        return self.next_id[kind]
