"""What a source declares once, in `connectors/<source>/declaration.py`, for every stage to read.

The flow builds the connector and lands its streams with these options, quality runs its suite over
`raw_<id>`, the CLI lists its settings, and the sandbox starts its simulator: all from this one object,
found through `connectors.registry`. References to other stages (the quality suite, the sandbox system)
are dotted import paths, resolved only when used, so declaring a source imports no quality or sandbox code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from connectors.settings import ConnectContext, SourceSettings
from connectors.source import Source
from contract.records import StreamSpec


@dataclass(frozen=True)
class LandingOptions:
    # The record field landing stores as its version; a version scan reports the same field.
    version_field: str | None = None
    # The settings field (a bool) that switches the version scan on; None: the source has no scan.
    reconcile_setting: str | None = None


@dataclass(frozen=True)
class SourceDeclaration:
    id: str  # also the raw schema's suffix (raw_<id>) and the dbt staging folder
    label: str  # how people call the system: "1C OData", "amoCRM"
    streams: tuple[StreamSpec, ...]
    settings: type[SourceSettings]
    connect: Callable[[Any, ConnectContext], Source]  # (its settings section, context) → a connector
    landing: LandingOptions = LandingOptions()
    quality: str | None = None  # "module:function" → suites(now, landed_streams) for raw_<id>
    sandbox: str | None = None  # the sandbox system package: "sandbox.systems.<id>"

    @property
    def raw_schema(self) -> str:
        return f"raw_{self.id}"

    def landing_options(self, section: SourceSettings) -> dict[str, Any]:
        """Keyword options for extract: the version field and whether the version scan runs tonight."""
        reconcile = bool(self.landing.reconcile_setting) and bool(
            getattr(section, self.landing.reconcile_setting)
        )
        return {"version_field": self.landing.version_field, "reconcile": reconcile}

    def quality_suites(self) -> Callable | None:
        return resolve(self.quality) if self.quality else None


def resolve(reference: str) -> Any:
    """ "package.module:name" → the object."""
    module, _, name = reference.partition(":")
    return getattr(import_module(module), name)
