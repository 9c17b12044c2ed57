"""amoCRM API v4, declared once for every stage (docs/sources/amocrm.md)."""

from __future__ import annotations

import datetime as dt

from pydantic_settings import SettingsConfigDict

from connectors.amocrm.streams import STREAMS
from connectors.declaration import SourceDeclaration
from connectors.settings import ConnectContext, SourceSettings


class AmoCrmSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="SALESPIPE_AMOCRM_")
    # CLIENT_SECRET + REFRESH_TOKEN for an OAuth integration (the refresh token seeds the first run only:
    # then the rotated one lives in home/secrets), or TOKEN, a private integration's long-lived token.
    secret_names = ("CLIENT_SECRET", "REFRESH_TOKEN", "TOKEN")

    url: str
    client_id: str = ""
    redirect_uri: str = ""
    overlap_seconds: int = 3600
    start_date: str = "2000-01-01"


def connect(settings: AmoCrmSettings, context: ConnectContext):
    from connectors.amocrm.client import AmoCrmSource
    from connectors.oauth_tokens import FileTokenStore

    long_lived = settings.secret("TOKEN")
    tokens = FileTokenStore(
        context.home / "secrets" / "amocrm_tokens.json",
        initial_refresh_token=settings.secret("REFRESH_TOKEN") or None,
    )
    start = dt.datetime.combine(dt.date.fromisoformat(settings.start_date), dt.time(), tzinfo=dt.UTC)
    return AmoCrmSource(
        settings.url,
        token_store=None if long_lived else tokens,
        client_id=settings.client_id or None,
        client_secret=settings.secret("CLIENT_SECRET") or None,
        redirect_uri=settings.redirect_uri or None,
        long_lived_token=long_lived or None,
        overlap_seconds=settings.overlap_seconds,
        start_at=int(start.timestamp()),
        timeout=context.http_timeout,
        max_retries=context.http_max_retries,
    )


SOURCE = SourceDeclaration(
    id="amocrm",
    label="amoCRM",
    streams=STREAMS,
    settings=AmoCrmSettings,
    connect=connect,
    quality="quality.suites.amocrm:crm_checks",
    sandbox="sandbox.systems.amocrm",
)
