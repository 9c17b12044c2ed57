"""A real pipeline against the real 1C simulator on loopback, for the integration tests.

Nothing here is mocked: the simulator serves HTTP, the connector talks to it, the Prefect flow runs
(on Prefect's temporary local server), dbt builds into a real DuckDB file and publish writes Parquet.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from sandbox.systems.onec.server import OneCSimulator

REPO = Path(__file__).resolve().parent.parent
USER = "odata"
PASSWORD = "pw-Секрет-7781"  # distinctive, so a test can grep every log for it


class SandboxPipeline:
    """The pipeline pointed at sandbox systems on loopback.

    `SandboxPipeline(home, store)` serves one 1C store (tests that tamper with 1C records);
    `SandboxPipeline.for_company(home, company, sources)` serves the company's systems through
    `SandboxLandscape`, exactly as the demo does.
    """

    def __init__(
        self,
        home: Path,
        store: dict | None = None,
        *,
        password: str = PASSWORD,
        http_timeout: float = 10.0,
        landscape=None,
    ):
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        if landscape is None:
            landscape = _OneStoreLandscape(store, password)
        self.landscape = landscape.start()
        self.simulator = self.landscape.simulators.get("onec")
        self.url = self.landscape.urls.get("onec")
        self.env = {
            "SALESPIPE_HOME": str(home),
            "SALESPIPE_ONEC_PAGE_SIZE": "200",
            "SALESPIPE_HTTP_TIMEOUT": str(http_timeout),
            "SALESPIPE_HTTP_MAX_RETRIES": "6",
            **self.landscape.env(),
        }

    @classmethod
    def for_company(cls, home: Path, company, sources=None, **kwargs) -> SandboxPipeline:
        from sandbox.landscape import SandboxLandscape

        landscape = SandboxLandscape(company, sources, credentials={"onec_password": PASSWORD})
        return cls(home, landscape=landscape, **kwargs)

    # ---- running ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def environment(self, **overrides: str):
        saved = {name: os.environ.get(name) for name in {**self.env, **overrides}}
        os.environ.update({**self.env, **overrides})
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def run(self, as_of: str, **overrides: str) -> tuple[bool, dict]:
        """One nightly run in this process (the way `salespipe run` does it)."""
        from flows.run import run_flow

        with self.environment(**overrides):
            return run_flow(as_of)

    def run_cli(self, args: list[str], *, prefect_home: Path, **overrides: str) -> subprocess.Popen:
        """`salespipe …` in a separate process (for crash and CLI tests); the caller waits or kills."""
        env = {**os.environ, **self.env, **overrides, "PREFECT_HOME": str(prefect_home)}
        return subprocess.Popen(
            [sys.executable, "-m", "flows.cli", *args],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group: a crash test kills Prefect's server child too
        )

    def refresh_from_company(self) -> None:
        """After `company.apply_nightly_changes()`: every simulator serves the changed company."""
        self.landscape.refresh_stores()

    def replace_store(self, store: dict) -> None:
        with self.simulator.store_lock:
            self.simulator.store.clear()
            self.simulator.store.update(store)

    # ---- reading results ---------------------------------------------------------------------------
    @property
    def serving_file(self) -> Path:
        return self.home / "serving" / "serving.duckdb"

    def query_warehouse(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.home / "warehouse.duckdb"), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def marts_snapshot(self) -> dict[str, list[tuple]]:
        return read_marts(self.serving_file)

    def close(self) -> None:
        self.landscape.stop()


class _OneStoreLandscape:
    """Just a 1C simulator over a given store (which tests may have edited by hand)."""

    def __init__(self, store: dict, password: str):
        self.simulators = {"onec": OneCSimulator(store, username=USER, password=password)}
        self.urls: dict[str, str] = {}
        self.password = password

    def start(self):
        self.urls["onec"] = self.simulators["onec"].start()
        return self

    def stop(self) -> None:
        self.simulators["onec"].stop()

    def env(self) -> dict[str, str]:
        return {
            "SALESPIPE_ONEC_URL": self.urls["onec"],
            "SALESPIPE_ONEC_USER": USER,
            "SALESPIPE_ONEC_PASSWORD": self.password,
        }


def read_marts(serving_file: Path) -> dict[str, list[tuple]]:
    """Every published mart as sorted rows: equal snapshots mean identical marts."""
    with duckdb.connect(str(serving_file), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()]  # fmt: skip
        return {name: sorted(con.execute(f"select * from marts.{name}").fetchall(), key=repr)
                for name in sorted(names)}  # fmt: skip


def snapshot_differences(before: dict, after: dict, limit: int = 3) -> list[str]:
    """What differs between two marts_snapshot()s, mart by mart: the rows only one side has (a few of
    each), so a failure shows the change rather than two pages of equal rows."""
    problems = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, []), after.get(name, [])
        if old == new:
            continue
        gone, came = set(old) - set(new), set(new) - set(old)
        if not gone and not came:
            problems.append(f"{name}: the same rows, different counts ({len(old)} before, {len(new)} after)")
            continue
        problems.append(
            f"{name}: {len(gone)} rows only before {sorted(gone, key=repr)[:limit]}, "
            f"{len(came)} only after {sorted(came, key=repr)[:limit]}"
        )
    return problems
