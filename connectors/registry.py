"""The one list of sources salespipe can read. A new source is its folder `connectors/<id>/` (whose
`declaration.py` says everything the other stages need) and one line below; nothing else lists sources.

The flow, the CLI, quality, the demo and the sandbox landscape all read `sources()`. `registered()` adds
a source for the length of a `with` block: tests use it to run a source of their own through the real flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

from connectors.declaration import SourceDeclaration

DECLARATIONS = (
    "connectors.onec.declaration",
    "connectors.amocrm.declaration",
    "connectors.website.declaration",
    "connectors.metrica.declaration",
)

SOURCES: tuple[SourceDeclaration, ...] = tuple(import_module(path).SOURCE for path in DECLARATIONS)
_extra: list[SourceDeclaration] = []


def sources() -> tuple[SourceDeclaration, ...]:
    """Every registered source, in registry order."""
    return SOURCES + tuple(_extra)


def source_ids() -> tuple[str, ...]:
    return tuple(declaration.id for declaration in sources())


def get(source_id: str) -> SourceDeclaration:
    for declaration in sources():
        if declaration.id == source_id:
            return declaration
    raise KeyError(f"no source {source_id!r}; registered: {', '.join(source_ids())}")


@contextmanager
def registered(declaration: SourceDeclaration) -> Iterator[SourceDeclaration]:
    if declaration.id in source_ids():
        raise ValueError(f"a source {declaration.id!r} is already registered")
    _extra.append(declaration)
    try:
        yield declaration
    finally:
        _extra.remove(declaration)
