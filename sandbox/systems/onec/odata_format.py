"""What 1C's standard.odata puts on the wire: JSON (plain or nometadata), Atom XML and odata.error
bodies ($metadata: metadata.py). Records are emitted with their key order intact and their values untouched
(Int64 fields are already strings in the store)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

JSON_TYPE = "application/json;charset=utf-8"
ATOM_FEED_TYPE = "application/atom+xml;type=feed;charset=utf-8"
ATOM_ENTRY_TYPE = "application/atom+xml;type=entry;charset=utf-8"
XML_TYPE = "application/xml;charset=utf-8"
TEXT_TYPE = "text/plain;charset=utf-8"

_NS = (
    'xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
    'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"'
)
_SCHEME = "http://schemas.microsoft.com/ado/2007/08/dataservices/scheme"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


# ------------------------------------------------------------------------------------ records
def entity_path(set_name: str, record: dict) -> str:
    """`Set(guid'…')`, or for keyless register records a composite key of Period and references."""
    if "Ref_Key" in record:
        return f"{set_name}(guid'{record['Ref_Key']}')"
    parts = [f"Period=datetime'{record['Period']}'"] if "Period" in record else []
    parts += [f"{k}=guid'{v}'" for k, v in record.items() if k.endswith("_Key") and isinstance(v, str)]
    return f"{set_name}({','.join(parts)})"


def project(record: dict, select: frozenset[str] | None) -> dict:
    return record if select is None else {k: v for k, v in record.items() if k in select}


def is_annotation(key: str) -> bool:
    """`X@navigationLinkUrl` and the like are annotations, not properties (a store may hold them)."""
    return "@" in key


class JsonShaper:
    """Shapes records for JSON. Plain `$format=json` puts `X@navigationLinkUrl` after the fields for
    each `X_Key` reference, in the header and in tabular rows (the connector has to ignore them);
    `odata=nometadata` carries none, so any a store record holds are dropped. One shaper serves one
    request and remembers, per record shape, which keys matter, so a page of a thousand documents
    does not test every key name a thousand times."""

    def __init__(self, set_name: str, links: bool):
        self.set_name, self.links = set_name, links
        self._layouts: dict[tuple, tuple[list[tuple[str, str]], list[str], list[str]]] = {}

    def _layout(self, record: dict) -> tuple[list[tuple[str, str]], list[str], list[str]]:
        shape = tuple(record)
        layout = self._layouts.get(shape)
        if layout is None:
            links = [
                (f"{k[:-4]}@navigationLinkUrl", f"/{k[:-4]}")
                for k in shape
                if self.links and k.endswith("_Key") and k != "Ref_Key"
            ]
            sections = [k for k, v in record.items() if isinstance(v, list)]
            annotations = [k for k in shape if is_annotation(k)]
            layout = self._layouts[shape] = (links, sections, annotations)
        return layout

    def __call__(self, record: dict, shown: dict, section: str | None = None) -> dict:
        links, sections, annotations = self._layout(shown)
        if not (links or sections or annotations):
            return shown
        out = dict(shown)
        for key in annotations:  # dropped, and in plain JSON re-added after the fields
            del out[key]
        if links:
            entity = (
                entity_path(self.set_name, record)
                if section is None
                else f"{section}(Ref_Key=guid'{record.get('Ref_Key')}',LineNumber={record.get('LineNumber')})"
            )
            for link_key, suffix in links:
                out[link_key] = entity + suffix
        for key in sections:
            rows, prefix = shown[key], f"{self.set_name}_{key}"
            if isinstance(rows, list):
                out[key] = [self(row, row, prefix) if isinstance(row, dict) else row for row in rows]
        return out


# ------------------------------------------------------------------------------------ JSON
def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def json_feed(metadata_url: str | None, rows: list[dict], count: int | None) -> bytes:
    payload: dict[str, Any] = {}
    if metadata_url is not None:  # odata=nometadata drops it
        payload["odata.metadata"] = metadata_url
    if count is not None:
        payload["odata.count"] = str(count)  # Edm.Int64, so a string, as on a real 1C
    payload["value"] = rows
    return json_bytes(payload)


def json_entry(metadata_url: str | None, row: dict) -> bytes:
    return json_bytes({"odata.metadata": metadata_url, **row} if metadata_url is not None else row)


def error(code: str, message: str, fmt: str) -> tuple[str, bytes]:
    """(content type, body) of an odata.error; XML when the client asked for Atom."""
    if fmt == "atom":
        body = (
            f'{_XML_DECL}<m:error xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/'
            f'metadata"><m:code>{escape(code)}</m:code><m:message xml:lang="ru">{escape(message)}'
            "</m:message></m:error>"
        )
        return XML_TYPE, body.encode()
    return JSON_TYPE, json_bytes({"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}})


# ------------------------------------------------------------------------------------ Atom
def edm_type(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Edm.Boolean"
    if isinstance(value, int | float):
        return "Edm.Double"
    if isinstance(value, str):
        if name == "LineNumber":
            return "Edm.Int64"
        if _GUID.match(value) and name.endswith("_Key"):
            return "Edm.Guid"
        if _DATE.match(value):
            return "Edm.DateTime"
    return "Edm.String"


def _properties(type_prefix: str, record: dict) -> str:
    parts = []
    for name, value in record.items():
        if is_annotation(name):
            continue
        if isinstance(value, list):
            rows = "".join(
                f"<d:element>{_properties(f'{type_prefix}_{name}', r)}</d:element>"
                for r in value
                if isinstance(r, dict)
            )
            parts.append(
                f'<d:{name} m:type="Collection(StandardODATA.{type_prefix}_{name}_RowType)">{rows}</d:{name}>'
            )
        elif value is None:
            parts.append(f'<d:{name} m:null="true"/>')
        else:
            text = ("true" if value else "false") if isinstance(value, bool) else escape(str(value))
            kind = edm_type(name, value)
            attr = "" if kind == "Edm.String" else f' m:type="{kind}"'
            parts.append(f"<d:{name}{attr}>{text}</d:{name}>")
    return "".join(parts)


def _entry(base: str, set_name: str, record: dict, shown: dict, updated: str) -> str:
    entity = entity_path(set_name, record)
    return (
        f"<entry><id>{escape(base + entity)}</id>"
        f'<category term="StandardODATA.{set_name}" scheme="{_SCHEME}"/>'
        f'<link rel="edit" title={quoteattr(set_name)} href={quoteattr(entity)}/>'
        f'<title type="text"/><updated>{updated}</updated><author/>'
        f'<content type="application/xml"><m:properties>{_properties(set_name, shown)}'
        "</m:properties></content></entry>"
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_feed(base: str, set_name: str, pairs: list[tuple[dict, dict]], count: int | None) -> bytes:
    """`pairs` are (record, projected record): the entry id needs the key even when not selected."""
    updated = _now()
    head = (
        f"{_XML_DECL}<feed {_NS} xml:base={quoteattr(base)}><id>{escape(base + set_name)}</id>"
        f'<title type="text">{set_name}</title><updated>{updated}</updated>'
        f'<link rel="self" title={quoteattr(set_name)} href={quoteattr(set_name)}/>'
    )
    counted = f"<m:count>{count}</m:count>" if count is not None else ""
    entries = "".join(_entry(base, set_name, rec, shown, updated) for rec, shown in pairs)
    return f"{head}{counted}{entries}</feed>".encode()


def atom_entry(base: str, set_name: str, record: dict, shown: dict) -> bytes:
    entry = _entry(base, set_name, record, shown, _now())
    return f"{_XML_DECL}{entry.replace('<entry>', f'<entry {_NS} xml:base={quoteattr(base)}>', 1)}".encode()


def service_document(base: str, set_names: list[str], fmt: str) -> tuple[str, bytes]:
    if fmt != "atom":
        value = [{"name": n, "url": n} for n in set_names]
        return JSON_TYPE, json_bytes({"odata.metadata": f"{base}$metadata", "value": value})
    collections = "".join(
        f"<collection href={quoteattr(n)}><atom:title>{escape(n)}</atom:title></collection>"
        for n in set_names
    )
    return XML_TYPE, (
        f'{_XML_DECL}<service xmlns="http://www.w3.org/2007/app" '
        f'xmlns:atom="http://www.w3.org/2005/Atom" xml:base={quoteattr(base)}><workspace>'
        f"<atom:title>Default</atom:title>{collections}</workspace></service>"
    ).encode()
