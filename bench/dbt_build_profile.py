"""Where the nightly `dbt build` spends its time: parsing vs executing, models vs tests, the slowest nodes.

Builds a copy of a landed warehouse (a demo home's `warehouse.duckdb`) through `flows.transform.invoke_build`,
exactly as the flow does, three times in one work folder: a new home (no saved manifest: full parse),
the next night with the same vars (partial parse finds nothing to do), and a night whose vars differ
(as_of_date: dbt re-parses everything). Results go to docs/BENCHMARKS.md §5.

    /tmp/venv/bin/salespipe demo --home /tmp/demo-bench          # lands the sandbox (scale 0.05)
    /tmp/venv/bin/python bench/dbt_build_profile.py --warehouse /tmp/demo-bench/warehouse.duckdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.transform import invoke_build  # noqa: E402


def _build(warehouse: Path, work: Path, as_of: str) -> dict:
    started = time.perf_counter()
    result = invoke_build(
        warehouse, work, {"timezone": "Europe/Moscow", "lost_after_days": 180, "as_of_date": as_of}
    )
    wall = time.perf_counter() - started
    if not result.success:
        raise SystemExit(f"dbt build failed: {result.exception}")
    nodes = json.loads((work / "target" / "run_results.json").read_text())
    return {"wall": wall, "execute": nodes["elapsed_time"], "results": nodes["results"]}


def _kind_seconds(results: list[dict]) -> Counter:
    seconds: Counter = Counter()
    for node in results:
        seconds[node["unique_id"].split(".")[0]] += node["execution_time"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a landed warehouse.duckdb (copied)")
    parser.add_argument("--as-of", default="2026-09-30")
    parser.add_argument("--top", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbt-profile-") as tmp:
        warehouse, work = Path(tmp) / "warehouse.duckdb", Path(tmp) / "dbt"
        shutil.copy(args.warehouse, warehouse)
        day_before = (dt.date.fromisoformat(args.as_of) - dt.timedelta(days=1)).isoformat()
        runs = [
            ("new home (full parse)", args.as_of),
            ("next night, same vars", args.as_of),
            ("as_of_date changed", day_before),
        ]
        print("| build | wall s | executing s | parse + set-up s | Σ models s | Σ tests s | nodes |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        last = None
        for label, as_of in runs:
            last = _build(warehouse, work, as_of)
            kinds = _kind_seconds(last["results"])
            wall, execute = last["wall"], last["execute"]
            print(
                f"| {label} | {wall:.2f} | {execute:.2f} | {wall - execute:.2f} "
                f"| {kinds['model']:.2f} | {kinds['test']:.2f} | {len(last['results'])} |"
            )
        print("\nslowest nodes of the last build (seconds; profiles.yml runs 2 threads):")
        for node in sorted(last["results"], key=lambda n: -n["execution_time"])[: args.top]:
            print(f"  {node['execution_time']:.2f}  {node['unique_id']}")


if __name__ == "__main__":
    main()
