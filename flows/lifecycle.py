"""One run per home at a time, files private by default, and stops that take seconds.

- **The home's lock.** A run holds an exclusive `flock` on `<home>/.salespipe.lock` for its whole life
  and writes its pid and start time into it. The kernel drops the lock when the process ends however it
  ends (SIGKILL, power loss), so a stale lock cannot block the next night; a second run on the same
  home is refused at once, naming the holder.
- **Private files.** The run sets its umask to 077: the warehouse, dbt's files and the snapshots are
  created 0600/0700 (names, phones and e-mails live there). The serving files get
  SALESPIPE_SERVING_FILE_MODE (0640 lets a BI group read them); the home then gets the group's traverse
  bit only.
- **Clean stops.** SIGINT or SIGTERM stops the run within seconds: a stopper thread writes a stop note
  into the home, marks the run `cancelled` in the warehouse if it can, ends the child processes it
  started (Prefect's temporary server) and exits. DuckDB commits are atomic and every stage is
  restartable, so whatever was committed stays consistent and the next run carries on. The main thread
  is not asked to unwind: it may be deep in dbt or a network read, and Prefect's own handlers would
  spend minutes reporting to a server that the same Ctrl-C has just stopped.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

import duckdb

from flows.problems import HomeBusy, RunRefused, explain
from warehouse.landing import ensure_meta
from warehouse.runlog import record_run_ended_early

log = logging.getLogger("salespipe.lifecycle")

LOCK_FILE = ".salespipe.lock"
STOP_NOTE = ".salespipe.stopped"  # run id → why, for the next run when the warehouse could not be written
STOP_GRACE_SECONDS = 6.0  # after a signal, the process is gone by then whatever the main thread does
PRIVATE_UMASK = 0o077


class HomeLock:
    """The exclusive lock on a home, held by this process until `release` or its end."""

    _held: dict[Path, HomeLock] = {}

    def __init__(self, home: Path, fd: int):
        self.home = home
        self.fd = fd

    @classmethod
    def hold(cls, home: Path) -> HomeLock:
        """Take the home's lock (or return the one this process already holds)."""
        home = home.resolve()
        if home in cls._held:
            return cls._held[home]
        try:
            home.mkdir(parents=True, exist_ok=True)
            fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as err:
            raise RunRefused(explain(err, home)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise HomeBusy(f"another run ({holder}) holds this home: {home}") from None
        started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_at": started}).encode(), 0)
        lock = cls(home, fd)
        cls._held[home] = lock
        return lock

    def release(self) -> None:
        if self._held.pop(self.home, None) is not None:
            os.close(self.fd)  # closing the descriptor drops the flock


def _read_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"pid {holder['pid']}, started at {holder['started_at']}"
    except (OSError, ValueError, KeyError):
        return "pid unknown"


# ---- private files ---------------------------------------------------------------------------------
def make_private(home: Path, warehouse: Path, serving_file_mode: int) -> None:
    """umask 077 for everything the run creates; the home and an existing warehouse made private too (an
    older version left them 0644). A group that may read the serving files may traverse the home."""
    os.umask(PRIVATE_UMASK)
    group_x = 0o010 if serving_file_mode & 0o040 else 0
    other_x = 0o001 if serving_file_mode & 0o004 else 0
    home.chmod(0o700 | group_x | other_x)
    for path in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        if path.exists():
            path.chmod(0o600)


# ---- the run log's ends ----------------------------------------------------------------------------
def read_stop_notes(home: Path) -> dict[str, str]:
    try:
        return json.loads((home / STOP_NOTE).read_text())
    except (OSError, ValueError):
        return {}


def clear_stop_notes(home: Path) -> None:
    (home / STOP_NOTE).unlink(missing_ok=True)


def _write_stop_note(home: Path, run_id: str, why: str) -> None:
    notes = {**read_stop_notes(home), run_id: why}
    tmp = home / (STOP_NOTE + ".tmp")
    tmp.write_text(json.dumps(notes))
    os.replace(tmp, home / STOP_NOTE)


class Stopper:
    """SIGINT/SIGTERM → the run is recorded cancelled and the process exits within STOP_GRACE_SECONDS."""

    def __init__(self, home: Path, warehouse: Path, run_id: str):
        self.home, self.warehouse, self.run_id = home, warehouse, run_id
        self._previous: dict[int, object] = {}
        self._stopping = threading.Event()

    def __enter__(self) -> Stopper:
        if threading.current_thread() is threading.main_thread():  # Python allows handlers only there
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def __exit__(self, *exc) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _on_signal(self, signum, _frame) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        threading.Thread(target=self._stop, args=(signum,), name="salespipe-stop", daemon=True).start()

    def _stop(self, signum: int) -> None:
        code = 128 + signum
        deadline = threading.Timer(STOP_GRACE_SECONDS, os._exit, (code,))
        deadline.daemon = True
        deadline.start()
        why = f"stopped by {signal.Signals(signum).name}"
        try:
            _write_stop_note(self.home, self.run_id, why)
            self._record_cancelled(why)
        except Exception as err:  # the note or the warehouse may be what failed; the exit must still happen
            log.warning("recording the stop failed: %s", explain(err, self.home))
        _end_children()
        sys.stderr.write(f"salespipe: run {self.run_id} {why}: cancelled (committed data is kept)\n")
        sys.stderr.flush()
        os._exit(code)

    def _record_cancelled(self, why: str) -> None:
        # Another connection of this process may be writing: its transaction finishes or is lost whole.
        # If this one cannot get in, the stop note tells the next run instead.
        with duckdb.connect(str(self.warehouse)) as con:
            ensure_meta(con)
            record_run_ended_early(con, self.run_id, "cancelled", why)


def _end_children() -> None:
    """SIGTERM this process's children (Prefect's temporary server): an exit does not take them along."""
    me = str(os.getpid())
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == me:
            try:
                os.kill(int(entry.name), signal.SIGTERM)
            except OSError:
                pass
