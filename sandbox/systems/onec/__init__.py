"""1C:Enterprise's standard OData: the company's 1C as OData records (export.py), the simulator
(server.py) and the query language it answers (odata_query.py, odata_filter.py, odata_terms.py,
odata_format.py, odata_errors.py)."""

from __future__ import annotations

import secrets

from sandbox.systems.base import SandboxSystem
from sandbox.systems.onec import export
from sandbox.systems.onec.server import OneCSimulator

USER = "odata"


def _credentials() -> dict[str, str]:
    return {"onec_password": secrets.token_urlsafe(12)}


def _simulator(store: dict, credentials: dict[str, str]) -> OneCSimulator:
    return OneCSimulator(store, username=USER, password=credentials["onec_password"])


def _env(url: str, credentials: dict[str, str], company) -> dict[str, str]:
    return {
        "SALESPIPE_ONEC_URL": url,
        "SALESPIPE_ONEC_USER": USER,
        "SALESPIPE_ONEC_PASSWORD": credentials["onec_password"],
    }


SYSTEM = SandboxSystem(store=export.store, credentials=_credentials, simulator=_simulator, env=_env)
