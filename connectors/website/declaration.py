"""The website (WooCommerce REST v3), declared once for every stage (docs/sources/website.md)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from connectors.declaration import LandingOptions, SourceDeclaration
from connectors.settings import ConnectContext, SourceSettings
from connectors.website.streams import CURSOR_FIELD, STREAMS


class WebsiteSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="SALESPIPE_WEBSITE_")
    secret_names = ("SECRET",)

    url: str
    key: str = ""
    start_date: str = "2000-01-01"
    reconcile: bool = True


def connect(settings: WebsiteSettings, context: ConnectContext):
    from connectors.website.client import WebsiteSource

    return WebsiteSource(
        settings.url,
        settings.key,
        settings.secret("SECRET"),
        start_date=settings.start_date,
        timeout=context.http_timeout,
        max_retries=context.http_max_retries,
    )


SOURCE = SourceDeclaration(
    id="website",
    label="WooCommerce",
    streams=STREAMS,
    settings=WebsiteSettings,
    connect=connect,
    # The version is the scan's date_modified_gmt, kept also while the scan is off (no re-read of every
    # order the night it is switched back on).
    landing=LandingOptions(version_field=CURSOR_FIELD, reconcile_setting="reconcile"),
    quality="quality.suites.website:website_checks",
    sandbox="sandbox.systems.website",
)
