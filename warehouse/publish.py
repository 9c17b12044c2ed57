"""Publish: whole, immutable snapshots of the marts; the file BI opens is swapped atomically.

Layout of the serving folder:

    serving/
      runs/<run_id>/marts.duckdb     every mart as a table (schema `marts`); never written again
      runs/<run_id>/<mart>.parquet   the same marts for tools that read Parquet; never written again
      serving.duckdb                 a hard link to the newest runs/<run_id>/marts.duckdb; BI opens it
      current -> runs/<run_id>       a relative symlink, for Parquet readers
      CURRENT                        the newest run id, as text

Every swap is one os.replace, so a name always points at a whole snapshot. serving.duckdb holds tables,
not views over paths: nothing is resolved when a query opens a file, and nothing breaks when the home is
moved. A reader keeps the file (the inode) it opened: Linux keeps an unlinked or replaced file alive while
it is open, so a connection sees its own snapshot whole until it closes, and a new connection sees the
newest. Old snapshots are pruned only beyond `keep` generations and after `grace_seconds`, so the
Parquet readers still reading an old folder can finish (docs/ARCHITECTURE.md, "Publish").

DuckDB's Python client (and JDBC with its instance cache) shares one open database per path within a
process: a connection opened while another to the same path is open gets the snapshot of the first. Each
snapshot file is written with an old storage version so BI drivers that bundle an older DuckDB can open it.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.schema import identifier

SERVING_STORAGE_VERSION = "v1.0.0"
SNAPSHOT_FILE = "marts.duckdb"
SERVING_FILE = "serving.duckdb"
DEFAULT_GRACE_SECONDS = 24 * 3600
DEFAULT_FILE_MODE = 0o600
_PARTIAL = ".partial"


@dataclass(frozen=True)
class Published:
    snapshot_dir: Path
    serving_file: Path
    marts: tuple[str, ...]
    rows: dict[str, int]


def sql_string(value: str | os.PathLike) -> str:
    """A SQL string literal: DuckDB cannot bind a path as a parameter in ATTACH or COPY, and a home such as
    `/srv/O'Brien` must neither fail nor change the statement."""
    return "'" + os.fspath(value).replace("'", "''") + "'"


def publish(
    warehouse: Path,
    serving_dir: Path,
    run_id: str,
    marts: list[str],
    *,
    keep: int = 7,
    schema: str = "marts",
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    file_mode: int = DEFAULT_FILE_MODE,
) -> Published:
    """Write the marts as a new snapshot `serving/runs/<run_id>/`, point serving.duckdb, `current` and
    CURRENT at it, then prune snapshots beyond `keep` generations that were superseded over
    `grace_seconds` ago. Files get `file_mode` without its write bits; folders get it plus x where r is."""
    serving_dir = Path(serving_dir).resolve()
    runs = serving_dir / "runs"
    for folder in (serving_dir, runs):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(folder_mode(file_mode))
    if not run_id or run_id != Path(run_id).name or run_id.startswith("."):
        raise ValueError(f"a run id names one folder under runs/: {run_id!r}")
    snapshot = runs / run_id
    if snapshot.exists():
        raise FileExistsError(f"snapshot {snapshot} exists already: a published snapshot is never rewritten")
    rows = _write_snapshot(Path(warehouse), snapshot, schema, marts, file_mode)
    serving_file = _swap_serving_file(serving_dir, snapshot)
    _swap_current(serving_dir, snapshot, file_mode)
    _prune_runs(serving_dir, keep, grace_seconds)
    return Published(snapshot, serving_file, tuple(marts), rows)


def folder_mode(file_mode: int) -> int:
    """0o600 → 0o700, 0o640 → 0o750: whoever may read the files may also enter their folders."""
    return file_mode | ((file_mode & 0o444) >> 2)


def read_only_mode(file_mode: int) -> int:
    return file_mode & ~0o222


def _write_snapshot(
    warehouse: Path, snapshot: Path, schema: str, marts: list[str], file_mode: int
) -> dict[str, int]:
    tmp = snapshot.with_name(snapshot.name + _PARTIAL)
    shutil.rmtree(tmp, ignore_errors=True)  # what a crashed publish of this run left
    tmp.mkdir()
    database = tmp / SNAPSHOT_FILE
    rows: dict[str, int] = {}
    with duckdb.connect() as con:
        con.execute(f"attach {sql_string(warehouse)} as warehouse (read_only)")
        con.execute(
            f"attach {sql_string(database)} as snapshot (storage_version '{SERVING_STORAGE_VERSION}')"
        )
        con.execute(f"create schema snapshot.{identifier(schema)}")
        # One transaction: the Parquet files and the tables are copies of the same warehouse state.
        con.execute("begin transaction")
        for mart in marts:
            source = f"warehouse.{identifier(schema)}.{identifier(mart)}"
            con.execute(f"create table snapshot.{schema}.{mart} as select * from {source}")
            parquet = tmp / f"{mart}.parquet"
            con.execute(
                f"copy (select * from {source}) to {sql_string(parquet)} (format parquet, compression zstd)"
            )
            rows[mart] = con.execute(f"select count(*) from snapshot.{schema}.{mart}").fetchone()[0]
        con.execute("commit")
        # A read-only reader of an older DuckDB must find everything in the file itself, no WAL beside it.
        con.execute("checkpoint snapshot")
        con.execute("detach snapshot")
    wal = database.with_name(database.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} left after checkpoint: the snapshot would not be whole without it")
    for path in tmp.iterdir():
        _fsync(path)  # on disk before any name points at it, so a power cut cannot publish a torn file
        path.chmod(read_only_mode(file_mode))
    tmp.chmod(folder_mode(file_mode))
    # The folder's mtime is its publish time, used by pruning; the rename below keeps it.
    os.utime(tmp)
    _fsync(tmp)
    os.replace(tmp, snapshot)  # the snapshot folder appears whole or not at all
    _fsync(snapshot.parent)
    return rows


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _swap_serving_file(serving_dir: Path, snapshot: Path) -> Path:
    serving_file = serving_dir / SERVING_FILE
    tmp = serving_dir / (SERVING_FILE + ".new")
    tmp.unlink(missing_ok=True)
    try:
        # The same inode as the snapshot: no copy, and a reader of either name reads the same bytes.
        os.link(snapshot / SNAPSHOT_FILE, tmp)
    except OSError:
        shutil.copy2(snapshot / SNAPSHOT_FILE, tmp)  # a file system without hard links
    os.replace(tmp, serving_file)
    return serving_file


def _swap_current(serving_dir: Path, snapshot: Path, file_mode: int) -> None:
    link_tmp = serving_dir / "current.swap"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    # Relative, so the link still works after the home is moved or restored elsewhere.
    link_tmp.symlink_to(snapshot.relative_to(serving_dir), target_is_directory=True)
    os.replace(link_tmp, serving_dir / "current")
    text_tmp = serving_dir / "CURRENT.new"
    text_tmp.unlink(missing_ok=True)
    text_tmp.write_text(snapshot.name + "\n")
    text_tmp.chmod(read_only_mode(file_mode))
    os.replace(text_tmp, serving_dir / "CURRENT")
    _fsync(serving_dir)  # the three swaps survive a power cut


def _prune_runs(serving_dir: Path, keep: int, grace_seconds: float) -> None:
    """Delete a snapshot only when it is beyond the newest `keep`, is not current, and the snapshot that
    replaced it was published over `grace_seconds` ago: until then a reader may have just resolved
    `current` to it. (A deleted marts.duckdb that a reader holds open stays readable: the inode lives on.)"""
    now = time.time()
    runs_dir = serving_dir / "runs"
    current = (serving_dir / "current").resolve()
    runs = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.name.endswith(_PARTIAL))
    published = [p.stat().st_mtime for p in runs]
    for index, old in enumerate(runs[: -keep if keep > 0 else None]):
        superseded_at = published[index + 1] if index + 1 < len(runs) else now
        if old.resolve() != current and now - superseded_at >= grace_seconds:
            shutil.rmtree(old, ignore_errors=True)
    for partial in runs_dir.glob("*" + _PARTIAL):
        # A crashed publish's leftovers; no reader ever opens them.
        if now - partial.stat().st_mtime >= grace_seconds:
            shutil.rmtree(partial, ignore_errors=True)
