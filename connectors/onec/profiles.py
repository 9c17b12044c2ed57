"""1C configurations as data: where each salespipe stream lives in УТ 11, БП 3.0 and УНФ, and how their
field names map onto salespipe's vocabulary (УТ 11's, see streams.py).

A profile is the only place that knows a configuration's names. The connector reads a stream from the
profile's entity set and renames the configuration's fields into salespipe's before landing (values are
never touched), so the warehouse holds one shape for every configuration and a base that moves from one
configuration to another keeps its history comparable. A stream a profile does not list is absent in
that configuration (orders in БП 3.0): skipped and recorded, not failed.

How sure each name is (docs/sources/onec.md): "seen" in responses of live bases or public clients of
them; "inferred" from the configuration's documentation. Detection (detect.py) checks the sets against
the base's own $metadata, so a base that disagrees gets a message naming what it lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from connectors.onec.streams import REQUIRED_STREAMS, STREAMS


@dataclass(frozen=True)
class Place:
    """Where one stream lives in a configuration.

    header: this configuration's field name → salespipe's, for the record's own fields (a tabular
    section is a field too: "Запасы" → "Товары"); rows: the same for the fields of every tabular row.
    """

    entity_set: str
    header: Mapping[str, str] = field(default_factory=dict)
    rows: Mapping[str, str] = field(default_factory=dict)

    def source_name(self, name: str) -> str:
        """The configuration's name of salespipe's header field `name` (for $orderby, $select)."""
        return next((theirs for theirs, ours in self.header.items() if ours == name), name)


@dataclass(frozen=True)
class Profile:
    id: str  # the SALESPIPE_ONEC_CONFIGURATION value
    label: str
    places: Mapping[str, Place]  # stream name → place; a stream not listed is absent here
    # Sets only this configuration has: detection tells the configurations apart by these.
    markers: tuple[str, ...] = field(default=())

    @property
    def present_streams(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in STREAMS if spec.name in self.places)

    @property
    def absent_streams(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in STREAMS if spec.name not in self.places)

    @property
    def required_sets(self) -> tuple[str, ...]:
        return tuple(
            self.places[name].entity_set for name in self.present_streams if name in REQUIRED_STREAMS
        )

    @property
    def entity_sets(self) -> tuple[str, ...]:
        return tuple(self.places[name].entity_set for name in self.present_streams)


def _places(**places: Place) -> Mapping[str, Place]:
    unknown = set(places) - {spec.name for spec in STREAMS}
    if unknown:
        raise ValueError(f"profile names streams salespipe does not have: {sorted(unknown)}")
    missing = REQUIRED_STREAMS - set(places)
    if missing:
        raise ValueError(f"profile lacks required streams: {sorted(missing)}")
    return MappingProxyType(places)


_SHARED_CATALOGS = {
    "counterparties": Place("Catalog_Контрагенты"),
    "products": Place("Catalog_Номенклатура"),
    "users": Place("Catalog_Пользователи"),
}
_RESPONSIBLE = {"Ответственный_Key": "Менеджер_Key"}  # БП 3.0 and УНФ: the manager is "responsible"
# A payment's breakdown row: salespipe's names are СчетНаОплату_Key (the invoice paid) and СуммаПлатежа.
_PAYMENT_ROWS: dict[str, str] = {}
_UT_PAYMENT_ROWS = {"Заказ_Key": "СчетНаОплату_Key", "Сумма": "СуммаПлатежа"}

UT11 = Profile(
    id="ut11",
    label="1С:Управление торговлей 11 (also КА 2, ERP)",
    places=_places(
        **_SHARED_CATALOGS,
        price_types=Place("Catalog_ВидыЦен"),
        prices=Place("InformationRegister_ЦеныНоменклатуры"),
        customer_orders=Place("Document_ЗаказКлиента"),
        shipments=Place("Document_РеализацияТоваровУслуг"),
        returns=Place("Document_ВозвратТоваровОтКлиента"),
        invoices=Place("Document_СчетНаОплатуКлиенту"),
        # A breakdown row's Заказ may name an invoice (or an order: then it pays no invoice directly).
        bank_receipts=Place("Document_ПоступлениеБезналичныхДенежныхСредств", rows=_UT_PAYMENT_ROWS),
        cash_receipts=Place("Document_ПриходныйКассовыйОрдер", rows=_UT_PAYMENT_ROWS),
    ),
    markers=("Document_ЗаказКлиента", "Document_ВозвратТоваровОтКлиента"),
)

BP30 = Profile(
    id="bp30",
    label="1С:Бухгалтерия предприятия 3.0",
    places=_places(
        counterparties=Place("Catalog_Контрагенты", header={"ЮридическоеФизическоеЛицо": "ЮрФизЛицо"}),
        products=_SHARED_CATALOGS["products"],
        users=_SHARED_CATALOGS["users"],
        price_types=Place("Catalog_ТипыЦенНоменклатуры"),
        prices=Place("InformationRegister_ЦеныНоменклатуры", header={"ТипЦен_Key": "ВидЦены_Key"}),
        # No customer orders: in БП 3.0 the invoice plays the order.
        shipments=Place("Document_РеализацияТоваровУслуг", header=_RESPONSIBLE),
        returns=Place("Document_ВозвратТоваровОтПокупателя", header=_RESPONSIBLE),
        invoices=Place("Document_СчетНаОплатуПокупателю", header=_RESPONSIBLE),
        bank_receipts=Place("Document_ПоступлениеНаРасчетныйСчет", header=_RESPONSIBLE, rows=_PAYMENT_ROWS),
        cash_receipts=Place("Document_ПриходныйКассовыйОрдер", header=_RESPONSIBLE, rows=_PAYMENT_ROWS),
    ),
    markers=("Document_СчетНаОплатуПокупателю", "Document_ПоступлениеНаРасчетныйСчет"),
)

UNF = Profile(
    id="unf",
    label="1С:Управление нашей фирмой 1.6 / 3.0",
    places=_places(
        **_SHARED_CATALOGS,
        price_types=Place("Catalog_ВидыЦен"),
        prices=Place("InformationRegister_ЦеныНоменклатуры", header={"ВидЦен_Key": "ВидЦены_Key"}),
        customer_orders=Place("Document_ЗаказПокупателя", header={**_RESPONSIBLE, "Запасы": "Товары"}),
        shipments=Place(
            "Document_РасходнаяНакладная",
            header={**_RESPONSIBLE, "Запасы": "Товары", "Заказ_Key": "ЗаказКлиента_Key"},
        ),
        service_acts=Place(
            "Document_АктВыполненныхРабот",
            header={**_RESPONSIBLE, "Работы": "Услуги", "Заказ_Key": "ЗаказКлиента_Key"},
        ),
        # УНФ records a customer's return as a receipt with a return operation kind; staging keeps those.
        returns=Place(
            "Document_ПриходнаяНакладная",
            header={**_RESPONSIBLE, "Запасы": "Товары", "ДокументОснование_Key": "ДокументРеализации_Key"},
        ),
        invoices=Place("Document_СчетНаОплату", header=_RESPONSIBLE),
        bank_receipts=Place("Document_ПоступлениеНаСчет", header=_RESPONSIBLE, rows=_PAYMENT_ROWS),
        cash_receipts=Place("Document_ПоступлениеВКассу", header=_RESPONSIBLE, rows=_PAYMENT_ROWS),
    ),
    markers=("Document_ЗаказПокупателя", "Document_РасходнаяНакладная"),
)

PROFILES: Mapping[str, Profile] = MappingProxyType({p.id: p for p in (UT11, BP30, UNF)})
CONFIGURATION_CHOICES = ("auto", *PROFILES)


def rename_record(record: dict, place: Place) -> dict:
    """The record in salespipe's vocabulary. A rename never overwrites a field the record already has:
    then both stay as sent (staging reads salespipe's name, which is the one 1C filled)."""
    if not isinstance(record, dict) or (not place.header and not place.rows):
        return record  # a record that is not an object is landing's to reject, with its raw text
    renamed = {}
    for name, value in record.items():
        target = place.header.get(name, name)
        if target != name and target in record:
            target = name
        if place.rows and isinstance(value, list):
            value = [_rename_row(row, place.rows) for row in value]
        renamed[target] = value
    return renamed


def _rename_row(row, renames: Mapping[str, str]):
    if not isinstance(row, dict):
        return row
    return {(renames[k] if k in renames and renames[k] not in row else k): v for k, v in row.items()}
