"""The clean model as 1C:Enterprise OData v3 JSON records (docs/sources/onec.md).

This is where the format's own quirks are added: Int64 as strings, zero GUIDs, 0001-01-01 dates,
space-padded codes and numbers, trailing spaces, opaque DataVersion, and the differences between
УТ 11 and БП 3.0 field names. Which record gets a cosmetic quirk is decided by a hash of its key,
so the export is stable across calls and nights.
"""

from __future__ import annotations

import base64
import struct
import zlib
from datetime import date, datetime

from sandbox.world.catalog import Product
from sandbox.world.counterparties import Card
from sandbox.world.documents import Document, Line, Model
from sandbox.world.reference import CONFIGURATIONS
from sandbox.world.sources_model import bulk_allocation

EMPTY_DATE = "0001-01-01T00:00:00"
VAT_22_FROM = date(2026, 1, 1)  # Russian VAT went from 20% to 22% on 2026-01-01
# How each configuration the company can run (sandbox.world.reference.CONFIGURATIONS) names its fields.
CONFIGURATION_FIELDS = {
    "ut11": {
        "legal_field": "ЮрФизЛицо",
        "company": "ЮрЛицо",
        "person": "ФизЛицо",
        "manager_field": "Менеджер_Key",
        "services_section": False,
        "prefix": "ТД00-",
    },
    "bp30": {
        "legal_field": "ЮридическоеФизическоеЛицо",
        "company": "ЮридическоеЛицо",
        "person": "ФизическоеЛицо",
        "manager_field": "Ответственный_Key",
        "services_section": True,
        "prefix": "0000-",
    },
}
if set(CONFIGURATION_FIELDS) != set(CONFIGURATIONS):  # a configuration of the company's with no export
    raise ImportError(f"1C export fields for {sorted(CONFIGURATION_FIELDS)}, company runs {CONFIGURATIONS}")
COUNTERPARTIES = "Catalog_Контрагенты"
PRODUCTS = "Catalog_Номенклатура"
USERS = "Catalog_Пользователи"
PRICE_TYPES = "Catalog_ВидыЦен"
PRICES = "InformationRegister_ЦеныНоменклатуры"
ORDERS = "Document_ЗаказКлиента"
SHIPMENTS = "Document_РеализацияТоваровУслуг"
RETURNS = "Document_ВозвратТоваровОтКлиента"


def data_version(ref_key: str, version: int) -> str:
    """Opaque like 1C's ("AAAACgAAAAA="): changes whenever the record's version counter does."""
    return base64.b64encode(struct.pack(">II", version, zlib.crc32(ref_key.encode()))).decode()


def has_quirk(ref_key: str, salt: str, percent: int) -> bool:
    return zlib.crc32(f"{salt}:{ref_key}".encode()) % 100 < percent


def money(kopecks: int) -> int | float:
    """1C sends whole amounts as integers (150129) and others with two decimals (22729.17)."""
    return kopecks // 100 if kopecks % 100 == 0 else kopecks / 100


