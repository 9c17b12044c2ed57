"""The clean model as 1C:Enterprise OData v3 JSON records (docs/sources/onec.md), in the configuration the
company's infobase runs: УТ 11, БП 3.0 or УНФ.

The configuration changes the names (entity sets, tabular sections, fields: export_names.py) and how a
sale, a return and an invoice are split into documents, never the company: every configuration records
the same facts. The record pieces and the format's quirks are in export_records.py; orders, sales and
returns in export_sales.py; invoices and payments in export_receivables.py.
"""

from __future__ import annotations

from sandbox.systems.onec.export_names import COUNTERPARTIES, NAMES, PRICES, PRODUCTS, USERS, Names
from sandbox.systems.onec.export_receivables import receivables_sets
from sandbox.systems.onec.export_records import (
    by_key,
    catalog_header,
    has_quirk,
    local,
    money,
    padded,
)
from sandbox.systems.onec.export_sales import sales_sets
from sandbox.world.catalog import Product
from sandbox.world.counterparties import Card
from sandbox.world.documents import Model
from sandbox.world.receivables import receivables_of
from sandbox.world.sources_model import bulk_allocation


def counterparty(card: Card, names: Names) -> dict:
    code = padded(str(card.code)) if has_quirk(card.ref_key, "code", 5) else f"00-{card.code:08d}"
    record = catalog_header(card.ref_key, card.version, card.deletion_mark, code, card.description)
    kind = "" if card.is_folder else names.company if card.is_company else names.person
    record.update(
        {
            "Parent_Key": card.parent_key,
            "IsFolder": card.is_folder,
            "НаименованиеПолное": card.full_name,
            "ИНН": card.inn,
            names.legal_field: kind,
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


def price_rows(model: Model, names: Names) -> list[dict]:
    rows = []
    type_keys = {t.name: t.ref_key for t in model.price_types}
    type_field = names.price_type_field
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
                    type_field: type_keys[type_name],
                    "Цена": money(kop),
                }
                for period, kop in zip(history.periods, history.kopecks, strict=True)
            ]
    rows.sort(key=lambda r: (r["Period"], r["Номенклатура_Key"], r[type_field]))
    return rows


def catalog_sets(model: Model, names: Names) -> dict[str, list[dict]]:
    users = [catalog_header(m.ref_key, m.version, m.deletion_mark, m.code, m.name) for m in model.managers]
    # Price type names stay clean: the pipeline selects the purchase price by this name.
    price_types = [
        catalog_header(t.ref_key, t.version, False, t.code, t.name, quirks=False) for t in model.price_types
    ]
    return {
        COUNTERPARTIES: by_key([counterparty(c, names) for c in model.cards]),
        PRODUCTS: by_key([product(p) for p in model.products]),
        USERS: by_key(users),
        names.price_types: by_key(price_types),
        PRICES: price_rows(model, names),
    }


def export_store(model: Model, configuration: str) -> dict[str, list[dict]]:
    """Entity set → records: exactly the sets the configuration has (another's set is not there)."""
    names = NAMES[configuration]
    sets = {
        **catalog_sets(model, names),
        **sales_sets(model, names),
        **receivables_sets(receivables_of(model), names),
    }
    return {name: sets[name] for name in names.entity_sets}


def store(company) -> dict[str, list[dict]]:
    """The company's 1C as the simulator's store: entity set → records, in the company's configuration."""
    with bulk_allocation():
        return export_store(company.model, company.configuration)
