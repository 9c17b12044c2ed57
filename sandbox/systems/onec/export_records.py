"""The pieces every 1C OData record of the export is made of, with the format's own quirks: Int64 as
strings, zero GUIDs, 0001-01-01 dates, space-padded codes and numbers, trailing spaces, opaque
DataVersion. Which record gets a cosmetic quirk is decided by a hash of its key, so the export is stable
across calls and nights.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from datetime import date, datetime

from sandbox.systems.onec.export_names import Names
from sandbox.world.documents import Line

EMPTY_DATE = "0001-01-01T00:00:00"
VAT_22_FROM = date(2026, 1, 1)  # Russian VAT went from 20% to 22% on 2026-01-01


def data_version(ref_key: str, version: int) -> str:
    """Opaque like 1C's ("AAAACgAAAAA="): changes whenever the record's version counter does."""
    return base64.b64encode(struct.pack(">II", version, zlib.crc32(ref_key.encode()))).decode()


def has_quirk(ref_key: str, salt: str, percent: int) -> bool:
    return zlib.crc32(f"{salt}:{ref_key}".encode()) % 100 < percent


def derived_key(ref_key: str, salt: str) -> str:
    """A key of this infobase (the same node as `ref_key`) for a record the export makes up beside the
    model's, the same on every call: УНФ's act of services for a sale, a purchase from a supplier."""
    digest = hashlib.sha256(f"{salt}:{ref_key}".encode()).hexdigest()
    clock = 0x8000 | int(digest[16:20], 16) & 0x3FFF
    return f"{digest[:8]}-{digest[8:12]}-11{0xE0 | int(digest[12], 16):02x}-{clock:04x}-{ref_key[-12:]}"


def money(kopecks: int) -> int | float:
    """1C sends whole amounts as integers (150129) and others with two decimals (22729.17)."""
    return kopecks // 100 if kopecks % 100 == 0 else kopecks / 100


def local(moment: datetime | date | None) -> str:
    if moment is None:
        return EMPTY_DATE
    if not isinstance(moment, datetime):  # a date field: 1C sends midnight
        moment = datetime(moment.year, moment.month, moment.day)
    return moment.isoformat(timespec="seconds")


def padded(text: str, width: int = 11) -> str:
    """Fixed-length 1C strings come space-padded."""
    return text.ljust(width)


def document_number(number: int, names: Names, manual: bool = False, prefix: str | None = None) -> str:
    """The infobase's prefix (or `prefix`) and six digits; one typed by hand is short and space-padded."""
    if manual:
        return padded(str(number))
    return f"{names.number_prefix if prefix is None else prefix}{number:06d}"


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


def document_header(
    entity_set: str,
    names: Names,
    *,
    ref_key: str,
    version: int,
    deletion_mark: bool,
    number: str,
    moment: datetime,
    posted: bool,
    card_key: str,
    manager_key: str,
    amount: int,
) -> dict:
    return {
        "Ref_Key": ref_key,
        "DataVersion": data_version(ref_key, version),
        "DeletionMark": deletion_mark,
        "Number": number,
        "Date": local(moment),
        "Posted": posted,
        "Контрагент_Key": card_key,
        names.manager_field: manager_key,
        "СуммаДокумента": money(amount),
        "Контрагент@navigationLinkUrl": f"{entity_set}(guid'{ref_key}')/Контрагент",
    }


def goods_rows(ref_key: str, moment: datetime, lines: list[Line]) -> list[dict]:
    """A goods (or services) tabular section: each row carries its owner's Ref_Key."""
    out = []
    for i, line in enumerate(lines, start=1):
        rate, tax = vat(line, moment)
        out.append(
            {
                "Ref_Key": ref_key,
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


def by_key(records: list[dict]) -> list[dict]:
    """1C serves a set in the order of its primary key."""
    return sorted(records, key=lambda r: r["Ref_Key"])
