"""What a real base of each 1C configuration publishes of the entity sets salespipe reads, written out by
hand (docs/sources/onec.md), not read from the sandbox's export or the connector's profiles: the simulator
must serve exactly these, and detection must find exactly these."""

from __future__ import annotations

SHARED_SETS = ("Catalog_Контрагенты", "Catalog_Номенклатура", "Catalog_Пользователи")
CONFIGURATION_SETS = {
    "ut11": {
        *SHARED_SETS,
        "Catalog_ВидыЦен",
        "InformationRegister_ЦеныНоменклатуры",
        "Document_ЗаказКлиента",
        "Document_РеализацияТоваровУслуг",
        "Document_ВозвратТоваровОтКлиента",
        "Document_СчетНаОплатуКлиенту",
        "Document_ПоступлениеБезналичныхДенежныхСредств",
        "Document_ПриходныйКассовыйОрдер",
    },
    "bp30": {
        *SHARED_SETS,
        "Catalog_ТипыЦенНоменклатуры",
        "InformationRegister_ЦеныНоменклатуры",
        "Document_РеализацияТоваровУслуг",
        "Document_ВозвратТоваровОтПокупателя",
        "Document_СчетНаОплатуПокупателю",
        "Document_ПоступлениеНаРасчетныйСчет",
        "Document_ПриходныйКассовыйОрдер",
    },
    "unf": {
        *SHARED_SETS,
        "Catalog_ВидыЦен",
        "InformationRegister_ЦеныНоменклатуры",
        "Document_ЗаказПокупателя",
        "Document_РасходнаяНакладная",
        "Document_АктВыполненныхРабот",
        "Document_ПриходнаяНакладная",
        "Document_СчетНаОплату",
        "Document_ПоступлениеНаСчет",
        "Document_ПоступлениеВКассу",
    },
}
