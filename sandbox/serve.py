"""Run the 1C simulator as a process over a generated company:

    python -m sandbox.serve --scale 0.02 --seed 7 --port 0 [--user odata --password …]

The first stdout line is the base URL (flushed at once, so a parent process can read it and go on);
the process then serves until it is killed (SIGTERM/SIGINT stop it cleanly). SIGUSR1 applies a night of
edits in 1C (`company.apply_nightly_changes()`) to the served store, for demos of incremental loads.
Credentials default to $SALESPIPE_ONEC_USER / $SALESPIPE_ONEC_PASSWORD, then odata / s3cret; prefer
the environment to --password, which other local users can read in the process list.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from sandbox.onec_server import OneCSimulator


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--configuration", choices=("ut11", "bp30"), default="ut11")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--publication", default="trade")
    parser.add_argument("--user", default=os.environ.get("SALESPIPE_ONEC_USER", "odata"))
    parser.add_argument("--password", default=os.environ.get("SALESPIPE_ONEC_PASSWORD", "s3cret"))
    return parser.parse_args(argv)


def _apply_nightly_changes(company, sim: OneCSimulator) -> None:
    company.apply_nightly_changes()
    fresh = company.onec_store()
    with sim.store_lock:  # swap the whole store at once: a reader sees the old night or the new one
        sim.store.clear()
        sim.store.update(fresh)
    total = sum(len(v) for v in fresh.values())
    print(f"applied nightly changes: {total} records", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # Imported here so `--help` works, and this module imports, without the generator.
    from sandbox.company import generate_company

    company = generate_company(scale=args.scale, seed=args.seed, configuration=args.configuration)
    sim = OneCSimulator(
        company.onec_store(),
        username=args.user,
        password=args.password,
        publication=args.publication,
        host=args.host,
        port=args.port,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if hasattr(signal, "SIGUSR1"):
        signal.signal(
            signal.SIGUSR1,
            lambda *_: threading.Thread(
                target=_apply_nightly_changes, args=(company, sim), daemon=True
            ).start(),
        )
    print(sim.start(), flush=True)
    try:
        while not stop.wait(0.5):  # a timed wait keeps the main thread responsive to signals
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
