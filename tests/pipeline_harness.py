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

from sandbox.onec_server import OneCSimulator

REPO = Path(__file__).resolve().parent.parent
USER = "odata"
PASSWORD = "pw-Секрет-7781"  # distinctive, so a test can grep every log for it


class SandboxPipeline:
    def __init__(self, home: Path, store: dict, *, password: str = PASSWORD, http_timeout: float = 10.0):
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.simulator = OneCSimulator(store, username=USER, password=password)
        self.url = self.simulator.start()
        self.env = {
            "SALESPIPE_HOME": str(home),
            "SALESPIPE_ONEC_URL": self.url,
            "SALESPIPE_ONEC_USER": USER,
            "SALESPIPE_ONEC_PASSWORD": password,
            "SALESPIPE_ONEC_PAGE_SIZE": "200",
            "SALESPIPE_HTTP_TIMEOUT": str(http_timeout),
            "SALESPIPE_HTTP_MAX_RETRIES": "6",
        }

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
        from flows.cli import run_flow

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
        """Every published mart as sorted rows: equal snapshots mean identical marts."""
        with duckdb.connect(str(self.serving_file), read_only=True) as con:
            names = [r[0] for r in con.execute(
                "select view_name from duckdb_views() where schema_name = 'marts' and not internal"
            ).fetchall()]  # fmt: skip
            return {name: sorted(con.execute(f"select * from marts.{name}").fetchall(), key=repr)
                    for name in sorted(names)}  # fmt: skip

    def close(self) -> None:
        self.simulator.stop()
