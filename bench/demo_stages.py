"""Stage timings of `salespipe demo`, run the way a user runs it, as a Markdown table.

    /tmp/venv/bin/python bench/demo_stages.py                       # scale 0.05
    /tmp/venv/bin/python bench/demo_stages.py --scale 0.05 --scale 0.5
    /tmp/venv/bin/python bench/demo_stages.py --scale 0.5 --nights 2 --prefect-home /tmp/bench-prefect

For each scale: `salespipe demo --home <tmp>/home --scale S` as a subprocess (cwd = the temp folder,
so no `.env` of the repo is picked up), its wall time and peak RSS (of the largest process in the tree,
from getrusage), then — after it has exited — `meta.run_stages` read from
`<home>/warehouse.duckdb` (read_only). The flow records extract, land, quality, dbt and publish per
run; `peak_rss_mb` there is the whole flow process (Prefect, dbt and Great Expectations imports
included), sampled every 50 ms while the stage runs; extract and land share one figure because they
interleave page by page.

Prefect runs without a server (a temporary one is started inside the command). By default each demo
gets a fresh PREFECT_HOME in the temp folder, so the figures include creating Prefect's database (a
first run); pass --prefect-home DIR to reuse one (run twice: the second run is the warm case).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

STAGES = ("extract", "land", "quality", "dbt", "publish")


def salespipe_command() -> list[str]:
    """The installed console script beside this interpreter (what a user types), else the module."""
    script = Path(sys.executable).with_name("salespipe")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows.cli"]


def run_demo(scale: float, seed: int, nights: int, folder: Path, prefect_home: Path | None) -> dict:
    home = folder / "home"
    command = [*salespipe_command(), "demo", "--home", str(home), "--scale", str(scale), "--seed", str(seed)]
    if nights != 1:
        command += ["--nights", str(nights)]
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(prefect_home or folder / "prefect")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"demo failed (exit {done.returncode}): {' '.join(command)}")
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            """select run_id, stage, seconds, peak_rss_mb from meta.run_stages
               order by finished_at, run_id"""
        ).fetchall()
        streams = con.execute(
            """select run_id, sum(records_read), sum(records_landed), sum(pages)
               from meta.stream_runs group by run_id order by min(started_at)"""
        ).fetchall()
    runs: dict[str, dict[str, tuple[float, float]]] = {}
    for run_id, stage, seconds, peak in rows:
        runs.setdefault(run_id, {})[stage] = (seconds, peak)
    return {
        "command": " ".join(command),
        "wall": wall,
        # ru_maxrss of children is the largest single descendant (KiB on Linux), not the sum.
        "max_rss_mb": max(after.ru_maxrss, before.ru_maxrss) / 1024,
        "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "runs": runs,
        "streams": {run_id: (read, landed, pages) for run_id, read, landed, pages in streams},
        "stdout": done.stdout,
    }


def markdown(scale: float, result: dict) -> str:
    lines = [
        f"**scale {scale}** — `{result['command']}`: wall {result['wall']:.1f} s, "
        f"CPU (user+sys, all child processes) {result['cpu']:.1f} s, "
        f"max RSS of the largest process {result['max_rss_mb']:.0f} MiB",
        "",
        "| run | night | records read | landed | pages | "
        + " | ".join(STAGES)
        + " | stages Σ | peak RSS MiB |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(STAGES) + "---:|---:|",
    ]
    for night, (run_id, stages) in enumerate(result["runs"].items(), start=1):
        read, landed, pages = result["streams"].get(run_id, (0, 0, 0))
        cells = [f"{stages[s][0]:.2f}" if s in stages else "–" for s in STAGES]
        total = sum(seconds for seconds, _ in stages.values())
        peak = max((p or 0) for _, p in stages.values())
        lines.append(
            f"| {run_id} | {night} | {read} | {landed} | {pages} | "
            + " | ".join(cells)
            + f" | {total:.2f} | {peak:.0f} |"
        )
    lines += ["", "peak RSS MiB per stage (whole flow process, sampled every 50 ms):", ""]
    lines += ["| run | " + " | ".join(STAGES) + " |", "|---|" + "---:|" * len(STAGES)]
    for run_id, stages in result["runs"].items():
        cells = [f"{stages[s][1]:.0f}" if s in stages and stages[s][1] is not None else "–" for s in STAGES]
        lines.append(f"| {run_id} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cpus, {cpu}; Python {platform.python_version()}, duckdb {duckdb.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 0.05")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--nights", type=int, default=1)
    parser.add_argument("--prefect-home", type=Path, help="reuse this PREFECT_HOME (default: a fresh one)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folders and print where")
    parser.add_argument("--show-output", action="store_true", help="print the demo's own output too")
    args = parser.parse_args()
    print(f"machine: {machine()}\n")
    for scale in args.scale or [0.05]:
        folder = Path(tempfile.mkdtemp(prefix=f"salespipe-demo-{scale}-"))
        try:
            result = run_demo(scale, args.seed, args.nights, folder, args.prefect_home)
            if args.show_output:
                print(result["stdout"])
            print(markdown(scale, result) + "\n", flush=True)
        finally:
            if args.keep:
                print(f"kept {folder}")
            else:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
