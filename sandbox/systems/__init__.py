"""The company's systems as salespipe meets them: one package per source (`SYSTEM` in each, see
base.py), the loopback server and request handling they share (loopback.py) and switchable faults.

    store_of(company, "onec")   # that system's records as its API shows them; a fresh structure per call
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from connectors.registry import get

if TYPE_CHECKING:
    from sandbox.world.company import Company


def store_of(company: Company, source_id: str) -> dict:
    """The company as the system of `source_id` (a registry id, connectors/registry.py) records it: that
    source's `SYSTEM.store(company)`, the same store its simulator serves, a fresh structure on every call."""
    declaration = get(source_id)
    if not declaration.sandbox:
        raise ValueError(f"source {source_id!r} has no sandbox system")
    return import_module(declaration.sandbox).SYSTEM.store(company)
