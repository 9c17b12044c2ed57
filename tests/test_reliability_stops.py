"""Reliability: runs killed at random moments, interrupted, or started twice on one home — then a clean
run publishes exactly what an uninterrupted run publishes (docs/RELIABILITY.md).

Real processes: `salespipe run` against the sandbox's 1C on loopback, one real Prefect server, real
DuckDB files, SIGKILL and SIGINT from outside.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from sandbox.landscape import SandboxLandscape
from tests.pipeline_harness import read_marts, snapshot_differences
from tests.reliability_harness import PrefectServer, finish, run_to_end, runs_log, start_run

# Both share the Prefect server and the reference runs (one worker runs a whole file: scripts/test.sh).
pytestmark = pytest.mark.integration

KILLS = 20
SCALE = 0.01


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory):
    server = PrefectServer(tmp_path_factory.mktemp("prefect-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def onec():
    with SandboxLandscape.generate(scale=SCALE, seed=11, sources=("onec",)) as landscape:
        yield landscape


def _env(home: Path, onec, server: PrefectServer) -> dict[str, str]:
    return {
        "SALESPIPE_HOME": str(home),
        "SALESPIPE_AS_OF_DATE": onec.as_of_date.isoformat(),
        **onec.env(),
        **server.env(),
    }


def _wait_for(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def _wait_until_publishing(runs: Path, before: set, process, timeout: float) -> None:
    """Until the run starts writing a new snapshot folder (or ends)."""
    _wait_for(
        lambda: bool(set(runs.glob("*.partial")) - before) or process.poll() is not None, timeout, step=0.01
    )


def _lock_holder(home: Path) -> int | None:
    try:
        return json.loads((home / ".salespipe.lock").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="module")
def reference(tmp_path_factory, onec, prefect_server):
    """Uninterrupted runs: the home, the wall time of a night after the first, and its marts.

    The first night of a home also parses the dbt project from scratch (dbt keeps the parse for the next
    nights); the killed home's runs are such later nights but for the first, so the second night's wall
    time is the window the kills are drawn from."""
    home = tmp_path_factory.mktemp("reference") / "home"
    for night in ("first", "second"):
        done = run_to_end(_env(home, onec, prefect_server))
        assert done.code == 0, f"{night} night: {done.stdout[-1500:]}{done.stderr[-1500:]}"
    marts = read_marts(home / "serving" / "serving.duckdb")
    assert marts["customer_portfolio"], "the reference runs published customers"
    return home, done.seconds, marts


def test_kills_at_random_moments_then_a_clean_run_publishes_the_uninterrupted_marts(
    tmp_path, onec, prefect_server, reference
):
    _, seconds, expected = reference
    home = tmp_path / "killed"
    env = _env(home, onec, prefect_server)
    seed = int(os.environ.get("SALESPIPE_RELIABILITY_SEED", time.time()))
    rng = random.Random(seed)
    killed: list[tuple[int, float]] = []
    for number in range(KILLS):
        runs = home / "serving" / "runs"
        partials_before = set(runs.glob("*.partial"))
        process = start_run(env)
        started = time.monotonic()
        if number % 10 == 9:  # publish lasts a fraction of a second: a uniform moment would never hit it
            _wait_until_publishing(runs, partials_before, process, 4 * seconds)
            moment = time.monotonic() - started + rng.uniform(0, 0.2)
        else:
            moment = rng.uniform(0.5, seconds)
        try:
            process.wait(max(0.0, started + moment - time.monotonic()))  # a run that ends first is not killed
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            killed.append((process.pid, moment))
        finish(process)
        serving = home / "serving" / "serving.duckdb"
        if serving.exists():  # readable after every kill: a whole snapshot or the previous one
            assert read_marts(serving)["customer_portfolio"], f"seed {seed}: kill at {moment:.1f}s"

    clean = run_to_end(env)
    assert clean.code == 0, f"seed {seed}: {clean.stdout[-1500:]}{clean.stderr[-1500:]}"
    assert snapshot_differences(expected, read_marts(home / "serving" / "serving.duckdb")) == []
    log = runs_log(home / "warehouse.duckdb")
    by_pid = {pid: (run_id, status, flow_run) for run_id, pid, status, _, _, flow_run in log}
    assert len(killed) >= KILLS // 2, f"seed {seed}: most runs are killed, not finished ({killed})"
    for pid, moment in killed:
        if pid not in by_pid:  # killed before it took the home's lock: it left nothing
            continue
        run_id, status, flow_run = by_pid[pid]
        if status == "ok":  # killed while the process exited, after the run had published and said so
            assert (home / "serving" / "runs" / run_id / "marts.duckdb").exists()
            continue
        assert status == "crashed", f"seed {seed}: run of pid {pid} killed at {moment:.1f}s is {status}"
        assert prefect_server.flow_run_state(flow_run) == "CRASHED"
    assert log[-1][2] == "ok"
    assert sum(1 for row in log if row[2] == "crashed") >= len(killed) // 2


def test_ctrl_c_stops_the_run_within_seconds_and_a_second_run_is_refused(
    tmp_path, onec, prefect_server, reference
):
    home = tmp_path / "home"
    shutil.copytree(reference[0], home, symlinks=True)  # tonight is the third night of this home
    env = _env(home, onec, prefect_server)
    published = reference[2]
    dbt_log = home / "dbt" / "logs" / "dbt.log"
    before = dbt_log.stat().st_mtime

    process = start_run(env)
    assert _wait_for(lambda: _lock_holder(home) == process.pid, 60), "the run took the home's lock"
    second = run_to_end(env, timeout=60)
    assert second.code == 3
    assert second.stderr.strip() == (
        f"salespipe: another run (pid {process.pid}, started at "
        f"{json.loads((home / '.salespipe.lock').read_text())['started_at']}) holds this home: {home}"
    )
    assert _wait_for(lambda: dbt_log.stat().st_mtime > before, 120), "the run reached dbt"
    time.sleep(2)
    interrupted_at = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    done = finish(process, timeout=30)
    assert time.monotonic() - interrupted_at < 10
    assert done.code == 130
    assert "cancelled" in done.stderr
    log = runs_log(home / "warehouse.duckdb")
    rows = {pid: (status, stage, problem, flow_run) for _, pid, status, stage, problem, flow_run in log}
    assert rows[process.pid][:3] == ("cancelled", "dbt", "stopped by SIGINT")

    after = run_to_end(env)
    assert after.code == 0, after.stderr[-2000:]
    assert snapshot_differences(published, read_marts(home / "serving" / "serving.duckdb")) == []
    statuses = [row[2] for row in runs_log(home / "warehouse.duckdb")]
    assert statuses == ["ok", "ok", "cancelled", "ok"]  # the reference's two nights, then these
    assert prefect_server.flow_run_state(rows[process.pid][3]) == "CANCELLED"  # corrected at the next start
