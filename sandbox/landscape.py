"""The sandbox company's systems on loopback: one simulator per source, with fresh credentials.

The demo and the integration tests both start the company this way and point salespipe at it through
the same `SALESPIPE_*` settings a real deployment uses, so nothing in the pipeline knows it is a sandbox.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

ALL_SOURCES = ("onec", "amocrm", "website", "metrica")
ONEC_USER = "odata"


class SandboxLandscape:
    def __init__(self, company, sources: Iterable[str] = ALL_SOURCES, *, onec_password: str | None = None):
        unknown = set(sources) - set(ALL_SOURCES)
        if unknown:
            raise ValueError(f"unknown sandbox sources {sorted(unknown)}; known: {ALL_SOURCES}")
        self.company = company
        self.sources = tuple(s for s in ALL_SOURCES if s in set(sources))
        # Fresh per landscape: nothing to leak, nothing in code. Tests may fix the 1C one to grep logs.
        self.credentials = {
            "onec_password": onec_password or secrets.token_urlsafe(12),
            "amocrm_client_id": "sandbox-" + secrets.token_hex(4),
            "amocrm_client_secret": secrets.token_urlsafe(16),
            "amocrm_refresh_token": secrets.token_urlsafe(24),
            "website_key": "ck_" + secrets.token_hex(8),
            "website_secret": "cs_" + secrets.token_hex(12),
            "metrica_token": "y0_" + secrets.token_urlsafe(16),
        }
        self.simulators: dict[str, object] = {}
        self.urls: dict[str, str] = {}

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> SandboxLandscape:
        for source in self.sources:
            simulator = getattr(self, f"_make_{source}")()
            self.simulators[source] = simulator
            self.urls[source] = simulator.start()
        return self

    def stop(self) -> None:
        for simulator in self.simulators.values():
            simulator.stop()

    def __enter__(self) -> SandboxLandscape:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def refresh_stores(self) -> None:
        """After `company.apply_nightly_changes()`: every system now serves the company as it is."""
        for source, simulator in self.simulators.items():
            store = self._store(source)
            with simulator.store_lock:
                simulator.store.clear()
                simulator.store.update(store)

    # ---- what salespipe is told --------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        c, env = self.credentials, {}
        if "onec" in self.urls:
            env |= {
                "SALESPIPE_ONEC_URL": self.urls["onec"],
                "SALESPIPE_ONEC_USER": ONEC_USER,
                "SALESPIPE_ONEC_PASSWORD": c["onec_password"],
            }
        if "amocrm" in self.urls:
            env |= {
                "SALESPIPE_AMOCRM_URL": self.urls["amocrm"],
                "SALESPIPE_AMOCRM_CLIENT_ID": c["amocrm_client_id"],
                "SALESPIPE_AMOCRM_CLIENT_SECRET": c["amocrm_client_secret"],
                "SALESPIPE_AMOCRM_REFRESH_TOKEN": c["amocrm_refresh_token"],
            }
        if "website" in self.urls:
            env |= {
                "SALESPIPE_WEBSITE_URL": self.urls["website"],
                "SALESPIPE_WEBSITE_KEY": c["website_key"],
                "SALESPIPE_WEBSITE_SECRET": c["website_secret"],
            }
        if "metrica" in self.urls:
            counter = self.company.metrica_store()["counter"]["id"]
            env |= {
                "SALESPIPE_METRICA_URL": self.urls["metrica"],
                "SALESPIPE_METRICA_TOKEN": c["metrica_token"],
                "SALESPIPE_METRICA_COUNTER": str(counter),
            }
        return env

    def secrets(self) -> list[str]:
        return list(self.credentials.values())

    # ---- simulators --------------------------------------------------------------------------------
    def _store(self, source: str) -> dict:
        return getattr(self.company, f"{source}_store")()

    def _make_onec(self):
        from sandbox.onec_server import OneCSimulator

        return OneCSimulator(
            self._store("onec"), username=ONEC_USER, password=self.credentials["onec_password"]
        )

    def _make_amocrm(self):
        from sandbox.amocrm_server import AmoCrmSimulator

        c = self.credentials
        return AmoCrmSimulator(
            self._store("amocrm"),
            client_id=c["amocrm_client_id"],
            client_secret=c["amocrm_client_secret"],
            refresh_token=c["amocrm_refresh_token"],
        )

    def _make_website(self):
        from sandbox.woocommerce_server import WooCommerceSimulator

        c = self.credentials
        return WooCommerceSimulator(
            self._store("website"), consumer_key=c["website_key"], consumer_secret=c["website_secret"]
        )

    def _make_metrica(self):
        from sandbox.metrica_server import MetricaSimulator

        return MetricaSimulator(self._store("metrica"), token=self.credentials["metrica_token"])
