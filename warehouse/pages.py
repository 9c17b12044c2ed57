"""A page of raw records as Python prepares it for landing: serialised once, hashed, keyed, deduped.

Kept apart from the DuckDB side (warehouse/landing.py) because it is the Python half of the landing cost
(docs/BENCHMARKS.md §1): everything here runs once per record.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from contract.records import version_text


class StreamLike(Protocol):
    name: str
    key_fields: tuple[str, ...]
    cursor_field: str | None

    def key_of(self, record: dict) -> str | None: ...


@dataclass
class PageResult:
    read: int = 0
    landed: int = 0
    rejected: int = 0


def _record_bytes(record: Any) -> bytes:
    # orjson keeps key order as sent and is ~5x faster than json.dumps; non-str keys are impossible
    # in parsed JSON, so the fallback only covers odd values (e.g. Decimal) from custom sources.
    try:
        return orjson.dumps(record)
    except TypeError:
        return json.dumps(record, ensure_ascii=False, default=str).encode()


@dataclass
class PreparedPage:
    """One page as Python prepared it: every keyed record (last occurrence of its key) and the rejects."""

    read: int
    records: list[Any]
    positions: list[int] = field(default_factory=list)  # index in `records` of each keyed row
    ids: list[str] = field(default_factory=list)
    texts: list[bytes] = field(default_factory=list)
    versions: list[str | None] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    rejects: list[tuple[int, str, bytes]] = field(default_factory=list)  # (record_no, reason, text)


def prepare_page(spec: StreamLike, records: list[Any], version_field: str | None) -> PreparedPage:
    page = PreparedPage(read=len(records), records=records)
    no_key = f"no key: {'/'.join(spec.key_fields)} missing or empty"
    key_of, dumps = spec.key_of, orjson.dumps
    positions, ids, texts, versions = page.positions, page.ids, page.texts, page.versions
    row_of: dict[str, int] = {}
    for position, record in enumerate(records):
        try:
            text = dumps(record)
        except TypeError:
            text = _record_bytes(record)
        if not isinstance(record, dict):
            page.rejects.append((position + 1, "not a JSON object", text))
            continue
        key = key_of(record)
        if key is None:
            page.rejects.append((position + 1, no_key, text))
            continue
        row_of[key] = len(ids)
        positions.append(position)
        ids.append(key)
        texts.append(text)
        if version_field:
            version = record.get(version_field)
            versions.append(version_text(version))
        else:
            versions.append(None)
    if len(row_of) < len(ids):
        # Latest occurrence of a key within the page wins (an overlap re-read can repeat a record).
        keep = sorted(row_of.values())
        page.positions = [positions[i] for i in keep]
        page.ids = [ids[i] for i in keep]
        page.texts = [texts[i] for i in keep]
        page.versions = [versions[i] for i in keep]
    page.hashes = [hashlib.md5(text).hexdigest() for text in page.texts]
    return page
