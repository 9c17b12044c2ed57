"""WooCommerce REST API v3: the company's web shop as order JSON (export.py), the simulator (server.py)
and the order queries it answers (woo_query.py)."""

from __future__ import annotations

import secrets

from sandbox.systems.base import SandboxSystem
from sandbox.systems.website import export
from sandbox.systems.website.server import WooCommerceSimulator


def _credentials() -> dict[str, str]:
    return {"website_key": "ck_" + secrets.token_hex(8), "website_secret": "cs_" + secrets.token_hex(12)}


def _simulator(store: dict, credentials: dict[str, str]) -> WooCommerceSimulator:
    return WooCommerceSimulator(
        store, consumer_key=credentials["website_key"], consumer_secret=credentials["website_secret"]
    )


def _env(url: str, credentials: dict[str, str], company) -> dict[str, str]:
    return {
        "SALESPIPE_WEBSITE_URL": url,
        "SALESPIPE_WEBSITE_KEY": credentials["website_key"],
        "SALESPIPE_WEBSITE_SECRET": credentials["website_secret"],
    }


SYSTEM = SandboxSystem(store=export.store, credentials=_credentials, simulator=_simulator, env=_env)
