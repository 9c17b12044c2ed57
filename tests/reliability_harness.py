"""Processes for the reliability suite: one Prefect server for many `salespipe run` processes, and runs
that can be killed or interrupted at any moment.

Each `salespipe run` without PREFECT_API_URL starts Prefect's temporary server (10–40 s here); twenty
killed runs would spend most of their time starting servers. The suite starts one real server and points
every run at it, as a deployment with `prefect server start` would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import requests

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrefectServer:
    """`prefect server start` on loopback with its own PREFECT_HOME (SQLite inside it)."""

    def __init__(self, home: Path):
        self.home = home
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.process: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        return {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }

    def start(self, timeout: float = 120.0) -> PrefectServer:
        env = {**os.environ, **self.env()}
        env.pop("PREFECT_API_URL")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
             str(self.port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.api_url}/health", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"prefect server exited with {self.process.returncode}")
            time.sleep(0.5)
        raise RuntimeError(f"prefect server did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def flow_run_state(self, flow_run_id: str) -> str:
        response = requests.get(f"{self.api_url}/flow_runs/{flow_run_id}", timeout=10)
        response.raise_for_status()
        return response.json()["state"]["type"]


@dataclass
class Finished:
    code: int
    stdout: str
    stderr: str
    seconds: float


def start_run(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`salespipe run` in its own process group, as a scheduler or a terminal would start it."""
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", *args],
        cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip


def finish(process: subprocess.Popen, timeout: float = 600) -> Finished:
    started = time.monotonic()
    out, err = process.communicate(timeout=timeout)
    return Finished(process.returncode, out, err, time.monotonic() - started)


def run_to_end(env: dict[str, str], *args: str, timeout: float = 600) -> Finished:
    started = time.monotonic()
    done = finish(start_run(env, *args), timeout)
    done.seconds = time.monotonic() - started
    return done


def runs_log(warehouse: Path) -> list[tuple]:
    """meta.runs as (run_id, pid, status, stage, problem, prefect_flow_run_id), oldest first."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            """select run_id, pid, status, stage, problem, prefect_flow_run_id
               from meta.runs order by started_at"""
        ).fetchall()
