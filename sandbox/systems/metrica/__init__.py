"""Yandex.Metrica Reporting API: the counter's visits as report rows (export.py), the simulator
(server.py) and the reports it answers (report.py)."""

from __future__ import annotations

import secrets

from sandbox.systems.base import SandboxSystem
from sandbox.systems.metrica import export
from sandbox.systems.metrica.server import MetricaSimulator


def _credentials() -> dict[str, str]:
    return {"metrica_token": "y0_" + secrets.token_urlsafe(16)}


def _simulator(store: dict, credentials: dict[str, str]) -> MetricaSimulator:
    return MetricaSimulator(store, token=credentials["metrica_token"])


def _env(url: str, credentials: dict[str, str], company) -> dict[str, str]:
    return {
        "SALESPIPE_METRICA_URL": url,
        "SALESPIPE_METRICA_TOKEN": credentials["metrica_token"],
        "SALESPIPE_METRICA_COUNTER": str(export.COUNTER_ID),
    }


SYSTEM = SandboxSystem(store=export.store, credentials=_credentials, simulator=_simulator, env=_env)
