"""The $filter language of 1C's standard.odata (OData v3): the parser over the pieces of odata_terms.py.

A filter is compiled into closures over a record dict. The whole text is parsed before any field name is
checked (the caller checks `parser.fields`), so a syntax error reports code 14 even when the text also
names an unknown field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.systems.onec.odata_errors import parse_error
from sandbox.systems.onec.odata_terms import (
    COMPARE,
    RESERVED,
    Term,
    any_of,
    compare,
    literal,
    number_literal,
    tokenize,
    typed_literal,
)

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
        self.tokens, self.pos, self.fields = tokenize(text), 0, []

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

    def _predicate(self, term: Term) -> Callable[[dict], bool]:
        if term.kind == "pred":
            return term.get
        if term.kind == "field":  # a bare Boolean field such as `Posted`
            name = term.value
            return lambda r: r.get(name) is True
        if term.kind == "bool":
            return term.get
        raise parse_error("ожидалось логическое выражение")

    def _or(self) -> Term:
        terms = [self._and()]
        while self._at_word("or"):
            self._take()
            terms.append(self._and())
        if len(terms) == 1:
            return terms[0]
        return Term("pred", any_of([self._predicate(t) for t in terms]))

    def _and(self) -> Term:
        terms = [self._not()]
        while self._at_word("and"):
            self._take()
            terms.append(self._not())
        if len(terms) == 1:
            return terms[0]
        preds = [self._predicate(t) for t in terms]
        if len(preds) == 2:  # the common window filter; skips a generator per record
            first, second = preds
            return Term("pred", lambda r: first(r) and second(r))
        return Term("pred", lambda r: all(p(r) for p in preds))

    def _not(self) -> Term:
        if not self._at_word("not"):
            return self._comparison()
        self._take()
        inner = self._predicate(self._not())
        return Term("pred", lambda r: not inner(r))

    def _comparison(self) -> Term:
        left = self._primary()
        if not self._at_word(*COMPARE):
            return left
        op = self._take()[1]
        return compare(op, left, self._primary())

    def _primary(self) -> Term:
        kind, text = self._take()
        if text == "(":
            term = self._or()
            self._expect(")")
            return term
        if kind == "typed":
            return typed_literal(text)
        if kind == "string":
            return literal("string", text[1:-1].replace("''", "'"))
        if kind == "number":
            return number_literal(text)
        if kind != "name" or text in RESERVED:
            raise parse_error(f"неожиданная лексема '{text}'")
        return self._name(text)

    def _name(self, text: str) -> Term:
        if text in ("true", "false"):
            return literal("bool", text == "true")
        if text == "null":
            return literal("null", None)
        if self._peek() == ("punct", "("):
            return self._call(text)
        self.fields.append(text)
        return Term("field", lambda r: r.get(text), text)

    def _call(self, name: str) -> Term:
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

        return Term("pred" if arity == 2 else "value", call)
