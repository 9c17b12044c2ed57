"""1C's streams as data: catalogs and the price register read whole, documents over a `Date` window.

These are salespipe's streams in salespipe's vocabulary, which is 1C:Управление торговлей 11's: entity
set and field names as УТ 11 spells them. A configuration profile (profiles.py) says where each stream
lives in the other configurations and renames their fields into this vocabulary, so landing and
staging see one shape whatever the base runs.
"""

from __future__ import annotations

from contract.records import StreamSpec

CURSOR_FIELD = "Date"
REF_KEY = ("Ref_Key",)
STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec("counterparties", "Catalog_Контрагенты", "full", REF_KEY),
    StreamSpec("products", "Catalog_Номенклатура", "full", REF_KEY),
    StreamSpec("users", "Catalog_Пользователи", "full", REF_KEY),
    StreamSpec("price_types", "Catalog_ВидыЦен", "full", REF_KEY),
    StreamSpec(
        "prices",
        "InformationRegister_ЦеныНоменклатуры",
        "full",
        ("Period", "Номенклатура_Key", "ВидЦены_Key"),
    ),
    StreamSpec("customer_orders", "Document_ЗаказКлиента", "window", REF_KEY, CURSOR_FIELD),
    StreamSpec("shipments", "Document_РеализацияТоваровУслуг", "window", REF_KEY, CURSOR_FIELD),
    # УНФ records services sold on their own document (АктВыполненныхРабот); staging adds them to sales.
    StreamSpec("service_acts", "Document_АктВыполненныхРабот", "window", REF_KEY, CURSOR_FIELD),
    StreamSpec("returns", "Document_ВозвратТоваровОтКлиента", "window", REF_KEY, CURSOR_FIELD),
    StreamSpec("invoices", "Document_СчетНаОплатуКлиенту", "window", REF_KEY, CURSOR_FIELD),
    StreamSpec(
        "bank_receipts", "Document_ПоступлениеБезналичныхДенежныхСредств", "window", REF_KEY, CURSOR_FIELD
    ),
    StreamSpec("cash_receipts", "Document_ПриходныйКассовыйОрдер", "window", REF_KEY, CURSOR_FIELD),
)
# Without these there are no sales to publish; every other stream only adds to them. A required stream
# that fails fails the source; an optional one that fails leaves its numbers unknown, and the run goes on.
REQUIRED_STREAMS = frozenset({"counterparties", "products", "users", "shipments"})
