"""A source's settings section: read from `SALESPIPE_<SOURCE>_*` variables, validated, without secrets.

Each source declares one `SourceSettings` subclass (its env prefix, fields with defaults, the setting
that switches it on, and the names of its secrets). The section holds no secret values: a secret is
resolved by name (`section.secret("PASSWORD")`) from the environment or a Prefect Secret block only
when the connector is built, so a section can be logged, put in a Prefect parameter or handed to a task
as plain data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SettingsError(ValueError):
    """A setting with a value that cannot be used: the message names the variable and what is expected."""


class SourceSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", env_ignore_empty=True)

    # The variable (without prefix) whose value switches the source on: a URL for most sources.
    switch: ClassVar[str] = "URL"
    # Secret variables (without prefix) → what they are: each may instead name a Prefect Secret block in
    # <NAME>_BLOCK.
    secret_names: ClassVar[dict[str, str]] = {}

    # What a source's `url` may be; a source that reads files declares ("file",).
    url_schemes: ClassVar[tuple[str, ...]] = ("http", "https")

    @field_validator("url", check_fields=False)
    @classmethod
    def _an_address(cls, value: str) -> str:
        """Every source's URL: caught here rather than as a connection error after Prefect has started."""
        parts = urlsplit(value.strip())
        where = parts.path if parts.scheme == "file" else parts.hostname
        if parts.scheme not in cls.url_schemes or not where:
            if cls.url_schemes == ("http", "https"):
                raise ValueError("expected an http(s) address such as https://host/path/")
            raise ValueError(f"expected a {' or '.join(cls.url_schemes)} address")
        return value.strip()

    @classmethod
    def prefix(cls) -> str:
        return cls.model_config["env_prefix"]

    @classmethod
    def from_env(cls) -> SourceSettings | None:
        """The section, or None when the switch variable is empty (the source is not configured)."""
        if not os.environ.get(cls.prefix() + cls.switch):
            return None
        try:
            return cls()
        except ValidationError as err:
            raise SettingsError(describe(err, cls.prefix())) from None

    @classmethod
    def env_names(cls) -> list[str]:
        """Every variable this section reads, secrets and their _BLOCK names included."""
        names = [cls.prefix() + name.upper() for name in cls.model_fields]
        for secret in cls.secret_names:
            names += [cls.prefix() + secret, cls.prefix() + secret + "_BLOCK"]
        return names

    def secret(self, name: str) -> str:
        if name not in self.secret_names:
            raise KeyError(f"{type(self).__name__} declares no secret {name!r}")
        return resolve_secret(self.prefix() + name)


def resolve_secret(variable: str) -> str:
    """A secret from the environment, or from the Prefect Secret block named by `<variable>_BLOCK`."""
    value = os.environ.get(variable)
    block = os.environ.get(f"{variable}_BLOCK")
    if not value and block:
        from prefect.blocks.system import Secret as SecretBlock

        value = SecretBlock.load(block).get()
    return value or ""


def describe(err: ValidationError, prefix: str) -> str:
    """One line per bad value: the variable, what is expected, and what was given."""
    problems = []
    for error in err.errors():
        variable = prefix + "_".join(str(part) for part in error["loc"]).upper()
        given = error.get("input")
        message = error["msg"].removeprefix("Value error, ")  # a validator's own words, as written
        if error["type"].startswith(("date_", "datetime_")):  # pydantic's parser detail helps no operator
            message = "expected a date as YYYY-MM-DD"
        problems.append(f"{variable}: {message[:1].lower() + message[1:]} (got {given!r})")
    return "; ".join(problems)


@dataclass(frozen=True)
class ConnectContext:
    """What every connector may need beyond its own section: plain data, no secrets."""

    home: Path
    timezone: str
    http_timeout: float
    http_max_retries: int
