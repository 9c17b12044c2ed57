"""Publish: the serving snapshot BI reads, swapped atomically after a green build.

Layout of the serving folder:

    serving/
      runs/<run_id>/<mart>.parquet   one folder per published run (old ones allow a rollback)
      current -> runs/<run_id>       a symlink, replaced atomically with os.replace
      serving.duckdb                 views over current/*.parquet; BI opens this read-only

BI never opens the working warehouse, so a reader can hold `serving.duckdb` open all day without
blocking the nightly writer (DuckDB allows one writer or many readers per file, never both). A view
resolves `current` at query time, so a reader sees the old or the new snapshot, never half of one.
The serving file is written with an old storage version so BI drivers that bundle an older DuckDB
can open it; it is rewritten (to a new file, then os.replace) only when the set of marts changes.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.schema import identifier

SERVING_STORAGE_VERSION = "v1.0.0"


@dataclass(frozen=True)
class Published:
    snapshot_dir: Path
    serving_file: Path
    marts: tuple[str, ...]
    rows: dict[str, int]


def publish(
    warehouse: Path, serving_dir: Path, run_id: str, marts: list[str], *, keep: int = 7, schema: str = "marts"
) -> Published:
    serving_dir = serving_dir.resolve()
    snapshot = serving_dir / "runs" / run_id
    rows = _write_snapshot(warehouse, snapshot, schema, marts)
    _swap_current(serving_dir, snapshot)
    serving_file = _ensure_serving_file(serving_dir, schema, marts)
    _prune_runs(serving_dir, keep)
    return Published(snapshot, serving_file, tuple(marts), rows)


def _write_snapshot(warehouse: Path, snapshot: Path, schema: str, marts: list[str]) -> dict[str, int]:
    tmp = snapshot.with_name(snapshot.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rows: dict[str, int] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for mart in marts:
            target = tmp / f"{identifier(mart)}.parquet"
            con.execute(
                f"copy (select * from {identifier(schema)}.{identifier(mart)}) to '{target}' "
                "(format parquet, compression zstd)"
            )
            rows[mart] = con.execute(f"select count(*) from {identifier(schema)}.{mart}").fetchone()[0]
    shutil.rmtree(snapshot, ignore_errors=True)
    os.replace(tmp, snapshot)  # the snapshot folder appears whole or not at all
    return rows


def _swap_current(serving_dir: Path, snapshot: Path) -> None:
    link_tmp = serving_dir / "current.swap"
    if link_tmp.is_symlink() or link_tmp.exists():
        link_tmp.unlink()
    link_tmp.symlink_to(snapshot.relative_to(serving_dir), target_is_directory=True)
    os.replace(link_tmp, serving_dir / "current")


def _ensure_serving_file(serving_dir: Path, schema: str, marts: list[str]) -> Path:
    serving_file = serving_dir / "serving.duckdb"
    if serving_file.exists() and _views_in(serving_file, schema) == set(marts):
        return serving_file
    tmp = serving_dir / "serving.duckdb.new"
    tmp.unlink(missing_ok=True)
    with duckdb.connect() as con:
        con.execute(f"attach '{tmp}' as serving (storage_version '{SERVING_STORAGE_VERSION}')")
        con.execute(f"create schema serving.{identifier(schema)}")
        for mart in marts:
            parquet = serving_dir / "current" / f"{identifier(mart)}.parquet"
            view = f"serving.{schema}.{mart}"
            con.execute(f"create view {view} as select * from read_parquet('{parquet}')")
        con.execute("detach serving")
    os.replace(tmp, serving_file)
    return serving_file


def _views_in(serving_file: Path, schema: str) -> set[str]:
    try:
        with duckdb.connect(str(serving_file), read_only=True) as con:
            return {
                row[0]
                for row in con.execute(
                    "select view_name from duckdb_views() where schema_name = ? and not internal", [schema]
                ).fetchall()
            }
    except duckdb.Error:
        return set()


def _prune_runs(serving_dir: Path, keep: int) -> None:
    current = (serving_dir / "current").resolve()
    runs = sorted((p for p in (serving_dir / "runs").iterdir() if p.is_dir()), key=lambda p: p.name)
    for old in runs[:-keep] if keep > 0 else []:
        if old.resolve() != current:
            shutil.rmtree(old, ignore_errors=True)
