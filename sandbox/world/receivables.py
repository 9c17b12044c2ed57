"""The company's invoices and the payments against them: a view derived from the sales history.

`receivables_of(model)` is a pure function of the model: each sale decides, from a random stream of its
own (seed, the shipment's Ref_Key), whether it was invoiced and how it was paid, and its documents get
keys derived from the same two, so adding invoices changes nothing else the company does and nightly
changes (new, re-posted, deleted shipments) flow through: a deletion-marked sale's invoice and receipts
are deletion-marked with it, a draft has none until it is posted.

Companies are invoiced for most sales and pay by bank, naming the invoice: mostly in full and on time,
some in two parts, late, never, overpaid, or without naming the invoice; a few invoices are marked for
deletion after posting (a payment may still name one). Private customers mostly pay at the till (a cash
receipt naming no invoice: an advance) and are seldom invoiced. Some receipts are typed twice (the copy
marked for deletion) or saved unposted. Numbers grow with the date and never move once given (a
back-dated document takes a number of its own day), as 1C's do.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate

from sandbox.world.reference import HISTORY_START, ZERO_GUID

PAYMENT_TERM_DAYS = 5  # the default term (docs/METRICS.md): what "on time" means for an invoice without one
# What a legal entity's sale leads to, and a private customer's (relative weights).
COMPANY_OUTCOMES = {
    "not_invoiced": 10,
    "on_time": 57,
    "two_parts": 8,
    "late": 9,
    "never_paid": 3,
    "names_no_invoice": 7,
    "overpaid": 3,
    "deleted_paid": 1.5,
    "deleted_unpaid": 1.5,
}
PRIVATE_OUTCOMES = {"nothing": 70, "cash_advance": 25, "invoiced_cash": 4, "invoiced_unpaid": 1}
RECEIPT_TYPED_TWICE = 0.015  # a copy marked for deletion beside the real one
RECEIPT_UNPOSTED = 0.01  # saved and never posted: the money is not in 1C's settlements
OFFICE_OPENS, OFFICE_SECONDS = time(9, 0), 11 * 3600  # documents are typed in office hours
_COMPANY_DRAW = (list(COMPANY_OUTCOMES), list(accumulate(COMPANY_OUTCOMES.values())))
_PRIVATE_DRAW = (list(PRIVATE_OUTCOMES), list(accumulate(PRIVATE_OUTCOMES.values())))


@dataclass(slots=True)
class Invoice:
    ref_key: str
    number: int
    date: datetime  # company-local
    card_key: str  # the counterparty billed
    manager_key: str
    amount: int  # kopecks (СуммаДокумента)
    due_date: date | None  # the invoice's own due date; None: the default payment term applies
    posted: bool = True
    deletion_mark: bool = False
    shipment_key: str = ZERO_GUID  # the sale it bills (for the simulator's links, not for the truth)
    order_key: str = ZERO_GUID  # the customer order of that sale (ZERO_GUID: none); a payment may name it
    version: int = 1

    @property
    def is_live(self) -> bool:
        return self.posted and not self.deletion_mark


@dataclass(slots=True)
class ReceiptPart:
    amount: int  # kopecks
    invoice_key: str = ZERO_GUID  # ZERO_GUID: the payment names no invoice


@dataclass(slots=True)
class Receipt:
    kind: str  # "bank" | "cash"
    ref_key: str
    number: int
    date: datetime  # company-local
    card_key: str
    manager_key: str
    parts: list[ReceiptPart] = field(default_factory=list)
    posted: bool = True
    deletion_mark: bool = False
    version: int = 1

    @property
    def amount(self) -> int:
        return sum(part.amount for part in self.parts)

    @property
    def is_live(self) -> bool:
        return self.posted and not self.deletion_mark


@dataclass(slots=True)
class Receivables:
    invoices: list[Invoice]
    receipts: list[Receipt]


def receivables_of(model) -> Receivables:
    """Every invoice and receipt of the company as of model.as_of_date (nothing dated after it)."""
    invoices: list[Invoice] = []
    receipts: list[Receipt] = []
    for shipment in model.shipments:
        if not shipment.posted and not shipment.deletion_mark:
            continue  # a draft is invoiced when it is posted
        sale = _SaleBilling(model, shipment)
        sale.bill(model.card_by_key[shipment.card_key].is_company)
        invoices += sale.invoices
        receipts += [r for r in sale.receipts if r.date.date() <= model.as_of_date]
    _number(invoices)
    _number([r for r in receipts if r.kind == "bank"])
    _number([r for r in receipts if r.kind == "cash"])
    invoices.sort(key=lambda d: (d.date, d.number))
    receipts.sort(key=lambda d: (d.date, d.kind, d.number))
    return Receivables(invoices, receipts)


def derived_key(seed: int, shipment_key: str, tag: str) -> str:
    """A 1C-looking Ref_Key (RefKeys' uuid1 layout, the infobase's node) for a document `tag` of a sale:
    a function of the seed and the sale alone, so no other key of the company moves."""
    digest = hashlib.blake2b(f"salespipe:{seed}:{shipment_key}:{tag}".encode(), digest_size=16).digest()
    bits = int.from_bytes(digest, "big")
    node = shipment_key[-12:]  # every key of one infobase ends in its node id
    return (
        f"{bits >> 96:08x}-{(bits >> 80) & 0xFFFF:04x}-11{0xE0 | (bits >> 76) & 0xF:02x}-"
        f"{0x8000 | (bits >> 62) & 0x3FFF:04x}-{node}"
    )


class _SaleBilling:
    """One sale's invoice and receipts, every draw from the sale's own stream (a fixed number of draws
    per outcome, whatever the sale's state, so a night that deletes or re-posts it changes nothing else)."""

    def __init__(self, model, shipment):
        self.rng = random.Random(f"salespipe:{model.seed}:receivables:{shipment.ref_key}")
        self.seed = model.seed
        self.shipment = shipment
        self.invoices: list[Invoice] = []
        self.receipts: list[Receipt] = []

    def bill(self, is_company: bool) -> None:
        names, cum_weights = _COMPANY_DRAW if is_company else _PRIVATE_DRAW
        outcome = self.rng.choices(names, cum_weights=cum_weights)[0]
        if outcome == "cash_advance":
            self._cash_advance()
        elif outcome not in ("not_invoiced", "nothing"):
            # One kind of receipt per counterparty: payment order (date, number) never has to weigh a
            # bank receipt's number against a cash one's.
            self._invoiced(outcome, "bank" if is_company else "cash")
        if not self.shipment.is_live:  # the sale was deleted: so was what was typed for it
            for invoice in self.invoices:
                invoice.deletion_mark = True
            for receipt in self.receipts:
                receipt.posted, receipt.deletion_mark = False, True

    def _invoiced(self, outcome: str, kind: str) -> None:
        rng, sale = self.rng, self.shipment
        day = max(HISTORY_START, sale.date.date() - timedelta(days=rng.choice([0, 0, 0, 1, 2, 3])))
        own_due = day + timedelta(days=rng.randint(3, 14)) if rng.random() < 0.5 else None
        invoice = Invoice(
            self._key("invoice"),
            0,
            _office_moment(rng, day),
            sale.card_key,
            sale.manager_key,
            sale.amount,
            own_due,
            deletion_mark=outcome.startswith("deleted"),
            shipment_key=sale.ref_key,
            order_key=sale.order_key,
            version=sale.version,
        )
        self.invoices.append(invoice)
        due = own_due or day + timedelta(days=PAYMENT_TERM_DAYS)
        for number, (pay_day, amount, names) in enumerate(self._payments(outcome, invoice, due), start=1):
            self._receipt(kind, f"{kind}:{number}", pay_day, [ReceiptPart(amount, names)])

    def _payments(self, outcome: str, invoice: Invoice, due: date) -> list[tuple[date, int, str]]:
        """(day, amount, invoice named) of each payment the outcome makes."""
        rng, day, amount, key = self.rng, invoice.date.date(), invoice.amount, invoice.ref_key
        on_time = day + timedelta(days=rng.randint(0, (due - day).days))
        if outcome in ("on_time", "invoiced_cash", "deleted_paid"):
            return [(on_time, amount, key)]
        if outcome == "two_parts":
            first = round(amount * rng.uniform(0.3, 0.7) / 100) * 100  # whole roubles
            second_day = on_time + timedelta(days=rng.randint(1, 25))
            if not 0 < first < amount:  # too small to split
                return [(on_time, amount, key)]
            return [(on_time, first, key), (second_day, amount - first, key)]
        if outcome == "late":
            days_late = rng.randint(1, 5) if rng.random() < 0.7 else rng.randint(6, 45)
            return [(due + timedelta(days=days_late), amount, key)]
        if outcome == "overpaid":  # rounded up to the next thousand roubles (a whole one more if even)
            return [(on_time, (amount // 100_000 + 1) * 100_000, key)]
        if outcome == "names_no_invoice":  # УТ 11's breakdown may name the customer order instead
            return [(on_time, amount, self.shipment.order_key if rng.random() < 0.3 else ZERO_GUID)]
        return []  # never paid, deleted unpaid

    def _cash_advance(self) -> None:
        """Paid at the till when ordering or on delivery, against no invoice."""
        sale = self.shipment
        day = max(HISTORY_START, sale.date.date() - timedelta(days=self.rng.choice([0, 0, 0, 1, 2, 3])))
        self._receipt("cash", "cash:1", day, [ReceiptPart(sale.amount)])

    def _receipt(self, kind: str, tag: str, day: date, parts: list[ReceiptPart]) -> None:
        sale, rng = self.shipment, self.rng
        moment, mishap = _office_moment(rng, day), rng.random()
        receipt = Receipt(kind, self._key(tag), 0, moment, sale.card_key, sale.manager_key, parts)
        receipt.version = sale.version
        self.receipts.append(receipt)
        if mishap < RECEIPT_TYPED_TWICE:
            copy = Receipt(kind, self._key(f"{tag}:copy"), 0, moment, sale.card_key, sale.manager_key)
            copy.parts = [ReceiptPart(p.amount, p.invoice_key) for p in parts]
            copy.posted, copy.deletion_mark, copy.version = False, True, sale.version
            self.receipts.append(copy)
        elif mishap < RECEIPT_TYPED_TWICE + RECEIPT_UNPOSTED:
            receipt.posted = False

    def _key(self, tag: str) -> str:
        return derived_key(self.seed, self.shipment.ref_key, tag)


def _office_moment(rng: random.Random, day: date) -> datetime:
    # Invoices are typed and bank statements loaded in office hours, not at 23:59:59 like many sales.
    return datetime.combine(day, OFFICE_OPENS) + timedelta(seconds=rng.randrange(OFFICE_SECONDS))


def _number(documents: list) -> None:
    """Day number × 1000 + the thousandth of the day (the next free one if taken): increasing with the
    date, six or seven digits like 1C's numbers (ТД00-012345), and a back-dated document renumbers at most
    the few of its own day that follow it, never the history."""
    last = -1
    for doc in sorted(documents, key=lambda d: (d.date, d.ref_key)):
        moment = doc.date
        thousandth = (moment.hour * 3600 + moment.minute * 60 + moment.second) * 1000 // 86_400
        last = max((moment.date() - HISTORY_START).days * 1000 + thousandth, last + 1)
        doc.number = last
