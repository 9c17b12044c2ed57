"""Landing throughput for pages already fetched, beside DuckDB's own read_json of the same records.

    /tmp/venv/bin/python bench/landing_throughput.py --scale 0.5 --page-size 1000 --repeat 3
    /tmp/venv/bin/python bench/landing_throughput.py --scale 0.5 --profile   # where land_page spends time
    /tmp/venv/bin/python bench/landing_throughput.py --scale 0.5 --baseline f29e262   # before/after

Both sides start from the same records (1C shipments of the sandbox company with inline Товары, as
the connector hands them over: navigation links dropped, ordered by Date, Ref_Key) and end with them
in a table of a DuckDB file in a temp folder. The landing side does everything a nightly run does per
page (key extraction, rejects, canonical JSON, hash, dedupe against the landed state, `seen` keys,
cursor in the same transaction). read_json only parses an NDJSON file that was written beforehand (not
timed), so it is the upper limit. Both timings end with a CHECKPOINT, so both include writing the data
to the file.

Night 1 lands into an empty warehouse; night 2 lands the same records again into the same file with a
new run id (nothing changed at the source: every record must be recognised as unchanged and nothing
appended). Each repeat uses a fresh file; the median of the repeats is reported.

`--baseline REV` also times warehouse/landing.py as it was at git revision REV (loaded from `git show`,
with today's warehouse/schema.py) in every repeat, right after the current one: a before/after on the
same records under the same machine load.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from hashlib import md5
from pathlib import Path

import duckdb
import orjson
from landing_pages import (  # bench/ on sys.path
    SPEC,
    TimedConnection,
    land_night,
    landing_at,
    landing_repeat,
    pages,
    shipments,
    warm_up,
)

from warehouse.landing import Landing, ensure_meta, prepare_page


def read_json_repeat(folder: Path, ndjson: Path, i: int, reader: str) -> float:
    """reader 'read_json': typed columns auto-detected (the limit); 'objects': one JSON column per
    record, the same shape landing stores in `_data`."""
    path = folder / f"{reader}_{i}.duckdb"
    source = (
        f"read_json('{ndjson}', format='newline_delimited')"
        if reader == "read_json"
        else f"read_json_objects('{ndjson}', format='newline_delimited')"
    )
    with duckdb.connect(str(path)) as con:
        gc.collect()
        started = time.perf_counter()
        con.execute(f"create table shipments as select * from {source}")
        con.execute("checkpoint")
        seconds = time.perf_counter() - started
        rows = con.execute("select count(*) from shipments").fetchone()[0]
    path.unlink()
    assert rows > 0
    return seconds


def page_table_parts(records: list[dict], page_size: int) -> None:
    """The Python side of all pages, piece by piece, without a profiler (C calls hide inside cProfile).

    Two passes: the first one also pays for the process growing (fresh memory from the kernel), the
    second reuses freed memory, as a long nightly run mostly does. Each page's output is dropped before
    the next page, as landing does.
    """
    chunks = [page for page, _ in pages(records, page_size)]
    steps = [
        ("warehouse.landing.prepare_page, all of it", lambda page: prepare_page(SPEC, page, "DataVersion")),
        ("  orjson.dumps per record", lambda page: [orjson.dumps(r) for r in page]),
        ("  orjson.dumps + hashlib.md5 per record",
         lambda page: [md5(orjson.dumps(r)).hexdigest() for r in page]),
        ("  spec.key_of per record", lambda page: [SPEC.key_of(r) for r in page]),
    ]  # fmt: skip
    seconds: dict[str, list[float]] = defaultdict(list)
    for _ in range(2):
        for label, build in steps:
            gc.collect()
            started = time.perf_counter()
            for page in chunks:
                build(page)
            seconds[label].append(time.perf_counter() - started)
    print("\nPython side of all pages (no profiler):\n")
    print("| step | 1st pass s | 2nd pass s |\n|---|---:|---:|")
    for label, (first, second) in seconds.items():
        print(f"| {label} | {first:.2f} | {second:.2f} |")


def profile_landing(folder: Path, records: list[dict], page_size: int, top: int) -> None:
    """cProfile of land_page (Python side) plus wall time per SQL statement (DuckDB side), per night."""
    page_table_parts(records, page_size)
    path = folder / "profile.duckdb"
    with duckdb.connect(str(path)) as raw_con:
        ensure_meta(raw_con)
        for night in ("night1", "night2"):
            con = TimedConnection(raw_con)
            profiler = cProfile.Profile()
            profiler.enable()
            seconds, landed, n_pages = land_night(con, f"profile-{night}", records, page_size)
            profiler.disable()
            print(f"\n### profile {night}: {seconds:.2f} s, {landed} landed, {n_pages} pages\n")
            print("SQL statements (wall time, incl. DuckDB work):\n")
            print("| statement | calls | seconds | share |\n|---|---:|---:|---:|")
            for label, secs in sorted(con.seconds.items(), key=lambda kv: -kv[1]):
                print(f"| `{label}` | {con.calls[label]} | {secs:.2f} | {secs / seconds:.0%} |")
            spikes = [f"{i}:{c * 1000:.0f}" for i, c in enumerate(con.commits, 1) if c > 0.03]
            print(
                f"\ncommits: median {statistics.median(con.commits) * 1000:.0f} ms; over 30 ms "
                f"(page:ms, DuckDB auto-checkpoints at checkpoint_threshold): {' '.join(spikes) or 'none'}"
            )
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(top)
            print("\ncProfile (cumulative; profiler overhead inflates Python-heavy parts):\n")
            print("```\n" + out.getvalue().strip() + "\n```")
    path.unlink()


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cpus, {cpu}; Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"orjson {orjson.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile land_page instead of timing it")
    parser.add_argument("--top", type=int, default=25, help="cProfile lines with --profile")
    parser.add_argument(
        "--generated-objects",
        action="store_true",
        help="land the sandbox generator's objects as they are, not re-parsed from JSON (the 1st report)",
    )
    parser.add_argument(
        "--baseline", metavar="REV", help="also time warehouse/landing.py of this git revision"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    records = shipments(args.scale, args.seed, reparse=not args.generated_objects)
    n = len(records)
    print(f"machine: {machine()}")
    print(
        f"records: {n} shipments (scale {args.scale}, seed {args.seed}), page size {args.page_size}; "
        f"generated in {time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory(prefix="salespipe-bench-") as tmp:
        folder = Path(tmp)
        if args.profile:
            warm_up(Landing)
            profile_landing(folder, records, args.page_size, args.top)
            return
        ndjson = folder / "shipments.ndjson"
        ndjson.write_bytes(b"\n".join(orjson.dumps(r) for r in records) + b"\n")
        print(f"NDJSON: {ndjson.stat().st_size / 2**20:.0f} MiB ({ndjson.stat().st_size / n:.0f} B/record)")
        baseline = landing_at(args.baseline, folder) if args.baseline else None
        for landing_cls in (Landing, baseline) if baseline else (Landing,):
            warm_up(landing_cls)
        runs = []
        for i in range(1, args.repeat + 1):
            land = landing_repeat(folder, records, args.page_size, i)
            if baseline is not None:
                before = landing_repeat(folder, records, args.page_size, i, baseline)
                land["base1"], land["base2"] = before["night1"], before["night2"]
            land["read_json"] = read_json_repeat(folder, ndjson, i, "read_json")
            land["objects"] = read_json_repeat(folder, ndjson, i, "objects")
            runs.append(land)
            print(
                f"repeat {i}: landing night 1 {land['night1']:.2f} s, night 2 {land['night2']:.2f} s, "
                f"read_json {land['read_json']:.2f} s, read_json_objects {land['objects']:.2f} s "
                f"(landing file {land['file_mb']:.0f} MiB, {land['pages']} pages)"
                + (
                    f"; at {args.baseline}: night 1 {land['base1']:.2f} s, night 2 {land['base2']:.2f} s"
                    if baseline
                    else ""
                )
            )

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    def row(name: str, key: str, note: str = "") -> str:
        seconds = median(key)
        ratio, objects = median("read_json") / seconds, median("objects") / seconds
        return f"| {name} | {seconds:.2f} | {n / seconds:,.0f} | {ratio:.0%} | {objects:.0%} | {note} |"

    print(f"\nmedian of {len(runs)}, {n} records, page size {args.page_size}:\n")
    print("| what | seconds | records/s | vs read_json | vs read_json_objects | note |")
    print("|---|---:|---:|---:|---:|---|")
    print(row("DuckDB read_json → table (limit)", "read_json", "typed columns, auto-detected"))
    print(row("DuckDB read_json_objects → table", "objects", "one JSON column per record"))
    print(row("Landing.land_page, night 1 (empty warehouse)", "night1", "all records appended"))
    print(row("Landing.land_page, night 2 (same records again)", "night2", "0 appended (all unchanged)"))
    if args.baseline:
        print(row(f"Landing at {args.baseline}, night 1", "base1", "all records appended"))
        print(row(f"Landing at {args.baseline}, night 2", "base2", "0 appended (all unchanged)"))


if __name__ == "__main__":
    main()