def local(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else EMPTY_DATE


def padded(text: str, width: int = 11) -> str:
    """Fixed-length 1C strings come space-padded."""
    return text.ljust(width)


def vat(line: Line, moment: datetime) -> tuple[str, int]:
    rate = 22 if moment.date() >= VAT_22_FROM else 20
    amount = line.amount
    return f"НДС{rate}", (amount * rate * 2 + 100 + rate) // (2 * (100 + rate))  # half-up kopecks


def catalog_header(
    ref_key: str, version: int, deletion_mark: bool, code: str, description: str, quirks: bool = True
) -> dict:
    if quirks and has_quirk(ref_key, "desc", 4):  # typed with trailing spaces
        description += "  "
    return {
        "Ref_Key": ref_key,
        "DataVersion": data_version(ref_key, version),
        "DeletionMark": deletion_mark,
        "Code": code,
        "Description": description,
        "Predefined": False,
        "PredefinedDataName": "",
    }


def counterparty(card: Card, cfg: dict) -> dict:
    code = padded(str(card.code)) if has_quirk(card.ref_key, "code", 5) else f"00-{card.code:08d}"
    record = catalog_header(card.ref_key, card.version, card.deletion_mark, code, card.description)
    kind = "" if card.is_folder else cfg["company"] if card.is_company else cfg["person"]
    record.update(
        {
            "Parent_Key": card.parent_key,
            "IsFolder": card.is_folder,
            "НаименованиеПолное": card.full_name,
            "ИНН": card.inn,
            cfg["legal_field"]: kind,
            "КонтактнаяИнформация": [
                {
                    "Ref_Key": card.ref_key,
                    "LineNumber": str(i),
                    "Тип": c.kind,
                    "Вид": c.view,
                    "Представление": c.text,
                    "НомерТелефона": c.phone,
                    "АдресЭП": c.email,
                    "Город": c.city,
                }
                for i, c in enumerate(card.contacts, start=1)
            ],
        }
    )
    return record


def product(item: Product) -> dict:
    kind = "" if item.is_folder else "Услуга" if item.is_service else "Товар"
    record = catalog_header(item.ref_key, item.version, item.deletion_mark, item.code, item.name)
    record.update(
        {
            "Parent_Key": item.parent_key,
            "IsFolder": item.is_folder,
            "Артикул": item.sku,
            "ТипНоменклатуры": kind,
        }
    )
    return record


def price_rows(model: Model) -> list[dict]:
    rows = []
    type_keys = {t.name: t.ref_key for t in model.price_types}
    for item in model.products:
        for type_name, history in (
            ("Закупочная", item.purchase),
            ("Розничная", item.retail),
            ("Оптовая", item.wholesale),
        ):
            rows += [
                {
                    "Period": local(period),
                    "Номенклатура_Key": item.ref_key,
                    "ВидЦены_Key": type_keys[type_name],
                    "Цена": money(kop),
                }
                for period, kop in zip(history.periods, history.kopecks, strict=True)
            ]
    rows.sort(key=lambda r: (r["Period"], r["Номенклатура_Key"], r["ВидЦены_Key"]))
    return rows


def rows(doc: Document, lines: list[Line]) -> list[dict]:
    out = []
    for i, line in enumerate(lines, start=1):
        rate, tax = vat(line, doc.date)
        out.append(
            {
                "Ref_Key": doc.ref_key,
                "LineNumber": str(i),
                "Номенклатура_Key": line.product_key,
                "Количество": line.qty,
                "Цена": money(line.price),
                "Сумма": money(line.amount),
                "СтавкаНДС": rate,
                "СуммаНДС": money(tax),
            }
        )
    return out


def document_header(doc: Document, entity_set: str, cfg: dict) -> dict:
    number = padded(str(doc.number)) if doc.manual_number else f"{cfg['prefix']}{doc.number:06d}"
    return {
        "Ref_Key": doc.ref_key,
        "DataVersion": data_version(doc.ref_key, doc.version),
        "DeletionMark": doc.deletion_mark,
        "Number": number,
        "Date": local(doc.date),
        "Posted": doc.posted,
        "Контрагент_Key": doc.card_key,
        cfg["manager_field"]: doc.manager_key,
        "СуммаДокумента": money(doc.amount),
        "Контрагент@navigationLinkUrl": f"{entity_set}(guid'{doc.ref_key}')/Контрагент",
    }


def order_record(doc: Document, cfg: dict) -> dict:
    record = document_header(doc, ORDERS, cfg)
    record.update(
        {
            "НомерПоДаннымКлиента": doc.site_number,
            "ЖелаемаяДатаОтгрузки": EMPTY_DATE,
            "Товары": rows(doc, doc.lines),
        }
    )
    return record


def shipment_record(doc: Document, cfg: dict) -> dict:
    record = document_header(doc, SHIPMENTS, cfg)
    record.update(
        {
            "НомерПоДаннымКлиента": doc.site_number,
            "ЗаказКлиента_Key": doc.order_key,
            "СуммаВключаетНДС": True,
            "ДоговорКонтрагента_Key": doc.contract_key,
            "ДатаВходящегоДокумента": local(doc.incoming_date),
            "НомерВходящегоДокумента": f"{doc.number}" if doc.incoming_date else "",
        }
    )
    if cfg["services_section"]:  # БП 3.0 keeps services in their own tabular section
        record["Товары"] = rows(doc, [x for x in doc.lines if not x.is_service])
        record["Услуги"] = rows(doc, [x for x in doc.lines if x.is_service])
    else:
        record["Товары"] = rows(doc, doc.lines)
    return record


def return_record(doc: Document, cfg: dict) -> dict:
    record = document_header(doc, RETURNS, cfg)
    record.update(
        {
            "ДокументРеализации_Key": doc.sale_key,
            "ДатаВходящегоДокумента": EMPTY_DATE,
            "Товары": rows(doc, doc.lines),
        }
    )
    return record


def by_key(records: list[dict]) -> list[dict]:
    """1C serves a set in the order of its primary key."""
    return sorted(records, key=lambda r: r["Ref_Key"])


def export_store(model: Model, configuration: str) -> dict[str, list[dict]]:
    cfg = CONFIGURATION_FIELDS[configuration]
    users = [catalog_header(m.ref_key, m.version, m.deletion_mark, m.code, m.name) for m in model.managers]
    # Price type names stay clean: the pipeline selects the purchase price by this name.
    price_types = [
        catalog_header(t.ref_key, t.version, False, t.code, t.name, quirks=False) for t in model.price_types
    ]
    return {
        COUNTERPARTIES: by_key([counterparty(c, cfg) for c in model.cards]),
        PRODUCTS: by_key([product(p) for p in model.products]),
        USERS: by_key(users),
        PRICE_TYPES: by_key(price_types),
        PRICES: price_rows(model),
        ORDERS: by_key([order_record(d, cfg) for d in model.orders]),
        SHIPMENTS: by_key([shipment_record(d, cfg) for d in model.shipments]),
        RETURNS: by_key([return_record(d, cfg) for d in model.returns]),
    }


def store(company) -> dict[str, list[dict]]:
    """The company's 1C as the simulator's store: entity set → records, in the company's configuration."""
    with bulk_allocation():
        return export_store(company.model, company.configuration)
