"""The record contract between connectors and the warehouse: stream declarations and pages of raw records.

A connector knows HTTP and one API and nothing about the warehouse; the warehouse knows DuckDB and nothing
about any API. Both import this module and nothing of each other. A connector declares its streams as data
(`StreamSpec`) and yields `Page`s: the records exactly as the API sent them plus the cursor reached, so
landing can store both in one transaction and a crash resumes from the last page landed. What identifies
a record (`key_of`) and how its version is written (`version_text`) are stated here once for both sides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# 1C sends this for an empty reference; as a primary key it means "no record", not a record.
ZERO_GUID = "00000000-0000-0000-0000-000000000000"

KEY_SEPARATOR = "|"

StreamMode = Literal["full", "window"]


@dataclass(frozen=True)
class StreamSpec:
    """One stream of a source: where it lives, how it is read and what identifies a record.

    mode "full": the whole set is read on every run (catalogs, registers; changes are found by diffing).
    mode "window": read from the last cursor minus an overlap, ordered by `cursor_field` (documents).
    """

    name: str
    entity_set: str
    mode: StreamMode
    key_fields: tuple[str, ...]  # dotted names reach into nested objects: "params.uniq"
    cursor_field: str | None = None
    # Key parts that may be blank: a blank one is a real group (Metrica's "visits without a UTM tag"),
    # landed as "", not a missing key.
    blank_key_fields: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.mode not in ("full", "window"):
            raise ValueError(f"stream {self.name}: mode must be 'full' or 'window', not {self.mode!r}")
        if not self.key_fields:
            raise ValueError(f"stream {self.name}: key_fields must not be empty")
        if self.mode == "window" and not self.cursor_field:
            raise ValueError(f"stream {self.name}: a window stream needs a cursor_field")
        if not self.blank_key_fields <= set(self.key_fields):
            raise ValueError(f"stream {self.name}: blank_key_fields must be among key_fields")

    def key_of(self, record: dict[str, Any]) -> str | None:
        """The record's primary key as text (fields joined by "|"), or None when it has no usable key.

        None sends the record to meta.rejects instead of landing it under a made-up key.
        """
        parts = []
        for name in self.key_fields:
            value = field_value(record, name)
            if name in self.blank_key_fields and (value is None or not str(value).strip()):
                parts.append("")
            elif _is_usable_key_part(name, value):
                parts.append(str(value).strip())
            else:
                return None
        return KEY_SEPARATOR.join(parts)


def field_value(record: dict[str, Any], path: str) -> Any:
    """The value at a dotted path ("params.uniq"), or None where any step is missing or not an object."""
    if "." not in path:
        return record.get(path)
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _is_usable_key_part(name: str, value: Any) -> bool:
    # Bools, numbers and strings can name a record; dicts and lists cannot.
    if value is None or isinstance(value, dict | list):
        return False
    text = str(value).strip()
    if not text:
        return False
    return not (name == "Ref_Key" and text == ZERO_GUID)


@dataclass
class Page:
    """A batch of raw records from one request and the cursor the stream has reached with it.

    `cursor` is None for full streams (nothing to resume from: they are re-read whole).
    """

    stream: str
    records: list[dict[str, Any]] = field(default_factory=list)
    cursor: str | None = None


def version_text(value: Any) -> str:
    """A record's version as landing stores it (`meta.record_state._version`), and so as a key scan must
    report it: text as is, anything else (None included) through str()."""
    return value if type(value) is str else str(value)
