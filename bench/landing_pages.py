"""The pieces the landing benchmarks share: the sandbox's 1C shipments as the connector hands them over,
paged; a DuckDB connection that times its statements; landing.py at another git revision; one night of
landing. Used by landing_throughput.py and landing_whatif.py (run from bench/: it is on sys.path).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import duckdb
import orjson

from connectors.onec.client import _without_navigation_links
from connectors.onec.streams import STREAMS
from sandbox.systems import store_of
from sandbox.world.company import generate_company
from warehouse.landing import Landing, ensure_meta

ENTITY_SET = "Document_РеализацияТоваровУслуг"
SPEC = next(spec for spec in STREAMS if spec.name == "shipments")


def shipments(scale: float, seed: int, *, reparse: bool = True) -> list[dict]:
    """The records as OneCSource.read yields them for a first full window read.

    With `reparse` (the default) every 1000 records are parsed again from their JSON text, as the
    connector's response parsing hands them over: the generator's own objects are scattered over the
    heap, and orjson serialises them ~30 % slower than freshly parsed ones.
    """
    store = store_of(generate_company(scale=scale, seed=seed), "onec")
    records = [_without_navigation_links(r) for r in store[ENTITY_SET]]
    records.sort(key=lambda r: (r["Date"], r["Ref_Key"]))
    if reparse:
        records = [
            r
            for start in range(0, len(records), 1000)
            for r in json.loads(orjson.dumps(records[start : start + 1000]))
        ]
    return records


def warm_up(landing_cls: type) -> None:
    """Pay the one-time costs (the first `con.register` imports pandas, ~0.35 s) outside the timings."""
    with duckdb.connect() as con:
        ensure_meta(con)
        landing = landing_cls(con, run_id="warm-up", source="onec", schema="raw_onec")
        landing.open_stream(SPEC.name)
        record = {"Ref_Key": "warm-up", "Date": "2000-01-01T00:00:00", "DataVersion": "v"}
        landing.land_page(SPEC, [record], record["Date"], version_field="DataVersion")


def pages(records: list[dict], page_size: int):
    for start in range(0, len(records), page_size):
        page = records[start : start + page_size]
        yield page, page[-1]["Date"]


class TimedConnection:
    """Delegates to a DuckDB connection and adds up the wall time of each kind of statement."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.commits: list[float] = []  # each commit's wall time: auto-checkpoints show as spikes

    def execute(self, sql: str, *args, **kwargs):
        label = " ".join(sql.split()[:6])[:60]
        started = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[label] += elapsed
            self.calls[label] += 1
            if label == "commit":
                self.commits.append(elapsed)

    def __getattr__(self, name):
        return getattr(self._con, name)


def landing_at(rev: str, folder: Path) -> type:
    """The Landing class of warehouse/landing.py at git revision `rev`."""
    repo = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "show", f"{rev}:warehouse/landing.py"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout
    path = folder / f"landing_{rev.replace('/', '_')}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(f"landing_at_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.Landing


def land_night(
    con, run_id: str, records: list[dict], page_size: int, landing_cls: type = Landing
) -> tuple[float, int, int]:
    """Land every page of `records` as one run; returns (seconds, records landed, pages)."""
    landing = landing_cls(con, run_id=run_id, source="onec", schema="raw_onec")
    landing.open_stream(SPEC.name)
    gc.collect()
    landed = n_pages = 0
    started = time.perf_counter()
    for page, cursor in pages(records, page_size):
        result = landing.land_page(SPEC, page, cursor, version_field="DataVersion")
        landed += result.landed
        n_pages += 1
    con.execute("checkpoint")
    return time.perf_counter() - started, landed, n_pages


def landing_repeat(
    folder: Path, records: list[dict], page_size: int, i: int, landing_cls: type = Landing
) -> dict:
    path = folder / f"landing_{i}.duckdb"
    with duckdb.connect(str(path)) as con:
        ensure_meta(con)
        night1, landed1, n_pages = land_night(con, f"bench-{i}-night1", records, page_size, landing_cls)
        night2, landed2, _ = land_night(con, f"bench-{i}-night2", records, page_size, landing_cls)
        raw_rows = con.execute("select count(*) from raw_onec.shipments").fetchone()[0]
    size_mb = path.stat().st_size / 2**20
    path.unlink()
    assert landed1 == len(records), f"night 1 landed {landed1} of {len(records)}"
    assert landed2 == 0, f"night 2 landed {landed2} unchanged records"
    assert raw_rows == len(records), raw_rows
    return {"night1": night1, "night2": night2, "pages": n_pages, "file_mb": size_mb}
