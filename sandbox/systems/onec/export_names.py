"""How each 1C configuration the company can run names what it records: entity sets, tabular sections
and fields of УТ 11, БП 3.0 and УНФ (docs/sources/onec.md, "Configurations").

This table is the sandbox's own on purpose: the simulator stands in for real bases, so it never reads the
connector's profiles (connectors/onec/profiles.py). A name the connector gets wrong then fails a test
against the simulator instead of agreeing with itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.world.reference import CONFIGURATIONS

# Where a sale's service lines go: in the goods section (УТ 11), a section of their own on the sale
# (БП 3.0), or a document of their own, the act of work done (УНФ).
SERVICES_IN_GOODS, SERVICES_SECTION, SERVICES_ACT = "goods", "section", "act"
# Where an invoice's due date goes: a one-row payment schedule (УТ 11) or a header field (БП 3.0, УНФ).
DUE_IN_SCHEDULE, DUE_IN_HEADER = "schedule", "header"


@dataclass(frozen=True)
class Names:
    # Catalog_Контрагенты: the legal/physical person field and its two values
    legal_field: str
    company: str
    person: str
    manager_field: str  # the manager (or "responsible") on every document
    number_prefix: str  # the infobase's document number prefix
    # prices: the price type catalog and the register's price type field
    price_types: str
    price_type_field: str
    # customer orders (None: the configuration has none) and their lines
    orders: str | None
    orders_section: str
    # sales: the document, its goods section, the order link, where services go
    shipments: str
    shipments_section: str
    order_link: str
    services: str  # SERVICES_*
    services_set: str | None  # SERVICES_ACT: the act's entity set
    services_section: str | None  # SERVICES_SECTION / SERVICES_ACT: the section holding service lines
    # customer returns: the document, its section, the link to the sale; the operation kind when the
    # set also holds other receipts of goods (УНФ: purchases from suppliers)
    returns: str
    returns_section: str
    return_sale_link: str
    return_operation: str | None
    # invoices and payments received
    invoices: str
    invoice_due: str  # DUE_*
    invoice_order_link: str | None  # the invoice's customer order (None: the invoice names none)
    bank_receipts: str
    cash_receipts: str
    payment_invoice_field: str  # in a РасшифровкаПлатежа row: the invoice paid
    payment_amount_field: str  # and the amount
    # УТ 11's row names a settlement object of any kind (an invoice or an order); БП 3.0's and УНФ's
    # field refers to an invoice and can hold nothing else
    payment_names_any_document: bool

    @property
    def entity_sets(self) -> tuple[str, ...]:
        """Every set this configuration serves, in the store's order."""
        sets = (
            COUNTERPARTIES,
            PRODUCTS,
            USERS,
            self.price_types,
            PRICES,
            self.orders,
            self.shipments,
            self.services_set,
            self.returns,
            self.invoices,
            self.bank_receipts,
            self.cash_receipts,
        )
        return tuple(name for name in sets if name is not None)


# Shared by all three.
COUNTERPARTIES = "Catalog_Контрагенты"
PRODUCTS = "Catalog_Номенклатура"
USERS = "Catalog_Пользователи"
PRICES = "InformationRegister_ЦеныНоменклатуры"
PAYMENT_SECTION = "РасшифровкаПлатежа"
INVOICE_SCHEDULE = "ЭтапыГрафикаОплаты"

UT11 = Names(
    legal_field="ЮрФизЛицо",
    company="ЮрЛицо",
    person="ФизЛицо",
    manager_field="Менеджер_Key",
    number_prefix="ТД00-",
    price_types="Catalog_ВидыЦен",
    price_type_field="ВидЦены_Key",
    orders="Document_ЗаказКлиента",
    orders_section="Товары",
    shipments="Document_РеализацияТоваровУслуг",
    shipments_section="Товары",
    order_link="ЗаказКлиента_Key",
    services=SERVICES_IN_GOODS,
    services_set=None,
    services_section=None,
    returns="Document_ВозвратТоваровОтКлиента",
    returns_section="Товары",
    return_sale_link="ДокументРеализации_Key",
    return_operation=None,
    invoices="Document_СчетНаОплатуКлиенту",
    invoice_due=DUE_IN_SCHEDULE,
    invoice_order_link="ЗаказКлиента_Key",
    bank_receipts="Document_ПоступлениеБезналичныхДенежныхСредств",
    cash_receipts="Document_ПриходныйКассовыйОрдер",
    # УТ 11's breakdown names the settlement object: an invoice here (an order in bases that settle by it)
    payment_invoice_field="Заказ_Key",
    payment_amount_field="Сумма",
    payment_names_any_document=True,
)

BP30 = Names(
    legal_field="ЮридическоеФизическоеЛицо",
    company="ЮридическоеЛицо",
    person="ФизическоеЛицо",
    manager_field="Ответственный_Key",
    number_prefix="0000-",
    price_types="Catalog_ТипыЦенНоменклатуры",
    price_type_field="ТипЦен_Key",
    orders=None,  # the invoice plays the order
    orders_section="Товары",
    shipments="Document_РеализацияТоваровУслуг",
    shipments_section="Товары",
    order_link="ЗаказКлиента_Key",
    services=SERVICES_SECTION,
    services_set=None,
    services_section="Услуги",
    returns="Document_ВозвратТоваровОтПокупателя",
    returns_section="Товары",
    return_sale_link="ДокументРеализации_Key",
    return_operation=None,
    invoices="Document_СчетНаОплатуПокупателю",
    invoice_due=DUE_IN_HEADER,
    invoice_order_link=None,
    bank_receipts="Document_ПоступлениеНаРасчетныйСчет",
    cash_receipts="Document_ПриходныйКассовыйОрдер",
    payment_invoice_field="СчетНаОплату_Key",
    payment_amount_field="СуммаПлатежа",
    payment_names_any_document=False,
)

UNF = Names(
    legal_field="ЮрФизЛицо",
    company="ЮрЛицо",
    person="ФизЛицо",
    manager_field="Ответственный_Key",
    number_prefix="НФ00-",
    price_types="Catalog_ВидыЦен",
    price_type_field="ВидЦен_Key",
    orders="Document_ЗаказПокупателя",
    orders_section="Запасы",
    shipments="Document_РасходнаяНакладная",
    shipments_section="Запасы",
    order_link="Заказ_Key",
    services=SERVICES_ACT,
    services_set="Document_АктВыполненныхРабот",
    services_section="Работы",
    returns="Document_ПриходнаяНакладная",
    returns_section="Запасы",
    return_sale_link="ДокументОснование_Key",
    return_operation="ВозвратОтПокупателя",
    invoices="Document_СчетНаОплату",
    invoice_due=DUE_IN_HEADER,
    invoice_order_link=None,
    bank_receipts="Document_ПоступлениеНаСчет",
    cash_receipts="Document_ПоступлениеВКассу",
    payment_invoice_field="СчетНаОплату_Key",
    payment_amount_field="СуммаПлатежа",
    payment_names_any_document=False,
)
# УНФ's receipt of goods that is not a customer's return: a purchase from a supplier.
SUPPLIER_OPERATION = "ПоступлениеОтПоставщика"

NAMES = {"ut11": UT11, "bp30": BP30, "unf": UNF}
if set(NAMES) != set(CONFIGURATIONS):  # a configuration of the company's the export cannot name
    raise ImportError(f"1C export names for {sorted(NAMES)}, company runs {CONFIGURATIONS}")
