"""How long the sandbox company takes to generate, export and compute its truth, per scale.

    python bench/sandbox_generation.py --scale 0.05 --scale 1

Speed is measured here, not asserted in tests (the demo must stay interactive; scale 1 is for benchmarks).
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager

from sandbox.landscape import sandbox_systems
from sandbox.truth import truth_for
from sandbox.world.company import generate_company


@contextmanager
def timed(row: dict, name: str):
    started = time.perf_counter()
    yield
    row[name] = round(time.perf_counter() - started, 2)


def measure(scale: float, seed: int) -> dict:
    row: dict = {"scale": scale}
    with timed(row, "generate"):
        company = generate_company(scale=scale, seed=seed)
    systems = sandbox_systems()
    for label, system in systems.values():
        with timed(row, f"{label} store"):
            system.store(company)
    with timed(row, "truth (all sources)"):
        truth = truth_for(company, tuple(systems))
    row["customers"], row["sales"] = truth["customers"], truth["sales_total"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, action="append", help="repeatable; default 0.05 and 1")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = [measure(scale, args.seed) for scale in args.scale or [0.05, 1.0]]
    names = list(rows[0])
    print("| " + " | ".join(names) + " |")
    print("|" + "---|" * len(names))
    for row in rows:
        print("| " + " | ".join(str(row[name]) for name in names) + " |")


if __name__ == "__main__":
    main()
