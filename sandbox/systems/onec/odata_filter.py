"""The $filter language of 1C's standard.odata (OData v3): tokenizer, parser, evaluator.

A filter is compiled into closures over a record dict, so a page costs one call per record instead of
an AST walk. The whole text is parsed before any field name is checked (the caller checks
`parser.fields`), so a syntax error reports code 14 even when the text also names an unknown field.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

PARSE_ERROR = "14"  # 1C: the $filter (or another option) does not parse
UNKNOWN_NAME = "6"  # 1C: unknown entity set, segment or field; the name is echoed
NOT_FOUND = "9"  # 1C: "Экземпляр сущности не найден"


class QueryError(Exception):
    """A request 1C refuses; `code` goes into odata.error.code, `status` is the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def parse_error(message: str) -> QueryError:
    return QueryError(PARSE_ERROR, f"Ошибка разбора выражения: {message}")


def unknown_name(name: str) -> QueryError:
    return QueryError(UNKNOWN_NAME, f"Неизвестное имя: '{name}'")


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
_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_MIRROR = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
_RESERVED = {"and", "or", "not", *_COMPARE}


def _tokenize(text: str) -> list[tuple[str, str]]:
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
class _Term:
    kind: str  # field | datetime | guid | string | number | bool | null | pred | value
    get: Callable[[dict], Any]
    value: Any = None  # literal value, or the field name for kind == "field"


def _literal(kind: str, value: Any) -> _Term:
    return _Term(kind, lambda record: value, value)


def _typed_literal(token: str) -> _Term:
    prefix, body = token.split("'", 1)
    body = body[:-1]
    if prefix == "datetime" and _DATETIME.match(body):
        try:
            return _literal("datetime", datetime.fromisoformat(body))
        except ValueError:  # well-formed but impossible, e.g. month 13
            pass
    if prefix == "guid" and _GUID.match(body):
        return _literal("guid", body.lower())
    raise parse_error(f"неверный литерал {token}")


def _number_literal(token: str) -> _Term:
    text = token.rstrip("mMdDfFlL")
    number = float(text) if any(c in text for c in ".eE") else int(text)
    return _literal("number", number)


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


def _compare(op: str, left: _Term, right: _Term) -> _Term:
    if left.kind != "field" and right.kind == "field":
        left, right, op = right, left, _MIRROR[op]
    fn, coerce = _COMPARE[op], _coercion(left.kind, right.kind)
    if left.kind == "field" and right.kind not in ("field", "pred", "value"):
        return _Term("pred", _field_vs_literal(fn, left.value, coerce, coerce(right.value)))
    lget, rget = left.get, right.get
    return _Term("pred", lambda r: _null_aware(fn, coerce(lget(r)), coerce(rget(r))))


def _any_of(preds: list[Callable]) -> Callable[[dict], bool]:
    specs = [getattr(p, "eq_spec", None) for p in preds]
    if all(specs) and len({(s[0], s[1]) for s in specs}) == 1:
        name, coerce = specs[0][0], specs[0][1]
        try:
            values = frozenset(s[2] for s in specs)
            return lambda r: coerce(r.get(name)) in values
        except TypeError:  # unhashable literal: fall back to the plain loop
            pass
    return lambda r: any(p(r) for p in preds)


_FUNCTIONS: dict[str, tuple[int, Callable]] = {
    "substringof": (2, lambda needle, hay: needle in hay),
    "startswith": (2, lambda text, prefix: text.startswith(prefix)),
    "endswith": (2, lambda text, suffix: text.endswith(suffix)),
    "tolower": (1, lambda text: text.lower()),
    "toupper": (1, lambda text: text.upper()),
}


# ------------------------------------------------------------------------------------ parser
class FilterParser:
    """Recursive descent: or < and < not < comparison < primary, as in the OData v3 grammar."""

    def __init__(self, text: str):
        self.tokens, self.pos, self.fields = _tokenize(text), 0, []

    def parse(self) -> Callable[[dict], bool]:
        if not self.tokens:
            raise parse_error("пустое выражение")
        term = self._or()
        if self.pos < len(self.tokens):
            raise parse_error(f"лишний текст после выражения: '{self.tokens[self.pos][1]}'")
        return self._predicate(term)

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise parse_error("неожиданный конец выражения")
        self.pos += 1
        return token

    def _at_word(self, *words: str) -> bool:
        token = self._peek()
        return token is not None and token[0] == "name" and token[1] in words

    def _expect(self, text: str) -> None:
        if self._take()[1] != text:
            raise parse_error(f"ожидалось '{text}'")

    def _predicate(self, term: _Term) -> Callable[[dict], bool]:
        if term.kind == "pred":
            return term.get
        if term.kind == "field":  # a bare Boolean field such as `Posted`
            name = term.value
            return lambda r: r.get(name) is True
        if term.kind == "bool":
            return term.get
        raise parse_error("ожидалось логическое выражение")

    def _or(self) -> _Term:
        terms = [self._and()]
        while self._at_word("or"):
            self._take()
            terms.append(self._and())
        if len(terms) == 1:
            return terms[0]
        return _Term("pred", _any_of([self._predicate(t) for t in terms]))

    def _and(self) -> _Term:
        terms = [self._not()]
        while self._at_word("and"):
            self._take()
            terms.append(self._not())
        if len(terms) == 1:
            return terms[0]
        preds = [self._predicate(t) for t in terms]
        if len(preds) == 2:  # the common window filter; skips a generator per record
            first, second = preds
            return _Term("pred", lambda r: first(r) and second(r))
        return _Term("pred", lambda r: all(p(r) for p in preds))

    def _not(self) -> _Term:
        if not self._at_word("not"):
            return self._comparison()
        self._take()
        inner = self._predicate(self._not())
        return _Term("pred", lambda r: not inner(r))

    def _comparison(self) -> _Term:
        left = self._primary()
        if not self._at_word(*_COMPARE):
            return left
        op = self._take()[1]
        return _compare(op, left, self._primary())

    def _primary(self) -> _Term:
        kind, text = self._take()
        if text == "(":
            term = self._or()
            self._expect(")")
            return term
        if kind == "typed":
            return _typed_literal(text)
        if kind == "string":
            return _literal("string", text[1:-1].replace("''", "'"))
        if kind == "number":
            return _number_literal(text)
        if kind != "name" or text in _RESERVED:
            raise parse_error(f"неожиданная лексема '{text}'")
        return self._name(text)

    def _name(self, text: str) -> _Term:
        if text in ("true", "false"):
            return _literal("bool", text == "true")
        if text == "null":
            return _literal("null", None)
        if self._peek() == ("punct", "("):
            return self._call(text)
        self.fields.append(text)
        return _Term("field", lambda r: r.get(text), text)

    def _call(self, name: str) -> _Term:
        if name not in _FUNCTIONS:
            raise parse_error(f"неизвестная функция {name}")
        arity, fn = _FUNCTIONS[name]
        self._expect("(")
        args = [self._or()]
        while self._peek() == ("punct", ","):
            self._take()
            args.append(self._or())
        self._expect(")")
        if len(args) != arity:
            raise parse_error(f"функция {name} ожидает {arity} аргумент(а)")
        getters = [a.get for a in args]

        def call(record: dict) -> Any:
            values = [g(record) for g in getters]
            return fn(*values) if all(isinstance(v, str) for v in values) else None

        return _Term("pred" if arity == 2 else "value", call)
