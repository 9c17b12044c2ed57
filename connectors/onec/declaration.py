"""1C:Enterprise standard OData, declared once for every stage (docs/sources/onec.md)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from connectors.declaration import LandingOptions, SourceDeclaration
from connectors.onec.streams import STREAMS
from connectors.settings import ConnectContext, SourceSettings


class OneCSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="SALESPIPE_ONEC_")
    secret_names = ("PASSWORD",)

    url: str
    user: str = ""
    page_size: int = 1000
    overlap_days: int = 31
    start_date: str = "2000-01-01"
    reconcile: bool = True


def connect(settings: OneCSettings, context: ConnectContext):
    from connectors.onec.client import OneCSource

    return OneCSource(
        settings.url,
        settings.user,
        settings.secret("PASSWORD"),
        page_size=settings.page_size,
        overlap_days=settings.overlap_days,
        start_date=settings.start_date,
        timeout=context.http_timeout,
        max_retries=context.http_max_retries,
    )


SOURCE = SourceDeclaration(
    id="onec",
    label="1C OData",
    streams=STREAMS,
    settings=OneCSettings,
    connect=connect,
    landing=LandingOptions(version_field="DataVersion", reconcile_setting="reconcile"),
    quality="quality.suites.onec:onec_checks",
    sandbox="sandbox.systems.onec",
)
