"""amoCRM API v4, declared once for every stage (docs/sources/amocrm.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, NonNegativeInt
from pydantic_settings import SettingsConfigDict

from connectors.amocrm.streams import STREAMS
from connectors.declaration import SourceDeclaration
from connectors.settings import ConnectContext, SourceSettings


class AmoCrmSettings(SourceSettings):
    """amoCRM API v4 (leave the URL empty to skip amoCRM)"""

    model_config = SettingsConfigDict(env_prefix="SALESPIPE_AMOCRM_")
    secret_names = {
        "CLIENT_SECRET": "OAuth integration: its client secret.",
        "REFRESH_TOKEN": "OAuth integration: the first refresh token. Refresh tokens are single-use: after"
        " the first run the rotated token lives in $SALESPIPE_HOME/secrets/amocrm_tokens.json (mode 0600) and"
        " this value is no longer read.",
        "TOKEN": "Or a long-lived token of a private integration (no refresh); takes precedence when set.",
    }

    url: str = Field(description="https://<subdomain>.amocrm.ru")
    client_id: str = Field("", description="OAuth integration: its client id.")
    redirect_uri: str = Field("", description="OAuth integration: its redirect URI.")
    overlap_seconds: NonNegativeInt = Field(
        3600, description="Leads/contacts/tasks/calls are re-read from (last updated_at − this many seconds)."
    )
    start_date: dt.date = Field(dt.date(2000, 1, 1), description="Earliest updated_at read on the first run.")


def connect(settings: AmoCrmSettings, context: ConnectContext):
    from connectors.amocrm.client import AmoCrmSource
    from connectors.oauth_tokens import FileTokenStore

    long_lived = settings.secret("TOKEN")
    tokens = FileTokenStore(
        context.home / "secrets" / "amocrm_tokens.json",
        initial_refresh_token=settings.secret("REFRESH_TOKEN") or None,
    )
    start = dt.datetime.combine(settings.start_date, dt.time(), tzinfo=dt.UTC)
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
