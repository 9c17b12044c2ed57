"""The registered sources as the flow uses them: raw tables for every one, connectors for the configured."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from connectors.registry import get, sources
from connectors.source import check_source
from flows.settings import Settings


def known_streams() -> dict[str, tuple]:
    """Every stream of every registered source, configured or not (cheap: declarations only)."""
    return {declaration.id: declaration.streams for declaration in sources()}


def ensure_raw_tables(con) -> None:
    """Create the (empty) raw table of every known stream, so dbt builds whichever sources are configured:
    a company without a CRM gets empty CRM staging, not a "table does not exist" error."""
    from warehouse.schema import raw_table_ddl

    for declaration in sources():
        for spec in declaration.streams:
            con.execute(raw_table_ddl(declaration.raw_schema, spec.name))


def connect(settings: Settings, source_id: str) -> tuple[Any, dict]:
    """The configured source's connector (secrets resolved here, not before) and its landing options."""
    declaration, section = get(source_id), settings.section(source_id)
    if section is None:
        raise ValueError(f"source {source_id!r} is not configured")
    source = declaration.connect(section, settings.connect_context())
    check_source(source)
    return source, declaration.landing_options(section)


def configured_sources(settings: Settings) -> Iterator[tuple[str, Any, dict]]:
    """Yield (source id, connector, landing options) for each configured source, in registry order."""
    for declaration in sources():
        if settings.section(declaration.id) is not None:
            source, options = connect(settings, declaration.id)
            yield declaration.id, source, options
