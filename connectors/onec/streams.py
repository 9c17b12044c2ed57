"""1C's streams as data: catalogs and the price register read whole, documents over a `Date` window.

Names are those of 1C:Управление торговлей 11 (and КА 2 / ERP, which share them).
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
    StreamSpec("returns", "Document_ВозвратТоваровОтКлиента", "window", REF_KEY, CURSOR_FIELD),
)
