"""Which sources this deployment reads, built from settings (credentials never leave this module)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flows.settings import Settings


def configured_sources(settings: Settings) -> Iterator[tuple[str, Any, dict]]:
    """Yield (source id, connector, landing options) for each source that has a URL configured."""
    if settings.onec is not None:
        from connectors.onec import OneCSource

        onec = settings.onec
        source = OneCSource(
            onec.url,
            onec.user,
            onec.password.get(),
            page_size=onec.page_size,
            overlap_days=onec.overlap_days,
            start_date=onec.start_date,
            timeout=settings.http_timeout,
            max_retries=settings.http_max_retries,
        )
        yield "onec", source, {"version_field": "DataVersion", "reconcile": onec.reconcile}
