"""Yandex.Metrica Reporting API, declared once for every stage (docs/sources/metrica.md)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from connectors.declaration import SourceDeclaration
from connectors.metrica.streams import DEFAULT_URL, STREAMS
from connectors.settings import ConnectContext, SourceSettings


class MetricaSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="SALESPIPE_METRICA_")
    switch = "COUNTER"  # the URL has a default: the counter says which site to read
    secret_names = ("TOKEN",)

    counter: str
    url: str = DEFAULT_URL
    start_date: str = "2023-01-01"
    revisit_days: int = 3


def connect(settings: MetricaSettings, context: ConnectContext):
    from connectors.metrica.client import MetricaSource

    return MetricaSource(
        settings.url,
        settings.secret("TOKEN"),
        settings.counter,
        start_date=settings.start_date,
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
