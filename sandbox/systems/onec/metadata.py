"""The simulator's `$metadata`: the store described as 1C's standard.odata describes an infobase (CSDL v3).

Shaped like a real 1C document: one `StandardODATA` schema; an EntityType per set keyed by Ref_Key (a
register by Period and its dimensions), its properties typed from the records; every tabular section
both a `<Set>_<Section>_RowType` ComplexType (the type of the collection property) and an EntitySet
`<Set>_<Section>` of its own; references as NavigationProperty + Association; one EntityContainer
(`EnterpriseV8`) listing every EntitySet and AssociationSet, after all the types, as 1C writes it.

A real base publishes a thousand objects the pipeline never reads, and its document is ~17 MB (a live
УТ 11: 16.8 MB in 23 s). `padding_sets` adds that many such objects (catalogs, documents with tabular
sections, accumulation registers with their `_RecordType` sets), deterministic for a given count, so
a benchmark can serve a document of realistic size. Their names always end in a qualifier no
configuration uses for the sets salespipe reads, so padding never adds a set detection looks for.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from itertools import chain
from typing import Any

from sandbox.systems.onec.odata_format import is_annotation

NAMESPACE = "StandardODATA"
CONTAINER = "EnterpriseV8"
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">'
    '<edmx:DataServices xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" '
    'm:DataServiceVersion="3.0"><Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" '
    f'Namespace="{NAMESPACE}">'
)
_CONTAINER_OPEN = f'<EntityContainer Name="{CONTAINER}" m:IsDefaultEntityContainer="true">'
_TAIL = "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")  # 1C's local datetime, no offset


def csdl(store: Mapping[str, list[dict]], *, padding_sets: int = 0) -> bytes:
    """The CSDL of `store` (entity set → records as 1C sends them), plus `padding_sets` unrelated objects."""
    types: list[tuple[str, str]] = []  # (name, xml): sorted by name, as 1C lists its objects
    sets: list[tuple[str, str]] = []
    for set_name, records in store.items():
        _describe_set(set_name, records, types, sets)
    padding_types, padding_sets_xml = _padding(padding_sets)
    schema = "".join(xml for _, xml in sorted(types)) + padding_types
    container = "".join(xml for _, xml in sorted(sets)) + padding_sets_xml
    return f"{_HEAD}{schema}{_CONTAINER_OPEN}{container}{_TAIL}".encode()


# ------------------------------------------------------------------------------------ the store's sets
def _describe_set(set_name: str, records: list[dict], types: list, sets: list) -> None:
    fields = _fields(records)
    sections = [name for name, value in fields.items() if isinstance(value, list)]
    keys = ["Ref_Key"] if "Ref_Key" in fields else [n for n in fields if n == "Period" or n.endswith("_Key")]
    props = [_property(name, value, name in keys) for name, value in fields.items() if name not in sections]
    for section in sections:
        rows = _fields(_section_rows(records, section))
        row_type, section_set = f"{set_name}_{section}_RowType", f"{set_name}_{section}"
        row_props = [_property(name, value, False) for name, value in rows.items()]
        types.append((row_type, _complex_type(row_type, row_props)))
        section_keys = [name for name in ("Ref_Key", "LineNumber") if name in rows]
        section_props = [_property(name, value, name in section_keys) for name, value in rows.items()]
        types.append((section_set, _entity_type(section_set, section_keys, section_props)))
        sets.append((section_set, _entity_set(section_set)))
        props.append(_collection(section, row_type))
    types.append((set_name, _entity_type(set_name, keys, props)))
    sets.append((set_name, _entity_set(set_name)))


def _fields(records: Iterable[dict]) -> dict[str, Any]:
    """Every field any record has, in first-seen order, with its first non-null value (None if none):
    1C's metadata knows a field that this page of records happens to leave empty."""
    fields: dict[str, Any] = {}
    for record in records:
        for name, value in record.items():
            if fields.get(name) is None and not is_annotation(name):
                fields[name] = value
    return fields


def _section_rows(records: list[dict], section: str) -> Iterator[dict]:
    lists = (record.get(section) for record in records)
    return (
        row for row in chain.from_iterable(x for x in lists if isinstance(x, list)) if isinstance(row, dict)
    )


def edm_type(name: str, value: Any) -> str:
    """The Edm type 1C declares for a field, from its name and a value it holds."""
    if name == "Ref_Key" or name.endswith("_Key"):
        return "Edm.Guid"
    if name == "LineNumber":
        return "Edm.Int64"  # sent as a JSON string, declared Int64
    if isinstance(value, bool):
        return "Edm.Boolean"
    if isinstance(value, int | float):
        return "Edm.Double"
    if isinstance(value, str) and _DATE.match(value):
        return "Edm.DateTime"
    return "Edm.String"


