"""The company's customer orders, sales and returns as each configuration records them.

УТ 11 keeps a sale's services among its goods, БП 3.0 in a section of their own; УНФ ships the goods on
a РасходнаяНакладная and records the services of the same sale on an АктВыполненныхРабот. УНФ also keeps a
customer's return and a purchase from a supplier in one set (ПриходнаяНакладная), told apart only by the
operation kind: the purchases are a trap for a reader that takes every receipt of goods for a return.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sandbox.systems.onec.export_names import SERVICES_ACT, SERVICES_SECTION, SUPPLIER_OPERATION, Names
from sandbox.systems.onec.export_records import (
    EMPTY_DATE,
    by_key,
    derived_key,
    document_header,
    document_number,
    goods_rows,
    local,
)
from sandbox.world.documents import Document, Line, Model
from sandbox.world.reference import HISTORY_START, ZERO_GUID


def _header(doc: Document, entity_set: str, names: Names, amount: int | None = None) -> dict:
    return document_header(
        entity_set,
        names,
        ref_key=doc.ref_key,
        version=doc.version,
        deletion_mark=doc.deletion_mark,
        number=document_number(doc.number, names, doc.manual_number),
        moment=doc.date,
        posted=doc.posted,
        card_key=doc.card_key,
        manager_key=doc.manager_key,
        amount=doc.amount if amount is None else amount,
    )


def order_record(doc: Document, names: Names) -> dict:
    record = _header(doc, names.orders, names)
    record.update(
        {
            "НомерПоДаннымКлиента": doc.site_number,
            "ЖелаемаяДатаОтгрузки": EMPTY_DATE,
            names.orders_section: goods_rows(doc.ref_key, doc.date, doc.lines),
        }
    )
    return record


def _goods_and_services(doc: Document) -> tuple[list[Line], list[Line]]:
    return [x for x in doc.lines if not x.is_service], [x for x in doc.lines if x.is_service]


def shipment_record(doc: Document, names: Names) -> dict:
    goods, services = _goods_and_services(doc)
    # УНФ's shipment carries its goods only (the act carries the services), and its amount is theirs.
    shipped = goods if names.services == SERVICES_ACT else doc.lines
    record = _header(doc, names.shipments, names, amount=sum(x.amount for x in shipped))
    record.update(
        {
            "НомерПоДаннымКлиента": doc.site_number,
            names.order_link: doc.order_key,
            "СуммаВключаетНДС": True,
            "ДоговорКонтрагента_Key": doc.contract_key,
            "ДатаВходящегоДокумента": local(doc.incoming_date),
            "НомерВходящегоДокумента": f"{doc.number}" if doc.incoming_date else "",
        }
    )
    if names.services == SERVICES_SECTION:
        record[names.shipments_section] = goods_rows(doc.ref_key, doc.date, goods)
        record[names.services_section] = goods_rows(doc.ref_key, doc.date, services)
    else:
        record[names.shipments_section] = goods_rows(doc.ref_key, doc.date, shipped)
    return record


def service_act_record(doc: Document, names: Names) -> dict | None:
    """УНФ: the services of a sale on their own document, dated and addressed like the shipment (None: the
    sale has no services). Its key comes from the shipment's, so every export names the same act."""
    _, services = _goods_and_services(doc)
    if not services:
        return None
    act_key = derived_key(doc.ref_key, "act")
    record = document_header(
        names.services_set,
        names,
        ref_key=act_key,
        version=doc.version,  # edited (re-posted, marked) together with its shipment
        deletion_mark=doc.deletion_mark,
        # numbered in step with its shipment, so a night never renumbers an act
        number=document_number(doc.number, names),
        moment=doc.date,
        posted=doc.posted,
        card_key=doc.card_key,
        manager_key=doc.manager_key,
        amount=sum(x.amount for x in services),
    )
    record[names.order_link] = doc.order_key
    record[names.services_section] = goods_rows(act_key, doc.date, services)
    return record


