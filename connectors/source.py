"""The Source contract: what extract may call on a connector, and the optional abilities it declares.

Every source reads its declared streams page by page from a cursor (`read`). Some can do more, and say so
as data in `abilities` instead of extract probing for methods:

- SCAN_VERSIONS: list every (key, version) of a stream cheaply (`scan_versions`), so landing can find
  records edited outside the read window and records gone from the source (1C DataVersion, WooCommerce
  date_modified_gmt);
- READ_KEYS: fetch whole records by key (`read_keys`), to re-read what a scan found changed or missing;
- COMPLETED_RANGE: a window read returns its range in full (`completed_range`), so what landed in that
  range before and is missing now was removed at the source (Metrica's revised days);
- DISCOVERS: what the source holds depends on how it is set up (1C's configuration), found by `discover`
  before any read, given what the last run remembered: which streams are absent (skipped, not failed),
  which are required (without them nothing is published) and what to remember for the next run.

Per-stream behaviour (how a list is paged, which parameters it needs) belongs to the stream's own
declaration in `connectors/<source>/streams.py`, not to branches on the stream name in the client.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from contract.records import Page, StreamSpec


class Ability(enum.Enum):
    SCAN_VERSIONS = "scan_versions"
    READ_KEYS = "read_keys"
    COMPLETED_RANGE = "completed_range"
    DISCOVERS = "discover"


@dataclass(frozen=True)
class Discovery:
    """What a DISCOVERS source found before reading."""

    profile: str  # e.g. 1C's "bp30"
    summary: str  # one line for the run report: what was found, how and how long it took
    absent: Mapping[str, str] = field(default_factory=dict)  # stream → why the source has none
    required: frozenset[str] = frozenset()  # a failure of one of these fails the source
    memory: Mapping[str, Any] = field(default_factory=dict)  # handed back to `discover` next run


@runtime_checkable
class Source(Protocol):
    """A connector as extract sees it. Optional abilities are methods a source has only when it lists the
    ability in `abilities`: extract calls nothing else."""

    abilities: frozenset[Ability]

    @property
    def streams(self) -> tuple[StreamSpec, ...]: ...

    def read(self, stream_name: str, cursor: str | None = None) -> Iterator[Page]:
        """Pages of records as the API sent them; full streams ignore `cursor`."""
        ...

    def close(self) -> None: ...


class ScansVersions(Protocol):
    def scan_versions(self, stream_name: str) -> Iterator[list[tuple[str, str]]]: ...


class ReadsKeys(Protocol):
    def read_keys(self, stream_name: str, keys: Iterable[str]) -> Iterator[Page]: ...


class ReportsCompletedRange(Protocol):
    def completed_range(self, stream_name: str) -> tuple[str, str] | None: ...


class Discovers(Protocol):
    def discover(self, remembered: Mapping[str, Any] | None) -> Discovery: ...


ABILITY_METHODS = {
    Ability.SCAN_VERSIONS: "scan_versions",
    Ability.READ_KEYS: "read_keys",
    Ability.COMPLETED_RANGE: "completed_range",
    Ability.DISCOVERS: "discover",
}


def check_source(source: Any) -> None:
    """Fail early, naming the source, when a connector declares an ability it does not implement."""
    missing = [
        method
        for ability, method in ABILITY_METHODS.items()
        if ability in source.abilities and not callable(getattr(source, method, None))
    ]
    if missing:
        raise TypeError(f"{type(source).__name__} declares {', '.join(missing)} but does not implement it")
    if Ability.SCAN_VERSIONS in source.abilities and Ability.READ_KEYS not in source.abilities:
        raise TypeError(f"{type(source).__name__}: a version scan needs READ_KEYS to re-read what it finds")


def stream_by_name(source_name: str, streams: tuple[StreamSpec, ...], name: str) -> StreamSpec:
    for spec in streams:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in streams)
    raise ValueError(f"{source_name} has no stream {name!r}; known: {known}")


def batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive batches of at most `size` distinct items (repeats dropped), for by-key requests."""
    iterator = iter(items)
    while batch := list(dict.fromkeys(itertools.islice(iterator, size))):
        yield batch
