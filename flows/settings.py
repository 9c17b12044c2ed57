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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from pydantic import BeforeValidator, Field, SerializeAsAny, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.registry import sources
from connectors.settings import ConnectContext, SettingsError, SourceSettings, describe

REPO_ROOT = Path(__file__).resolve().parent.parent


def _octal_mode(value: Any) -> int:
    """ "0640" → 0o640: the owner must keep read and write; execute bits and setuid have no place here."""
    if isinstance(value, int):
        mode = value
    else:
        try:
            mode = int(str(value).strip(), 8)
        except ValueError:
            raise ValueError("expected an octal file mode such as 0600 or 0640") from None
    if mode & ~0o666 or mode & 0o600 != 0o600:
        raise ValueError("expected a file mode with owner read+write and no execute bits (0600, 0640)")
    return mode


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SALESPIPE_", frozen=True, extra="ignore", env_ignore_empty=True
    )

    home: Path = Field(
        Path("data"),
        description="Folder for the working warehouse, dbt's target/logs and the serving snapshot.",
    )
    warehouse: Path | None = Field(
        None,
        description="The working DuckDB file (only the nightly flow opens it)."
        " Default: $SALESPIPE_HOME/warehouse.duckdb",
    )
    serving_dir: Path | None = Field(
        None,
        description="Folder with runs/<run_id>/ (marts.duckdb and *.parquet, never rewritten), `current`,"
        " `CURRENT` and serving.duckdb, the file BI opens read-only. Default: $SALESPIPE_HOME/serving",
    )
    keep_snapshots: Annotated[int, Field(ge=1)] = Field(
        7, description="How many published snapshots to keep at least (see also SNAPSHOT_GRACE_HOURS)."
    )
    snapshot_grace_hours: Annotated[float, Field(ge=0)] = Field(
        24.0,
        description="A published snapshot is kept at least this long after it was replaced, so queries and"
        " connections opened on it finish first.",
    )
    serving_file_mode: Annotated[int, BeforeValidator(_octal_mode)] = Field(
        0o600,
        description="Mode of the published files, octal: 0600 = only this user (the default); 0640 lets the"
        " file's group (a BI service account) read them. The warehouse and logs stay 0600 either way.",
    )
    timezone: str = Field(
        "Europe/Moscow",
        description="Company time zone: 1C local times are converted with it and periods (months) are"
        " computed in it.",
    )
    as_of_date: dt.date | None = Field(
        None,
        description="Report date YYYY-MM-DD; empty = today in the company time zone. The demo sets the"
        " sandbox's date.",
    )
    lost_after_days: Annotated[int, Field(gt=0)] = Field(
        180, description="A customer with no sale for this many days is lost (counted in the month it falls)."
    )
    default_payment_term_days: Annotated[int, Field(ge=0)] = Field(
        5,
        description="An invoice without its own due date in 1C is due this many calendar days after its date"
        " (receivables).",
    )
    http_timeout: Annotated[float, Field(gt=0)] = Field(
        60.0, description="Seconds to wait for a response (1C can take >30 s on the first call after idle)."
    )
    http_max_retries: Annotated[int, Field(ge=0)] = Field(
        6, description="Retries on 429/5xx/timeouts/cut bodies, with backoff honouring Retry-After."
    )
    extract_retries: Annotated[int, Field(ge=0)] = Field(
        0,
        description="Each source is its own Prefect task run; a source that still failed after the HTTP"
        " retries is run again whole this many times (30 s apart). Safe: it resumes from the cursors it"
        " landed.",
    )
    # The configured sources' sections by source id (set by load_settings, never read from one variable).
    sources: dict[str, SerializeAsAny[SourceSettings]] = Field(default_factory=dict, exclude=False)

    @field_validator("timezone")
    @classmethod
    def _a_known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone such as Europe/Moscow") from None
        return value

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


def how_to_configure() -> str:
    """What to set when no source is configured."""
    switches = [f"{d.settings.prefix()}{d.settings.switch} ({d.label})" for d in sources()]
    return "no sources configured: set " + " or ".join(switches) + " (see .env.example)"


def run_wide_env_names() -> list[str]:
    """The run-wide variables (each source's own are listed by its settings section)."""
    return [f"SALESPIPE_{name.upper()}" for name in Settings.model_fields if name != "sources"]
