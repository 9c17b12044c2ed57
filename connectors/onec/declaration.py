"""1C:Enterprise standard OData, declared once for every stage (docs/sources/onec.md)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, NonNegativeInt, PositiveInt
from pydantic_settings import SettingsConfigDict

from connectors.declaration import LandingOptions, SourceDeclaration
from connectors.onec.streams import STREAMS
from connectors.settings import ConnectContext, SourceSettings


class OneCSettings(SourceSettings):
    """1C:Enterprise standard OData (leave the URL empty to skip 1C)"""

    model_config = SettingsConfigDict(env_prefix="SALESPIPE_ONEC_")
    secret_names = {"PASSWORD": "The user's password."}

    url: str = Field(description="Base of the publication, ending in /odata/standard.odata/")
    user: str = Field(
        "", description="Infobase user with OData rights (Cyrillic logins work: sent as UTF-8)."
    )
    configuration: Literal["auto", "ut11", "bp30", "unf"] = Field(
        "auto",
        description="The base's configuration: auto (found from the base on the first run, and again when it"
        " changes), ut11 (Управление торговлей 11, КА 2, ERP), bp30 (Бухгалтерия 3.0) or unf (УНФ).",
    )
    page_size: PositiveInt = Field(1000, description="Records per request ($top).")
    overlap_days: NonNegativeInt = Field(
        31,
        description="Documents are re-read from (last document date − this many days): 1C documents get"
        " back-dated and re-posted.",
    )
    start_date: dt.date = Field(
        dt.date(2000, 1, 1), description="Earliest document date read on the first run."
    )
    reconcile: bool = Field(
        True,
        description="After the window read, scan (Ref_Key, DataVersion) of all documents to catch edits and"
        " deletions older than the overlap. true/false.",
    )


def connect(settings: OneCSettings, context: ConnectContext):
    from connectors.onec.client import OneCSource

    return OneCSource(
        settings.url,
        settings.user,
        settings.secret("PASSWORD"),
        page_size=settings.page_size,
        overlap_days=settings.overlap_days,
        start_date=settings.start_date.isoformat(),
        configuration=settings.configuration,
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
