"""How long detecting a 1C base's configuration takes, and what reading a real-sized $metadata costs.

    .venv/bin/python bench/onec_detect.py                      # a ~15 MB $metadata, median of 3
    .venv/bin/python bench/onec_detect.py --megabytes 30 --repeat 5

The sandbox company's 1C (scale 0.02, seed 7, УТ 11) is served by `OneCSimulator` in a child process,
its $metadata padded with unrelated objects to the size asked (a live УТ 11: 16.8 MB). A child, so that
this process's memory is the client's alone. Measured here, on loopback:

- the body downloaded and thrown away (what the transfer and the simulator cost by themselves);
- `detect` reading $metadata as a stream (connectors/onec/detect.py), and, for comparison, the whole body
  read into memory and parsed with `ET.fromstring` (what streaming avoids);
- `detect` when $metadata answers 503 every time (so the connector's default 6 retries, then probing
  every set a profile names), the probes alone, and `confirm` of the remembered profile.

Seconds are medians of `--repeat` runs without tracemalloc; memory is one more run of each under
tracemalloc (peak of traced Python allocations) and the peak RSS growth of this process in that run
(VmHWM after resetting it through /proc/self/clear_refs; Linux).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

from connectors.onec.client import onec_http_client
from connectors.onec.detect import candidate_sets, confirm, detect, probe_entity_sets
from connectors.onec.profiles import PROFILES

USER, PASSWORD = "odata", "bench"
BYTES_PER_OBJECT_SAMPLE = 200  # padding objects built once to learn their average size


# ------------------------------------------------------------------------------------ the child: a server
def serve(scale: float, seed: int, configuration: str, megabytes: float) -> None:
    """Serves the company's 1C until stdin closes; answers `fault` / `clear` lines on stdin."""
    from sandbox.systems import store_of
    from sandbox.systems.onec.metadata import csdl
    from sandbox.systems.onec.server import OneCSimulator
    from sandbox.world.company import generate_company

    store = store_of(generate_company(scale=scale, seed=seed, configuration=configuration), "onec")
    plain = len(csdl(store))
    per_object = (len(csdl(store, padding_sets=BYTES_PER_OBJECT_SAMPLE)) - plain) / BYTES_PER_OBJECT_SAMPLE
    padding = max(0, round((megabytes * 1e6 - plain) / per_object))
    size = len(csdl(store, padding_sets=padding))  # also builds the padding once, outside the timings
    with OneCSimulator(store, username=USER, password=PASSWORD, metadata_padding_sets=padding) as sim:
        print(json.dumps({"url": sim.base_url, "bytes": size, "padding": padding}), flush=True)
        for line in sys.stdin:
            if line.strip() == "fault":
                sim.faults.add(entity_set="$metadata", kind="503", times=None, retry_after=0)
            elif line.strip() == "clear":
                sim.faults.clear()
            print("ok", flush=True)


class Server:
    """The child process; `command` sends it a line and waits for its answer."""

    def __init__(self, args: argparse.Namespace):
        command = [sys.executable, str(Path(__file__).resolve()), "--serve", "--scale", str(args.scale)]
        command += ["--seed", str(args.seed), "--configuration", args.configuration]
        command += ["--megabytes", str(args.megabytes)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.process.stdout.readline())

    def command(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


# ------------------------------------------------------------------------------------ the measurements
def peak_rss_reset() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measured(fn, repeat: int) -> dict:
    """Median seconds of `repeat` runs, then one run under tracemalloc for the peaks; the last result."""
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    base_rss, resettable = rss_kib("VmRSS"), peak_rss_reset()
    tracemalloc.start()
    fn()
    traced_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss_growth = (rss_kib("VmHWM") - base_rss) / 1024 if resettable else None
    return {
        "s": statistics.median(seconds),
        "traced_mib": traced_peak / 2**20,
        "rss_mib": rss_growth,
        "out": result,
    }


def download_only(http, url: str) -> int:
    return http.get_streamed(url, stream="$metadata", read=lambda chunks: sum(len(c) for c in chunks))


def whole_body(http, url: str) -> int:
    root = ET.fromstring(http.get(url, stream="$metadata").content)
    return sum(1 for e in root.iter() if e.tag.endswith("}EntitySet"))


def run(args: argparse.Namespace) -> None:
    server = Server(args)
    url, info = server.info["url"], server.info
    http = onec_http_client(USER, PASSWORD)  # the connector's own defaults: 60 s timeout, 6 retries
    logging.getLogger("salespipe").setLevel(logging.ERROR)  # the 503 retries would fill the screen
    rows = []
    try:
        rows.append(
            (
                "$metadata downloaded, not parsed",
                measured(lambda: download_only(http, url + "$metadata"), args.repeat),
            )
        )
        rows.append(
            ("detect via $metadata (streamed parse)", measured(lambda: detect(http, url), args.repeat))
        )
        rows.append(
            (
                "whole body + ET.fromstring (not used)",
                measured(lambda: whole_body(http, url + "$metadata"), args.repeat),
            )
        )
        server.command("fault")
        rows.append(("detect, $metadata 503 ×7 → probes", measured(lambda: detect(http, url), args.repeat)))
        server.command("clear")
        names = candidate_sets()
        rows.append(
            (
                f"probes alone ({len(names)} sets)",
                measured(lambda: probe_entity_sets(http, url, names), args.repeat),
            )
        )
        profile = PROFILES[args.configuration]
        rows.append(
            ("confirm the remembered profile", measured(lambda: confirm(http, url, profile), args.repeat))
        )
    finally:
        http.close()
        server.stop()
    report(args, info, rows)


def outcome(result) -> str:
    if hasattr(result, "profile"):
        return f"{result.profile.id} by {result.method}, {len(result.sets_found)} sets found"
    if isinstance(result, set):
        return f"{len(result)} sets exist"
    return str(result)


def report(args: argparse.Namespace, info: dict, rows: list[tuple[str, dict]]) -> None:
    print(
        f"\n$metadata of {info['bytes'] / 1e6:.1f} MB ({info['padding']} padding objects), company scale "
        f"{args.scale}, seed {args.seed}, {args.configuration}; median of {args.repeat}\n"
    )
    print("| what | seconds | traced peak MiB | RSS peak growth MiB | result |")
    print("|---|---:|---:|---:|---|")
    for name, row in rows:
        rss = "n/a" if row["rss_mib"] is None else f"{row['rss_mib']:.2f}"
        print(f"| {name} | {row['s']:.2f} | {row['traced_mib']:.2f} | {rss} | {outcome(row['out'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=float, default=15.0, help="size of the $metadata document")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--configuration", default="ut11", choices=sorted(PROFILES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # the child's role
    args = parser.parse_args()
    if args.serve:
        serve(args.scale, args.seed, args.configuration, args.megabytes)
    else:
        run(args)


if __name__ == "__main__":
    main()
