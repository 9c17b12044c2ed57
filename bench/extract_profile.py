"""Where the demo's "extract" stage spends its time: the sandbox 1C simulator vs the connector.

    /tmp/venv/bin/python bench/extract_profile.py --scale 0.05 --scale 0.5
    /tmp/venv/bin/python bench/extract_profile.py --scale 0.5 --profile   # cProfile of the server side

Reads the shipments stream (a first full window read, page size 1000, then the DataVersion scan) with
`OneCSource` from an in-process `OneCSimulator`, as `salespipe demo` does, without landing. The time
the simulator spends answering (`_respond`: filter, sort, page, serialise, under its store lock) is
added up separately from the client's wall time; the first and the last pages show whether the cost
of a page grows with the $skip offset.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time

from connectors.onec.client import OneCSource
from sandbox.systems import store_of
from sandbox.systems.onec.server import OneCSimulator
from sandbox.world.company import generate_company

STREAM = "shipments"


def measure(scale: float, seed: int, page_size: int, profile: bool, top: int) -> None:
    store = store_of(generate_company(scale=scale, seed=seed), "onec")
    sim = OneCSimulator(store, username="odata", password="bench")
    server_seconds: list[float] = []
    respond = sim._respond
    profiler = cProfile.Profile() if profile else None

    def timed_respond(request):
        started = time.perf_counter()
        try:
            if profiler is not None:
                return profiler.runcall(respond, request)
            return respond(request)
        finally:
            server_seconds.append(time.perf_counter() - started)

    sim._respond = timed_respond
    url = sim.start()
    source = OneCSource(url, "odata", "bench", page_size=page_size)
    try:
        page_seconds, records = [], 0
        started = last = time.perf_counter()
        for page in source.read(STREAM, None):
            records += len(page.records)
            now = time.perf_counter()
            page_seconds.append(now - last)
            last = now
        read_s = time.perf_counter() - started
        read_server = sum(server_seconds)
        n_read = len(server_seconds)
        started = time.perf_counter()
        scanned = sum(len(pairs) for pairs in source.scan_versions(STREAM))
        scan_s = time.perf_counter() - started
        scan_server = sum(server_seconds[n_read:])
    finally:
        source.close()
        sim.stop()
    n = len(page_seconds)
    first = sum(page_seconds[:5]) / min(5, n)
    tail = sum(page_seconds[-5:]) / min(5, n)
    print(f"\n**scale {scale}**: {records} shipments in {n} pages of {page_size}\n")
    print("| step | seconds | records/s | of which simulator | first pages, s/page | last pages, s/page |")
    print("|---|---:|---:|---:|---:|---:|")
    print(
        f"| read (window, full history) | {read_s:.2f} | {records / read_s:,.0f} | "
        f"{read_server:.2f} ({read_server / read_s:.0%}) | {first:.3f} | {tail:.3f} |"
    )
    print(
        f"| scan_versions | {scan_s:.2f} | {scanned / scan_s:,.0f} | "
        f"{scan_server:.2f} ({scan_server / scan_s:.0%}) | | |"
    )
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
        print("\ncProfile of the simulator's `_respond` (cumulative):\n")
        print("```\n" + out.getvalue().strip() + "\n```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 0.05")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    for scale in args.scale or [0.05]:
        measure(scale, args.seed, args.page_size, args.profile, args.top)


if __name__ == "__main__":
    main()
