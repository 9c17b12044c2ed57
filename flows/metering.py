"""Wall time and peak resident memory of each stage of a run (for the report and the benchmarks)."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass


def rss_mb() -> float:
    """Current resident set size of this process in MiB (Linux /proc; 0 where unavailable)."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * 4096 / 2**20


@dataclass
class StageMeasure:
    stage: str
    seconds: float = 0.0
    peak_rss_mb: float = 0.0


@contextmanager
def measured(stage: str, interval: float = 0.05):
    """Sample RSS in a thread while the block runs; ru_maxrss cannot be reset per stage."""
    measure = StageMeasure(stage, peak_rss_mb=rss_mb())
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(interval):
            measure.peak_rss_mb = max(measure.peak_rss_mb, rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    started = time.perf_counter()
    sampler.start()
    try:
        yield measure
    finally:
        stop.set()
        sampler.join()
        measure.seconds = time.perf_counter() - started
        measure.peak_rss_mb = max(measure.peak_rss_mb, rss_mb())
