"""Reliability: misconfigurations and a home that cannot be used. Each case is `salespipe run` in its own
process against a home that already holds a published snapshot: the exit code, the one line it prints,
and that nothing in the home changed (docs/RELIABILITY.md lists every case).

These are refused before Prefect or any source is touched, so each takes about a second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.publish import publish

ONEC = {"SALESPIPE_ONEC_URL": "http://127.0.0.1:9/base/odata/standard.odata/", "SALESPIPE_ONEC_USER": "u"}
BAD = "salespipe: bad setting: "

# (case, environment, exit code, the line on stderr)
CASES = [
    ("page size not a number", {**ONEC, "SALESPIPE_ONEC_PAGE_SIZE": "abc"}, 2,
     BAD + "SALESPIPE_ONEC_PAGE_SIZE: input should be a valid integer, unable to parse string as an integer"
     " (got 'abc')"),
    ("page size zero", {**ONEC, "SALESPIPE_ONEC_PAGE_SIZE": "0"}, 2,
     BAD + "SALESPIPE_ONEC_PAGE_SIZE: input should be greater than 0 (got '0')"),
    ("timeout not a number", {**ONEC, "SALESPIPE_HTTP_TIMEOUT": "sixty"}, 2,
     BAD + "SALESPIPE_HTTP_TIMEOUT: input should be a valid number, unable to parse string as a number"
     " (got 'sixty')"),
    ("timeout zero", {**ONEC, "SALESPIPE_HTTP_TIMEOUT": "0"}, 2,
     BAD + "SALESPIPE_HTTP_TIMEOUT: input should be greater than 0 (got '0')"),
    ("negative retries", {**ONEC, "SALESPIPE_HTTP_MAX_RETRIES": "-1"}, 2,
     BAD + "SALESPIPE_HTTP_MAX_RETRIES: input should be greater than or equal to 0 (got '-1')"),
    ("extract retries a word", {**ONEC, "SALESPIPE_EXTRACT_RETRIES": "many"}, 2,
     BAD + "SALESPIPE_EXTRACT_RETRIES: input should be a valid integer, unable to parse string as an integer"
     " (got 'many')"),
    ("no snapshots kept", {**ONEC, "SALESPIPE_KEEP_SNAPSHOTS": "0"}, 2,
     BAD + "SALESPIPE_KEEP_SNAPSHOTS: input should be greater than or equal to 1 (got '0')"),
    ("negative grace", {**ONEC, "SALESPIPE_SNAPSHOT_GRACE_HOURS": "-1"}, 2,
     BAD + "SALESPIPE_SNAPSHOT_GRACE_HOURS: input should be greater than or equal to 0 (got '-1')"),
    ("executable file mode", {**ONEC, "SALESPIPE_SERVING_FILE_MODE": "0755"}, 2,
     BAD + "SALESPIPE_SERVING_FILE_MODE: expected a file mode with owner read+write and no execute bits"
     " (0600, 0640) (got '0755')"),
    ("file mode not octal", {**ONEC, "SALESPIPE_SERVING_FILE_MODE": "rw-r-----"}, 2,
     BAD + "SALESPIPE_SERVING_FILE_MODE: expected an octal file mode such as 0600 or 0640 (got 'rw-r-----')"),
    ("unknown time zone", {**ONEC, "SALESPIPE_TIMEZONE": "Europe/Moskva"}, 2,
     BAD + "SALESPIPE_TIMEZONE: expected an IANA time zone such as Europe/Moscow (got 'Europe/Moskva')"),
    ("impossible report date", {**ONEC, "SALESPIPE_AS_OF_DATE": "2026-02-30"}, 2,
     BAD + "SALESPIPE_AS_OF_DATE: expected a date as YYYY-MM-DD (got '2026-02-30')"),
    ("lost after zero days", {**ONEC, "SALESPIPE_LOST_AFTER_DAYS": "0"}, 2,
     BAD + "SALESPIPE_LOST_AFTER_DAYS: input should be greater than 0 (got '0')"),
    ("1C URL without a scheme", {**ONEC, "SALESPIPE_ONEC_URL": "1c.example.ru/base/odata"}, 2,
     BAD + "SALESPIPE_ONEC_URL: expected an http(s) address such as https://host/path/"
     " (got '1c.example.ru/base/odata')"),
    ("1C URL over FTP", {**ONEC, "SALESPIPE_ONEC_URL": "ftp://1c.example.ru/"}, 2,
     BAD + "SALESPIPE_ONEC_URL: expected an http(s) address such as https://host/path/"
     " (got 'ftp://1c.example.ru/')"),
    ("1C start date not a date", {**ONEC, "SALESPIPE_ONEC_START_DATE": "01.01.2024"}, 2,
     BAD + "SALESPIPE_ONEC_START_DATE: expected a date as YYYY-MM-DD (got '01.01.2024')"),
    ("1C reconcile not a yes/no", {**ONEC, "SALESPIPE_ONEC_RECONCILE": "maybe"}, 2,
     BAD + "SALESPIPE_ONEC_RECONCILE: input should be a valid boolean, unable to interpret input"
     " (got 'maybe')"),
    ("site URL without a host", {"SALESPIPE_WEBSITE_URL": "https://"}, 2,
     BAD + "SALESPIPE_WEBSITE_URL: expected an http(s) address such as https://host/path/ (got 'https://')"),
    ("amoCRM URL a bare name", {"SALESPIPE_AMOCRM_URL": "mycompany"}, 2,
     BAD + "SALESPIPE_AMOCRM_URL: expected an http(s) address such as https://host/path/ (got 'mycompany')"),
    ("Metrica counter not a number", {"SALESPIPE_METRICA_COUNTER": "my-site"}, 2,
     BAD + "SALESPIPE_METRICA_COUNTER: expected the counter's number, as in"
     " metrika.yandex.ru/dashboard?id=12345678 (got 'my-site')"),
    ("two bad values at once", {**ONEC, "SALESPIPE_HTTP_TIMEOUT": "x", "SALESPIPE_KEEP_SNAPSHOTS": "none"}, 2,
     BAD + "SALESPIPE_KEEP_SNAPSHOTS: input should be a valid integer, unable to parse string as an integer"
     " (got 'none'); SALESPIPE_HTTP_TIMEOUT: input should be a valid number, unable to parse string as a"
     " number (got 'x')"),
    ("no source configured", {}, 2,
     "salespipe: no sources configured: set SALESPIPE_ONEC_URL (1C OData) or SALESPIPE_AMOCRM_URL (amoCRM)"
     " or SALESPIPE_WEBSITE_URL (WooCommerce) or SALESPIPE_METRICA_COUNTER (Metrica) (see .env.example)"),
]  # fmt: skip


@pytest.fixture(scope="module")
def published_home(tmp_path_factory) -> Path:
    """A home with a warehouse and one published snapshot, made by the real publish()."""
    home = tmp_path_factory.mktemp("published") / "home"
    home.mkdir()
    warehouse = home / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts; create table marts.repeat_sales as select 42 as buyers")
    publish(warehouse, home / "serving", "20260101T000000Z-0001", ["repeat_sales"])
    return home


def _tree(home: Path) -> dict[str, tuple]:
    """Every file under the home with its size, mtime and mode: equal trees mean nothing was touched."""
    return {
        str(path.relative_to(home)): (path.lstat().st_size, path.lstat().st_mtime_ns, path.lstat().st_mode)
        for path in sorted(home.rglob("*"))
    }


def _run(home: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SALESPIPE_")}
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", "run"],
        cwd=home.parent, env={**clean, "SALESPIPE_HOME": str(home), **env}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(("case", "env", "code", "line"), CASES, ids=[case[0] for case in CASES])
def test_a_misconfiguration_is_named_in_one_line_and_changes_nothing(
    published_home, tmp_path, case, env, code, line
):
    home = tmp_path / "home"
    shutil.copytree(published_home, home, symlinks=True)
    before = _tree(home)
    done = _run(home, env)
    assert (done.returncode, done.stderr.strip()) == (code, line)
    assert done.stdout == ""
    assert _tree(home) == before


def test_a_second_run_on_a_held_home_is_refused_at_once(published_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(published_home, home, symlinks=True)
    holder = subprocess.Popen(  # a run in progress: it holds the lock and wrote who it is
        [sys.executable, "-c", (
            "import fcntl, os, sys, json\n"
            f"fd = os.open({str(home / '.salespipe.lock')!r}, os.O_RDWR | os.O_CREAT, 0o600)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "holder = {'pid': os.getpid(), 'started_at': '2026-12-03 01:00:00 UTC'}\n"
            "os.write(fd, json.dumps(holder).encode())\n"
            "print('held', flush=True); sys.stdin.readline()\n"
        )],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        before = _tree(home)
        done = _run(home, ONEC)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 3
    assert done.stderr.strip() == (
        f"salespipe: another run (pid {holder.pid}, started at 2026-12-03 01:00:00 UTC)"
        f" holds this home: {home}"
    )
    assert _tree(home) == before


def test_a_home_that_is_a_file_is_named(tmp_path):
    home = tmp_path / "home"
    home.write_text("not a folder")
    done = _run(home, ONEC)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        f"salespipe: {home} is a file, not a folder: point SALESPIPE_HOME at a folder",
    )
    assert home.read_text() == "not a folder"


def test_a_home_on_a_read_only_file_system_is_named(published_home, small_filesystem):
    home = small_filesystem / "home"
    shutil.copytree(published_home, home, symlinks=True)
    before = _tree(home)
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    done = _run(home, ONEC)
    assert (done.returncode, done.stderr.strip()) == (
        2, f"salespipe: {home / '.salespipe.lock'} is on a read-only file system: point SALESPIPE_HOME at a"
        " writable folder"
    )  # fmt: skip
    assert _tree(home) == before


@pytest.fixture
def small_filesystem(tmp_path):
    """A 16 MiB tmpfs: needs the right to mount (root, as in CI's container)."""
    mount = tmp_path / "fs"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {made.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)
