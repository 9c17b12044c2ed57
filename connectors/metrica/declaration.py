"""Yandex.Metrica Reporting API, declared once for every stage (docs/sources/metrica.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, NonNegativeInt, field_validator
from pydantic_settings import SettingsConfigDict

from connectors.declaration import SourceDeclaration
from connectors.metrica.streams import DEFAULT_URL, STREAMS
from connectors.settings import ConnectContext, SourceSettings


class MetricaSettings(SourceSettings):
    """Yandex.Metrica Reporting API (leave the counter empty to skip Metrica)"""

    model_config = SettingsConfigDict(env_prefix="SALESPIPE_METRICA_")
    switch = "COUNTER"  # the URL has a default: the counter says which site to read
    secret_names = {"TOKEN": "OAuth token with metrika:read."}

    url: str = Field(DEFAULT_URL, description="The Reporting API's address.")
    counter: str = Field(description="The counter (tag) id of the site.")

    @field_validator("counter")
    @classmethod
    def _a_number(cls, value: str) -> str:
        if not value.strip().isdigit():
            raise ValueError("expected the counter's number, as in metrika.yandex.ru/dashboard?id=12345678")
        return value.strip()

    start_date: dt.date = Field(dt.date(2023, 1, 1), description="Earliest day read on the first run.")
    revisit_days: NonNegativeInt = Field(
        3, description="Metrica revises the last days' figures: they are re-read every night."
    )


def connect(settings: MetricaSettings, context: ConnectContext):
    from connectors.metrica.client import MetricaSource

    return MetricaSource(
        settings.url,
        settings.secret("TOKEN"),
        settings.counter,
        start_date=settings.start_date.isoformat(),
        revisit_days=settings.revisit_days,
        timezone=context.timezone,
        timeout=context.http_timeout,
        max_retries=context.http_max_retries,
    )


SOURCE = SourceDeclaration(
    id="metrica",
    label="Metrica",
    streams=STREAMS,
    settings=MetricaSettings,
    connect=connect,
    quality="quality.suites.metrica:metrica_checks",
    sandbox="sandbox.systems.metrica",
)
