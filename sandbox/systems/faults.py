"""Switchable faults for the sandbox simulators: the failures a real API (or the proxy in
front of it) produces, so connector retries, timeouts and crash recovery can be tested on purpose.

    faults.add(entity_set="Document_…", kind="429", nth=2, times=1, retry_after=1)
    faults.add(entity_set=None, kind="timeout", delay=3.0)     # None = any request
    faults.add(entity_set=…, kind="cut")                       # half the body, then close
    faults.add(entity_set=…, kind="cp1251")                    # cp1251 bytes, declared UTF-8
    faults.add(entity_set=…, kind="hold"); faults.wait_until_held(); …; faults.release()
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

KINDS = ("429", "503", "timeout", "cut", "hold", "cp1251")


@dataclass
class Fault:
    kind: str
    entity_set: str | None = None  # decoded entity set name; None matches every request
    nth: int = 1  # 1-based index of the first matching request it hits
    times: int | None = 1  # how many requests it hits; None = every one from nth on
    retry_after: int = 1  # seconds, for 429/503
    delay: float = 3.0  # seconds, for timeout
    seen: int = 0  # matching requests counted since the fault was added
    released: threading.Event = field(default_factory=threading.Event, repr=False)

    def count(self, entity_set: str | None) -> bool:
        """Counts a request if it matches; True when this request is one the fault hits."""
        if self.entity_set is not None and self.entity_set != entity_set:
            return False
        self.seen += 1
        last = None if self.times is None else self.nth + self.times - 1
        return self.seen >= self.nth and (last is None or self.seen <= last)


class Faults:
    """Thread-safe registry; the server asks `match()` once per authenticated request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._stopping = threading.Event()
        self._held = threading.Condition()
        self._held_count = 0

    def add(
        self,
        entity_set: str | None = None,
        kind: str = "503",
        nth: int = 1,
        times: int | None = 1,
        retry_after: int = 1,
        delay: float = 3.0,
    ) -> Fault:
        kind = str(kind)
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {KINDS}")
        if nth < 1 or (times is not None and times < 1):
            raise ValueError("nth and times are 1-based counts")
        fault = Fault(kind, entity_set, nth, times, retry_after, delay)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Removes every fault and lets any held request go, so a test cannot leave a thread hanging."""
        with self._lock:
            faults, self._faults = self._faults, []
        for fault in faults:
            fault.released.set()

    def release(self) -> None:
        """Lets held requests (and later ones hitting an already-added hold) through."""
        with self._lock:
            faults = list(self._faults)
        for fault in faults:
            fault.released.set()

    def match(self, entity_set: str | None) -> Fault | None:
        """Counts this request against every fault (each keeps its own nth) and returns the first
        one that fires."""
        fired = None
        with self._lock:
            for fault in self._faults:
                if fault.count(entity_set) and fired is None:
                    fired = fault
        return fired

    # -------------------------------------------------------------- waiting, interruptible by stop
    def sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)

    def hold(self, fault: Fault) -> None:
        with self._held:
            self._held_count += 1
            self._held.notify_all()
        try:
            while not fault.released.wait(0.05):
                if self._stopping.is_set():
                    return
        finally:
            with self._held:
                self._held_count -= 1

    def wait_until_held(self, count: int = 1, timeout: float = 5.0) -> bool:
        """True once `count` requests are blocked by hold faults; lets a crash test act mid-run."""
        with self._held:
            return self._held.wait_for(lambda: self._held_count >= count, timeout)

    def holding(self) -> bool:
        """True while at least one request is blocked by a hold fault."""
        with self._held:
            return self._held_count > 0

    def shutdown(self) -> None:
        """Wakes sleeping and held requests so the server can stop promptly."""
        self._stopping.set()

    def restart(self) -> None:
        self._stopping.clear()
