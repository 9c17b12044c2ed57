"""The pieces of a 1C $filter (OData v3): tokens, literals, the coercion a comparison applies, and the
compiled comparisons themselves: closures over a record dict, so a page costs one call per record
instead of an AST walk. sandbox/systems/onec/odata_filter.py parses a filter into them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sandbox.systems.onec.odata_errors import parse_error

# ---------------------------------------------------------------------------------------------- tokens
# Numbers and names must end at a delimiter: that is what makes a v4 bare literal such as
# 2024-01-01T00:00:00 or b7569bcd-f670-… fail to tokenize (code 14), as it fails on a real 1C.
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<punct>[(),])
      | (?P<typed>(?:datetime|guid|datetimeoffset|time|binary|X)'[^']*')
      | (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)(?=[\s(),]|$)
      | (?P<name>[^\W\d]\w*(?:/[^\W\d]\w*)*)(?=[\s(),]|$)""",
    re.VERBOSE,
)
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_MIRROR = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
RESERVED = {"and", "or", "not", *COMPARE}


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise parse_error(f"неожиданный символ в позиции {pos + 1}: '{text[pos : pos + 20]}'")
        if match.lastgroup != "space":
            tokens.append((match.lastgroup, match.group()))
        pos = match.end()
    return tokens


# ------------------------------------------------------------------------------------ coercion
def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value if isinstance(value, datetime) else None


def _as_guid(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) else None  # 1C GUIDs compare case-insensitively


def _as_number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):  # Edm.Int64 arrives as a JSON string
        try:
            return float(value) if "." in value or "e" in value.lower() else int(value)
        except ValueError:
            return None
    return None


def _identity(value: Any) -> Any:
    return value


def _coercion(*kinds: str) -> Callable[[Any], Any]:
    if "datetime" in kinds:
        return _as_datetime
    if "guid" in kinds:
        return _as_guid
    return _as_number if "number" in kinds else _identity


# ------------------------------------------------------------------------------------- terms
@dataclass
class Term:
    kind: str  # field | datetime | guid | string | number | bool | null | pred | value
    get: Callable[[dict], Any]
    value: Any = None  # literal value, or the field name for kind == "field"


def literal(kind: str, value: Any) -> Term:
    return Term(kind, lambda record: value, value)


def typed_literal(token: str) -> Term:
    prefix, body = token.split("'", 1)
    body = body[:-1]
    if prefix == "datetime" and _DATETIME.match(body):
        try:
            return literal("datetime", datetime.fromisoformat(body))
        except ValueError:  # well-formed but impossible, e.g. month 13
            pass
    if prefix == "guid" and _GUID.match(body):
        return literal("guid", body.lower())
    raise parse_error(f"неверный литерал {token}")


def number_literal(token: str) -> Term:
    text = token.rstrip("mMdDfFlL")
    number = float(text) if any(c in text for c in ".eE") else int(text)
    return literal("number", number)


def _null_aware(fn: Callable, a: Any, b: Any) -> bool:
    if a is None or b is None:
        both = a is None and b is None
        return both if fn is operator.eq else (not both if fn is operator.ne else False)
    try:
        return fn(a, b)
    except TypeError:  # e.g. a string field compared with a number: no match, not a crash
        return False


def _field_vs_literal(fn: Callable, name: str, coerce: Callable, const: Any) -> Callable[[dict], bool]:
    if const is None:
        return lambda r: _null_aware(fn, r.get(name), None)
    # 1C dates look like 2024-03-05T14:22:10; in exactly that shape text order is time order, so
    # compare the text and parse only values of another shape (a window filter runs on every record).
    as_text = const.isoformat() if coerce is _as_datetime and not const.microsecond else None

    def test(record: dict) -> bool:
        value = record.get(name)
        if as_text is not None and type(value) is str and len(value) == 19 and value[10] == "T":
            return fn(value, as_text)
        value = coerce(value)
        if value is None:
            return fn is operator.ne
        try:
            return fn(value, const)
        except TypeError:
            return False

    if fn is operator.eq:
        test.eq_spec = (name, coerce, const)  # lets `a eq x or a eq y or …` become a set lookup
    return test


def compare(op: str, left: Term, right: Term) -> Term:
    if left.kind != "field" and right.kind == "field":
        left, right, op = right, left, _MIRROR[op]
    fn, coerce = COMPARE[op], _coercion(left.kind, right.kind)
    if left.kind == "field" and right.kind not in ("field", "pred", "value"):
        return Term("pred", _field_vs_literal(fn, left.value, coerce, coerce(right.value)))
    lget, rget = left.get, right.get
    return Term("pred", lambda r: _null_aware(fn, coerce(lget(r)), coerce(rget(r))))


def any_of(preds: list[Callable]) -> Callable[[dict], bool]:
    specs = [getattr(p, "eq_spec", None) for p in preds]
    if all(specs) and len({(s[0], s[1]) for s in specs}) == 1:
        name, coerce = specs[0][0], specs[0][1]
        try:
            values = frozenset(s[2] for s in specs)
            return lambda r: coerce(r.get(name)) in values
        except TypeError:  # unhashable literal: fall back to the plain loop
            pass
    return lambda r: any(p(r) for p in preds)
