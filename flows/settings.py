"""Settings come from the environment (and a `.env` file beside the working directory), never from code.

Every setting is documented in `.env.example`. Secrets are wrapped in `Secret`, whose repr and str
never show the value, so a settings object can be logged or put in a Prefect parameter safely.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import load_dotenv

REPO_ROOT = Path(__file__).resolve().parent.parent


class Secret:
    """A string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def get(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class OneCSettings:
    url: str
    user: str
    password: Secret = field(repr=False)
    page_size: int = 1000
    overlap_days: int = 31
    start_date: str = "2000-01-01"
    reconcile: bool = True


@dataclass(frozen=True)
class AmoCrmSettings:
    url: str
    client_id: str
    client_secret: Secret = field(repr=False)
    refresh_token: Secret = field(repr=False)  # first run only; then the rotated one in home/secrets
    long_lived_token: Secret = field(repr=False)  # instead of OAuth, for a private integration
    redirect_uri: str = ""
    overlap_seconds: int = 3600
    start_date: str = "2000-01-01"


@dataclass(frozen=True)
class WebsiteSettings:
    url: str
    key: str
    secret: Secret = field(repr=False)
    start_date: str = "2000-01-01"
    reconcile: bool = True


@dataclass(frozen=True)
class MetricaSettings:
    url: str
    counter: str
    token: Secret = field(repr=False)
    start_date: str = "2023-01-01"
    revisit_days: int = 3


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse: Path
    serving_dir: Path
    timezone: str = "Europe/Moscow"
    as_of_date: dt.date | None = None
    lost_after_days: int = 180
    keep_snapshots: int = 7
    http_timeout: float = 60.0
    http_max_retries: int = 6
    onec: OneCSettings | None = None
    amocrm: AmoCrmSettings | None = None
    website: WebsiteSettings | None = None
    metrica: MetricaSettings | None = None

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _flag(name: str, default: bool) -> bool:
    return (_env(name, "true" if default else "false") or "").lower() in ("1", "true", "yes")


def _secret(name: str) -> Secret:
    """A secret from the environment, or from a Prefect Secret block named by `<name>_BLOCK`."""
    value = _env(name)
    block = _env(f"{name}_BLOCK")
    if value is None and block:
        from prefect.blocks.system import Secret as SecretBlock

        value = SecretBlock.load(block).get()
    return Secret(value or "")


def _onec_from_env() -> OneCSettings | None:
    url = _env("SALESPIPE_ONEC_URL")
    if not url:
        return None
    return OneCSettings(
        url=url,
        user=_env("SALESPIPE_ONEC_USER", "") or "",
        password=_secret("SALESPIPE_ONEC_PASSWORD"),
        page_size=int(_env("SALESPIPE_ONEC_PAGE_SIZE", "1000")),
        overlap_days=int(_env("SALESPIPE_ONEC_OVERLAP_DAYS", "31")),
        start_date=_env("SALESPIPE_ONEC_START_DATE", "2000-01-01"),
        reconcile=_flag("SALESPIPE_ONEC_RECONCILE", True),
    )


def _amocrm_from_env() -> AmoCrmSettings | None:
    url = _env("SALESPIPE_AMOCRM_URL")
    if not url:
        return None
    return AmoCrmSettings(
        url=url,
        client_id=_env("SALESPIPE_AMOCRM_CLIENT_ID", "") or "",
        client_secret=_secret("SALESPIPE_AMOCRM_CLIENT_SECRET"),
        refresh_token=_secret("SALESPIPE_AMOCRM_REFRESH_TOKEN"),
        long_lived_token=_secret("SALESPIPE_AMOCRM_TOKEN"),
        redirect_uri=_env("SALESPIPE_AMOCRM_REDIRECT_URI", "") or "",
        overlap_seconds=int(_env("SALESPIPE_AMOCRM_OVERLAP_SECONDS", "3600")),
        start_date=_env("SALESPIPE_AMOCRM_START_DATE", "2000-01-01"),
    )


def _website_from_env() -> WebsiteSettings | None:
    url = _env("SALESPIPE_WEBSITE_URL")
    if not url:
        return None
    return WebsiteSettings(
        url=url,
        key=_env("SALESPIPE_WEBSITE_KEY", "") or "",
        secret=_secret("SALESPIPE_WEBSITE_SECRET"),
        start_date=_env("SALESPIPE_WEBSITE_START_DATE", "2000-01-01"),
        reconcile=_flag("SALESPIPE_WEBSITE_RECONCILE", True),
    )


def _metrica_from_env() -> MetricaSettings | None:
    counter = _env("SALESPIPE_METRICA_COUNTER")
    if not counter:
        return None
    return MetricaSettings(
        url=_env("SALESPIPE_METRICA_URL", "https://api-metrika.yandex.net"),
        counter=counter,
        token=_secret("SALESPIPE_METRICA_TOKEN"),
        start_date=_env("SALESPIPE_METRICA_START_DATE", "2023-01-01"),
        revisit_days=int(_env("SALESPIPE_METRICA_REVISIT_DAYS", "3")),
    )


def load_settings(env_file: str | os.PathLike | None = ".env") -> Settings:
    if env_file and Path(env_file).exists():
        load_dotenv(env_file, override=False)
    home = Path(_env("SALESPIPE_HOME", "data")).resolve()
    as_of = _env("SALESPIPE_AS_OF_DATE")
    return Settings(
        home=home,
        warehouse=Path(_env("SALESPIPE_WAREHOUSE", str(home / "warehouse.duckdb"))).resolve(),
        serving_dir=Path(_env("SALESPIPE_SERVING_DIR", str(home / "serving"))).resolve(),
        timezone=_env("SALESPIPE_TIMEZONE", "Europe/Moscow"),
        as_of_date=dt.date.fromisoformat(as_of) if as_of else None,
        lost_after_days=int(_env("SALESPIPE_LOST_AFTER_DAYS", "180")),
        keep_snapshots=int(_env("SALESPIPE_KEEP_SNAPSHOTS", "7")),
        http_timeout=float(_env("SALESPIPE_HTTP_TIMEOUT", "60")),
        http_max_retries=int(_env("SALESPIPE_HTTP_MAX_RETRIES", "6")),
        onec=_onec_from_env(),
        amocrm=_amocrm_from_env(),
        website=_website_from_env(),
        metrica=_metrica_from_env(),
    )