def _property(name: str, value: Any, key: bool) -> str:
    nullable = "false" if key else "true"
    return f'<Property Name="{_attr(name)}" Type="{edm_type(name, value)}" Nullable="{nullable}"/>'


def _collection(name: str, row_type: str) -> str:
    return (
        f'<Property Name="{_attr(name)}" Type="Collection({NAMESPACE}.{_attr(row_type)})" Nullable="false"/>'
    )


def _entity_type(name: str, keys: list[str], props: list[str], navigation: str = "") -> str:
    key_xml = "".join(f'<PropertyRef Name="{_attr(key)}"/>' for key in keys)
    return f'<EntityType Name="{_attr(name)}"><Key>{key_xml}</Key>{"".join(props)}{navigation}</EntityType>'


def _complex_type(name: str, props: list[str]) -> str:
    return f'<ComplexType Name="{_attr(name)}">{"".join(props)}</ComplexType>'


def _entity_set(name: str) -> str:
    return f'<EntitySet Name="{_attr(name)}" EntityType="{NAMESPACE}.{_attr(name)}"/>'


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")


# ------------------------------------------------------------------------------------ padding
_CATALOG_WORDS = (
    "Склады Подразделения Проекты СтатьиЗатрат Валюты Банки Партнеры ЕдиницыИзмерения Организации "
    "ВидыНоменклатуры ФизическиеЛица Должности КассыККМ ДоговорыКонтрагентов СерииНоменклатуры "
    "Маркетинговые Сегменты"
).split()
_DOCUMENT_WORDS = (
    "Перемещение Списание Оприходование Инвентаризация Корректировка Распределение Начисление Сборка "
    "Приобретение Отчет Акт Установка Поручение Заявка Расчет Выпуск Передача Регистрация"
).split()
_OBJECT_WORDS = (
    "Товаров Материалов Затрат Зарплаты Работ Лимитов Бонусов Партий Доходов Резервов Претензий "
    "Аванса ОсновныхСредств Себестоимости"
).split()
# No name of a set salespipe reads ends in one of these, so padding never collides with them.
_QUALIFIERS = (
    "ПоПодразделениям Регламентированный ЗаПериод ВРазрезеСкладов Международный Сводный ПоДоговорам "
    "Бюджетный Внутренний ПоПроектам Управленческий ПоФилиалам Оперативный Архивный"
).split()
_FIELD_WORDS = (
    "Сумма Количество Комментарий Дата Признак Вид Статус Цена Основание Ставка Курс Остаток Процент "
    "Описание Период Номер Код Вес"
).split()
_FIELD_TAILS = (
    "Регл Упр Документа Операции Оплаты Начала Окончания Входящая Исходящая План Факт Скидки НДС "
    "Валюты Строки Задания"
).split()
_TYPES = ("Edm.String", "Edm.Double", "Edm.DateTime", "Edm.Boolean", "Edm.Guid", "Edm.Guid", "Edm.Double")
_SECTIONS = ("Товары", "Услуги", "Запасы", "Работы", "Расшифровка", "Оплата", "Исполнители", "Прочее")
_SYSTEM = {
    "Catalog": ("Ref_Key", "DataVersion", "DeletionMark", "Code", "Description", "Predefined", "Parent_Key"),
    "Document": ("Ref_Key", "DataVersion", "DeletionMark", "Number", "Date", "Posted"),
    "AccumulationRegister": ("Recorder", "Recorder_Type"),
}

# A value of each typed system field, for edm_type; the other fields it types are strings or, by name, Guids.
_SYSTEM_VALUES = {"DeletionMark": False, "Posted": False, "Predefined": False, "Active": False,
                  "Date": "0001-01-01T00:00:00", "Period": "0001-01-01T00:00:00"}  # fmt: skip


@lru_cache(maxsize=4)
def _padding(count: int) -> tuple[str, str]:
    """(schema xml, container xml) of `count` unrelated objects: built once per count, it is megabytes."""
    if count <= 0:
        return "", ""
    rng = random.Random(f"salespipe:onec-metadata:{count}")
    names = _padding_names(rng, count)
    catalogs = [name for name in names if name.startswith("Catalog_")] or names[:1]
    schema, container, associations = [], [], []
    for name in names:
        kind = name.partition("_")[0]
        owner = f"{name}_RecordType" if kind == "AccumulationRegister" else name  # where references live
        props, navigation = _padding_properties(rng, owner, kind, catalogs, associations, container)
        if kind == "AccumulationRegister":
            _padding_register(name, props, "".join(navigation), schema, container)
            continue
        for section in rng.sample(_SECTIONS, rng.randint(0, 2)) if kind == "Document" else ():
            props.append(_padding_section(rng, name, section, schema, container))
        schema.append(_entity_type(name, ["Ref_Key"], props, "".join(navigation)))
        container.append(_entity_set(name))
    return "".join(schema) + "".join(associations), "".join(container)


