"""The website (WooCommerce REST v3), declared once for every stage (docs/sources/website.md)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from connectors.declaration import LandingOptions, SourceDeclaration
from connectors.settings import ConnectContext, SourceSettings
from connectors.website.streams import CURSOR_FIELD, STREAMS


class WebsiteSettings(SourceSettings):
    """Website: WooCommerce REST v3 (leave the URL empty to skip the site)"""

    model_config = SettingsConfigDict(env_prefix="SALESPIPE_WEBSITE_")
    secret_names = {"SECRET": "REST API consumer secret."}

    url: str = Field(
        description="The site root, e.g. https://shop.example.ru (the API is under /wp-json/wc/v3/)"
    )
    key: str = Field(
        "", description="REST API consumer key (WooCommerce → Settings → Advanced → REST API; read access)."
    )
    start_date: dt.date = Field(
        dt.date(2000, 1, 1), description="Earliest date_modified (GMT) read on the first run."
    )
    reconcile: bool = Field(
        True,
        description="After the window read, scan (id, date_modified_gmt) of every order the shop lists"
        " (≈ orders/100 requests) to catch orders trashed or deleted for good — WooCommerce's listings hide"
        " them, so the window never sees them go — and orders edited outside the window. true/false.",
    )


def connect(settings: WebsiteSettings, context: ConnectContext):
    from connectors.website.client import WebsiteSource

    return WebsiteSource(
        settings.url,
        settings.key,
        settings.secret("SECRET"),
        start_date=settings.start_date.isoformat(),
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
