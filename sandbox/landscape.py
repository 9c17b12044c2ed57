"""The sandbox company's systems on loopback: one simulator per source, with fresh credentials.

    landscape = SandboxLandscape.generate(scale=0.05, seed=7).start()   # or SandboxLandscape(company, …)
    SandboxLandscape.generate(scale=0.05, seed=7, configuration="unf")  # 1C as УНФ (default УТ 11)
    os.environ.update(landscape.env())   # the SALESPIPE_* settings that point salespipe at the systems
    landscape.apply_night()              # a night of edits; every system then serves the company as it is
    landscape.truth()                    # what the marts must show (sandbox.truth.truth_for)
    landscape.stop()

The demo and the integration tests both start the company this way and point salespipe at it through
the same `SALESPIPE_*` settings a real deployment uses, so nothing in the pipeline knows it is a sandbox.
The sources come from connectors/registry.py: a source whose `.sandbox` names a package has a system
there, and that package's `SYSTEM` (sandbox/systems/base.py) does everything per source; nothing here is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib import import_module

from connectors.registry import sources as registered_sources
from sandbox.systems.base import SandboxSystem
from sandbox.systems.loopback import ServedSimulator


def sandbox_systems() -> dict[str, tuple[str, SandboxSystem]]:
    """Source id → (its label, its sandbox system), in registry order, for every source that has one."""
    return {
        source.id: (source.label, import_module(source.sandbox).SYSTEM)
        for source in registered_sources()
        if source.sandbox
    }


class SandboxLandscape:
    def __init__(
        self, company, sources: Iterable[str] | None = None, *, credentials: dict[str, str] | None = None
    ):
        """`sources`: the systems to start (default: all); `credentials` fixes some of the fresh secrets
        (e.g. {"onec_password": …}, so a test can grep every log for it)."""
        known = sandbox_systems()
        wanted = set(known if sources is None else sources)
        unknown = wanted - set(known)
        if unknown:
            raise ValueError(f"unknown sandbox sources {sorted(unknown)}; known: {tuple(known)}")
        self.company = company
        self.sources = tuple(source for source in known if source in wanted)
        self.labels = {source: known[source][0] for source in self.sources}
        self._systems = {source: known[source][1] for source in self.sources}
        # Fresh per landscape: nothing to leak, nothing in code.
        self.credentials: dict[str, str] = {}
        for system in self._systems.values():
            self.credentials |= system.credentials()
        self.credentials |= credentials or {}
        self.simulators: dict[str, ServedSimulator] = {}
        self.urls: dict[str, str] = {}

    @classmethod
    def generate(
        cls, *, scale: float, seed: int, sources: Iterable[str] | None = None, configuration: str = "ut11"
    ) -> SandboxLandscape:
        """A landscape over a newly generated company (sandbox/world/company.py) whose 1C base runs
        `configuration` (sandbox.world.reference.CONFIGURATIONS: "ut11", "bp30", "unf")."""
        from sandbox.world.company import generate_company

        return cls(generate_company(scale=scale, seed=seed, configuration=configuration), sources)

    @property
    def as_of_date(self) -> date:
        return self.company.as_of_date

    @property
    def onec_configuration(self) -> str:
        """The configuration the company's 1C runs: its simulator serves that one's sets and fields."""
        return self.company.configuration

    # ---- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> SandboxLandscape:
        for source, system in self._systems.items():
            simulator = system.simulator(system.store(self.company), self.credentials)
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

    def apply_night(self):
        """One night of edits in the company (`company.apply_nightly_changes()`), then every system serves
        the company as it is now. Returns the night's report."""
        report = self.company.apply_nightly_changes()
        self.refresh_stores()
        return report

    def refresh_stores(self) -> None:
        """After the company changed: every system now serves the company as it is (the whole store is
        swapped at once: a reader sees the old night or the new one)."""
        for source, simulator in self.simulators.items():
            store = self._systems[source].store(self.company)
            with simulator.store_lock:
                simulator.store.clear()
                simulator.store.update(store)

    # ---- what salespipe is told, and what it must find -----------------------------------------------
    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for source, url in self.urls.items():
            env |= self._systems[source].env(url, self.credentials, self.company)
        return env

    def secrets(self) -> list[str]:
        return list(self.credentials.values())

    def truth(self) -> dict:
        """The numbers the marts built over this landscape's sources must show."""
        from sandbox.truth import truth_for

        return truth_for(self.company, self.sources)
