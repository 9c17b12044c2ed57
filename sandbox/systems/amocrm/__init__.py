"""amoCRM API v4: the company's CRM as API records (export.py, reference.py), the simulator (server.py)
with its OAuth and rate limits (auth.py) and the list queries it answers (api.py)."""

from __future__ import annotations

import secrets

from sandbox.systems.amocrm import export
from sandbox.systems.amocrm.server import AmoCrmSimulator
from sandbox.systems.base import SandboxSystem


def _credentials() -> dict[str, str]:
    return {
        "amocrm_client_id": "sandbox-" + secrets.token_hex(4),
        "amocrm_client_secret": secrets.token_urlsafe(16),
        "amocrm_refresh_token": secrets.token_urlsafe(24),
    }


def _simulator(store: dict, credentials: dict[str, str]) -> AmoCrmSimulator:
    return AmoCrmSimulator(
        store,
        client_id=credentials["amocrm_client_id"],
        client_secret=credentials["amocrm_client_secret"],
        refresh_token=credentials["amocrm_refresh_token"],
    )


def _env(url: str, credentials: dict[str, str], company) -> dict[str, str]:
    return {
        "SALESPIPE_AMOCRM_URL": url,
        "SALESPIPE_AMOCRM_CLIENT_ID": credentials["amocrm_client_id"],
        "SALESPIPE_AMOCRM_CLIENT_SECRET": credentials["amocrm_client_secret"],
        "SALESPIPE_AMOCRM_REFRESH_TOKEN": credentials["amocrm_refresh_token"],
    }


SYSTEM = SandboxSystem(store=export.store, credentials=_credentials, simulator=_simulator, env=_env)
