"""Serve the sandbox company's systems on loopback as a process, through the landscape:

    python -m sandbox.serve --scale 0.02 --seed 7 [--sources onec,amocrm] [--configuration ut11|bp30|unf]

The first stdout line is the base URL of the first system served (1C when it is among them), flushed at
once so a parent process can read it and go on; then one `NAME=value` line per SALESPIPE_* setting that
points salespipe at the systems (their URLs and this run's fresh credentials). The process then serves
until it is killed (SIGTERM/SIGINT stop it cleanly). SIGUSR1 applies a night of edits to the company
(`landscape.apply_night()`) and every system serves the changed company, for demos of incremental loads.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from sandbox.world.reference import CONFIGURATIONS


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--configuration",
        choices=CONFIGURATIONS,
        default="ut11",
        help="the 1C configuration the company's base runs: its entity sets and field names",
    )
    parser.add_argument("--sources", help="comma-separated source ids (default: every sandbox system)")
    parser.add_argument("--port", type=int, choices=(0,), default=0, help="0: each system on a free port")
    return parser.parse_args(argv)


def _apply_night(landscape) -> None:
    report = landscape.apply_night()
    r = report
    counts = (len(r.actions), len(r.crm_actions), len(r.site_actions), len(r.metrica_actions))
    text = "applied night {}: {} changes in 1C, {} in the CRM, {} on the site, {} in Metrica"
    print(text.format(r.night, *counts), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # Imported here so `--help` works, and this module imports, without the generator.
    from sandbox.landscape import SandboxLandscape

    sources = None if args.sources is None else [s.strip() for s in args.sources.split(",") if s.strip()]
    landscape = SandboxLandscape.generate(
        scale=args.scale, seed=args.seed, sources=sources, configuration=args.configuration
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if hasattr(signal, "SIGUSR1"):
        signal.signal(
            signal.SIGUSR1,
            lambda *_: threading.Thread(target=_apply_night, args=(landscape,), daemon=True).start(),
        )
    landscape.start()
    try:
        print(next(iter(landscape.urls.values())), flush=True)
        for name, value in landscape.env().items():
            print(f"{name}={value}", flush=True)
        while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        landscape.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
