"""Settings come from the environment (and a `.env` file), never from code; loaded once per run.

Every setting is documented in `.env.example`. The run-wide ones are below; each source's section is
declared with the source (`connectors/<source>/declaration.py`) and found through the registry. A
`Settings` object holds no secret values (secrets are resolved by name when a connector is built), so it
is plain data that the flow hands to its tasks and that can be logged.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated, Any

from dotenv import load_dotenv
from pydantic import Field, SerializeAsAny, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.registry import sources
from connectors.settings import ConnectContext, SettingsError, SourceSettings, describe

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SALESPIPE_", frozen=True, extra="ignore", env_ignore_empty=True
    )

    home: Path = Path("data")
    warehouse: Path | None = None  # default: home/warehouse.duckdb
    serving_dir: Path | None = None  # default: home/serving
    timezone: str = "Europe/Moscow"
    as_of_date: dt.date | None = None
    lost_after_days: Annotated[int, Field(gt=0)] = 180
    keep_snapshots: Annotated[int, Field(ge=1)] = 7
    http_timeout: Annotated[float, Field(gt=0)] = 60.0
    http_max_retries: Annotated[int, Field(ge=0)] = 6
    extract_retries: Annotated[int, Field(ge=0)] = 0  # Prefect retries of a failed source's task
    # The configured sources' sections by source id (set by load_settings, never read from one variable).
    sources: dict[str, SerializeAsAny[SourceSettings]] = Field(default_factory=dict, exclude=False)

    @model_validator(mode="after")
    def _resolve_paths(self) -> Settings:
        home = self.home.resolve()
        object.__setattr__(self, "home", home)
        object.__setattr__(self, "warehouse", (self.warehouse or home / "warehouse.duckdb").resolve())
        object.__setattr__(self, "serving_dir", (self.serving_dir or home / "serving").resolve())
        return self

    def section(self, source_id: str) -> SourceSettings | None:
        """The source's settings, or None when it is not configured."""
        return self.sources.get(source_id)

    def connect_context(self) -> ConnectContext:
        return ConnectContext(self.home, self.timezone, self.http_timeout, self.http_max_retries)

    def with_(self, **changes: Any) -> Settings:
        return self.model_copy(update=changes)


def load_settings(env_file: str | os.PathLike | None = ".env") -> Settings:
    """Read every setting once; a bad value raises SettingsError naming the variable."""
    if env_file and Path(env_file).exists():
        load_dotenv(env_file, override=False)
    configured = {}
    for declaration in sources():
        section = declaration.settings.from_env()
        if section is not None:
            configured[declaration.id] = section
    try:
        return Settings(sources=configured)
    except ValidationError as err:
        raise SettingsError(describe(err, "SALESPIPE_")) from None


def run_wide_env_names() -> list[str]:
    """The run-wide variables (each source's own are listed by its settings section)."""
    return [f"SALESPIPE_{name.upper()}" for name in Settings.model_fields if name != "sources"]