def return_record(doc: Document, names: Names) -> dict:
    record = _header(doc, names.returns, names)
    if names.return_operation:
        record["ВидОперации"] = names.return_operation
    record.update(
        {
            names.return_sale_link: doc.sale_key,
            "ДатаВходящегоДокумента": EMPTY_DATE,
            names.returns_section: goods_rows(doc.ref_key, doc.date, doc.lines),
        }
    )
    return record


# УНФ: the shop's own purchases, received on the same document as customers' returns.
SUPPLIERS = ("ООО «ТекстильОпт»", "ООО «Посуда-Центр»", "АО «СветТорг»", "ООО «МебельПоставка»")
SUPPLIER_PREFIX = "ПТ00-"  # the warehouse types purchases under a number prefix of its own
PURCHASES_PER_SUPPLIER = 3


def supplier_key(model: Model, name: str) -> str:
    # Suppliers are not in the served Catalog_Контрагенты: a live card there would be a customer by
    # docs/METRICS.md ("Customer"), and the configuration must not change the company's customers.
    return derived_key(model.price_types[0].ref_key, f"supplier:{name}")


def purchase_records(model: Model, names: Names) -> list[dict]:
    """A handful of purchases from suppliers over the history, from a stream of their own (so they are
    the same on every export and change nothing else): goods at their purchase price."""
    rng = random.Random(f"salespipe:{model.seed}:onec-supplier-purchases")
    days = (model.as_of_date - HISTORY_START).days
    moments = sorted(
        datetime.combine(HISTORY_START + timedelta(days=rng.randint(0, days)), time(rng.randint(9, 17)))
        for _ in range(len(SUPPLIERS) * PURCHASES_PER_SUPPLIER)
    )
    return [purchase_record(model, names, number, moment, rng) for number, moment in enumerate(moments, 1)]


def purchase_record(model: Model, names: Names, number: int, moment: datetime, rng: random.Random) -> dict:
    supplier = SUPPLIERS[rng.randrange(len(SUPPLIERS))]
    priced = [p for p in model.goods if p.purchase.at(moment) is not None]
    picked = rng.sample(priced, min(len(priced), rng.randint(2, 6)))
    lines = [Line(p.ref_key, rng.randint(5, 40), p.purchase.at(moment), False) for p in picked]
    ref_key = derived_key(model.price_types[0].ref_key, f"purchase:{number}")
    record = document_header(
        names.returns,
        names,
        ref_key=ref_key,
        version=1,
        deletion_mark=False,
        number=document_number(number, names, prefix=SUPPLIER_PREFIX),
        moment=moment,
        posted=True,
        card_key=supplier_key(model, supplier),
        manager_key=model.managers[0].ref_key,  # the senior manager also does the buying
        amount=sum(x.amount for x in lines),
    )
    record.update(
        {
            "ВидОперации": SUPPLIER_OPERATION,
            names.return_sale_link: ZERO_GUID,
            "ДатаВходящегоДокумента": local(moment.date()),
            "НомерВходящегоДокумента": f"П-{rng.randint(100, 9999)}",
            names.returns_section: goods_rows(ref_key, moment, lines),
        }
    )
    return record


def sales_sets(model: Model, names: Names) -> dict[str, list[dict]]:
    """Entity set → records: the configuration's orders, sales (and acts) and returns."""
    sets: dict[str, list[dict]] = {}
    if names.orders:
        sets[names.orders] = by_key([order_record(d, names) for d in model.orders])
    sets[names.shipments] = by_key([shipment_record(d, names) for d in model.shipments])
    if names.services == SERVICES_ACT:
        acts = (service_act_record(d, names) for d in model.shipments)
        sets[names.services_set] = by_key([act for act in acts if act is not None])
    returns = [return_record(d, names) for d in model.returns]
    if names.return_operation:
        returns += purchase_records(model, names)
    sets[names.returns] = by_key(returns)
    return sets
