"""What the sandbox landscape needs of one system: each `sandbox/systems/<id>/__init__.py` exposes one
`SandboxSystem` as `SYSTEM`, and connectors/registry.py names that package in the source's `.sandbox`.
The landscape (sandbox/landscape.py) has no per-source code: it calls these four for every source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.systems.loopback import ServedSimulator
    from sandbox.world.company import Company


@dataclass(frozen=True)
class SandboxSystem:
    # The company as this system's API records: the simulator's store, a fresh structure on every call.
    store: Callable[[Company], dict]
    # Fresh random secrets for one landscape (keys start with the source id: "onec_password").
    credentials: Callable[[], dict[str, str]]
    # (store, credentials) → the simulator over that store, not started yet.
    simulator: Callable[[dict, dict[str, str]], ServedSimulator]
    # (base URL, credentials, company) → the SALESPIPE_* settings that point salespipe at it.
    env: Callable[[str, dict[str, str], Company], dict[str, str]]
