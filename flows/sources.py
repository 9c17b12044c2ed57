"""Which sources this deployment reads, built from settings (credentials never leave this module)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from flows.settings import Settings

# Landing options of sources that cannot list (key, version) pairs: no reconcile scan.
PLAIN = {"version_field": None, "reconcile": False}


def known_streams() -> dict[str, tuple]:
    """Every stream of every source salespipe can read, configured or not (cheap: declarations only)."""
    from connectors.amocrm import client as amocrm
    from connectors.metrica import client as metrica
    from connectors.onec import client as onec
    from connectors.website import client as website

    return {
        "onec": onec.STREAMS,
        "amocrm": amocrm.STREAMS,
        "website": website.STREAMS,
        "metrica": metrica.STREAMS,
    }


def ensure_raw_tables(con) -> None:
    """Create the (empty) raw table of every known stream, so dbt builds whichever sources are configured:
    a company without a CRM gets empty CRM staging, not a "table does not exist" error."""
    from warehouse.schema import raw_table_ddl

    for source_id, streams in known_streams().items():
        for spec in streams:
            con.execute(raw_table_ddl(f"raw_{source_id}", spec.name))


def configured_sources(settings: Settings) -> Iterator[tuple[str, Any, dict]]:
    """Yield (source id, connector, landing options) for each source that has a URL configured."""
    if settings.onec is not None:
        from connectors.onec.client import OneCSource

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
    if settings.amocrm is not None:
        yield "amocrm", _amocrm(settings), PLAIN
    if settings.website is not None:
        from connectors.website.client import CURSOR_FIELD, WebsiteSource

        site = settings.website
        source = WebsiteSource(
            site.url,
            site.key,
            site.secret.get(),
            start_date=site.start_date,
            timeout=settings.http_timeout,
            max_retries=settings.http_max_retries,
        )
        # The version is the scan's date_modified_gmt, also kept when the scan is off (no re-read of
        # every order the night it is switched back on).
        yield "website", source, {"version_field": CURSOR_FIELD, "reconcile": site.reconcile}
    if settings.metrica is not None:
        from connectors.metrica.client import MetricaSource

        metrica = settings.metrica
        source = MetricaSource(
            metrica.url,
            metrica.token.get(),
            metrica.counter,
            start_date=metrica.start_date,
            revisit_days=metrica.revisit_days,
            timezone=settings.timezone,
            timeout=settings.http_timeout,
            max_retries=settings.http_max_retries,
        )
        yield "metrica", source, PLAIN


def _amocrm(settings: Settings):
    from connectors.amocrm.client import AmoCrmSource
    from connectors.oauth_tokens import FileTokenStore

    amo = settings.amocrm
    # The refresh token rotates on every use: the live one is kept under home/secrets, the environment's
    # value only seeds the first run.
    tokens = FileTokenStore(
        settings.home / "secrets" / "amocrm_tokens.json",
        initial_refresh_token=amo.refresh_token.get() or None,
    )
    start = dt.datetime.combine(dt.date.fromisoformat(amo.start_date), dt.time(), tzinfo=dt.UTC)
    return AmoCrmSource(
        amo.url,
        token_store=None if amo.long_lived_token else tokens,
        client_id=amo.client_id or None,
        client_secret=amo.client_secret.get() or None,
        redirect_uri=amo.redirect_uri or None,
        long_lived_token=amo.long_lived_token.get() or None,
        overlap_seconds=amo.overlap_seconds,
        start_at=int(start.timestamp()),
        timeout=settings.http_timeout,
        max_retries=settings.http_max_retries,
    )