def _padding_names(rng: random.Random, count: int) -> list[str]:
    names: dict[str, None] = {}
    while len(names) < count:
        kind = rng.choices(("Catalog", "Document", "AccumulationRegister"), (3, 5, 2))[0]
        stem = rng.choice(_CATALOG_WORDS) if kind == "Catalog" else rng.choice(_DOCUMENT_WORDS)
        objects = rng.choice(_OBJECT_WORDS) if kind != "Catalog" else ""
        names.setdefault(f"{kind}_{stem}{objects}{rng.choice(_QUALIFIERS)}{_suffix(len(names))}")
    return list(names)


def _suffix(index: int) -> str:
    # Past the word lists' combinations a name takes a version number, as 1C's "…2_5" objects do.
    return "" if index < 1500 else f"{index // 1500 + 1}"


def _padding_properties(rng, owner, kind, catalogs, associations, container) -> tuple[list[str], list[str]]:
    system = _SYSTEM[kind]
    props = [_padding_property(field, field in ("Ref_Key", "Recorder")) for field in system]
    navigation = []
    for field in _field_names(rng, rng.randint(20, 60) - len(system)):
        kind_of = rng.choice(_TYPES)
        if kind_of != "Edm.Guid":
            props.append(f'<Property Name="{field}" Type="{kind_of}" Nullable="true"/>')
            continue
        props.append(_padding_property(f"{field}_Key", False))
        link = f"{owner}_{field}"
        relationship = f'Relationship="{NAMESPACE}.{link}" FromRole="Begin" ToRole="End"'
        navigation.append(f'<NavigationProperty Name="{field}" {relationship}/>')
        target = rng.choice(catalogs)
        associations.append(_association(link, owner, target))
        container.append(_association_set(link, owner, target))
    return props, navigation


def _field_names(rng: random.Random, count: int) -> list[str]:
    names: dict[str, None] = {}
    while len(names) < max(count, 0):
        names.setdefault(f"{rng.choice(_FIELD_WORDS)}{rng.choice(_FIELD_TAILS)}{len(names) // 200 or ''}")
    return list(names)


def _padding_property(field: str, key: bool) -> str:
    return _property(field, _SYSTEM_VALUES.get(field, ""), key)


def _padding_section(rng, owner: str, section: str, schema: list, container: list) -> str:
    fields = ["Ref_Key", "LineNumber", *(f"{f}_Key" for f in _field_names(rng, 3)), *_field_names(rng, 8)]
    props = [_padding_property(field, field in ("Ref_Key", "LineNumber")) for field in fields]
    row_type, section_set = f"{owner}_{section}_RowType", f"{owner}_{section}"
    schema.append(_complex_type(row_type, props[1:]))
    schema.append(_entity_type(section_set, ["Ref_Key", "LineNumber"], props))
    container.append(_entity_set(section_set))
    return _collection(section, row_type)


def _padding_register(name: str, props: list[str], navigation: str, schema: list, container: list) -> None:
    """A recorder-bound register: the set of record sets by recorder, and its rows as `_RecordType`."""
    rows = [_padding_property(field, field in ("Recorder", "LineNumber")) for field in
            ("Recorder", "Period", "LineNumber", "Active", "RecordType")] + props[2:]  # fmt: skip
    row_type, records = f"{name}_RowType", f"{name}_RecordType"
    schema.append(_complex_type(row_type, rows))
    schema.append(_entity_type(records, ["Recorder", "LineNumber"], rows, navigation))
    schema.append(
        _entity_type(name, ["Recorder", "Recorder_Type"], [*props[:2], _collection("RecordSet", row_type)])
    )
    container.extend((_entity_set(name), _entity_set(records)))


def _association(link: str, source: str, target: str) -> str:
    return (
        f'<Association Name="{link}"><End Role="Begin" Type="{NAMESPACE}.{source}" Multiplicity="*"/>'
        f'<End Role="End" Type="{NAMESPACE}.{target}" Multiplicity="0..1"/></Association>'
    )


def _association_set(link: str, source: str, target: str) -> str:
    return (
        f'<AssociationSet Name="{link}" Association="{NAMESPACE}.{link}">'
        f'<End Role="Begin" EntitySet="{source}"/><End Role="End" EntitySet="{target}"/></AssociationSet>'
    )
