"""Extract + land one source: read every declared stream page by page and land each page.

Full streams are read whole and reconciled against what was landed (keys that vanished become
tombstones). Window streams (1C documents, website orders) are read from their cursor minus the
overlap; then, when the source can list (key, version) pairs, a cheap scan of the whole set finds
records changed outside the window (back-dated, re-posted long ago) and records gone from the source
(deleted outright, or trashed out of WooCommerce's listings). A source whose window read returns its
range in full (Metrica) instead names that range, and what it no longer returns there is tombstoned.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb

from connectors.errors import AuthError, IpBanned, SourceError, Unreachable
from connectors.source import Ability
from warehouse.landing import Landing
from warehouse.runlog import (
    StreamRun,
    last_source_memory,
    record_source_profile,
    record_stream_end,
    record_stream_start,
)

log = logging.getLogger("salespipe.extract")


DONE = ("ok", "absent")  # a stream the source does not have is done, not failed


@dataclass
class SourceResult:
    source: str
    streams: list[StreamRun] = field(default_factory=list)
    error: str | None = None
    profile: str | None = None  # what a discovering source found (1C: its configuration), one line
    # Streams without which the source publishes nothing; None: all of them (also once a source stopped
    # part-way: bad credentials, host down).
    required: frozenset[str] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and all(run.status in DONE for run in self.streams)

    @property
    def failed_streams(self) -> list[str]:
        return [run.stream for run in self.streams if run.status not in DONE]

    @property
    def usable(self) -> bool:
        """Its data can be published: nothing stopped it and no required stream failed (an optional one that
        failed leaves its numbers unknown and the source stale)."""
        if self.required is None:
            return self.ok
        return bool(self.streams) and not self.required.intersection(self.failed_streams)


def sync_source(
    con: duckdb.DuckDBPyConnection,
    source: Any,
    *,
    run_id: str,
    source_id: str,
    version_field: str | None = None,
    reconcile: bool = True,
) -> SourceResult:
    """Sync every stream of `source`; a failing stream does not stop the others, bad credentials do."""
    landing = Landing(con, run_id=run_id, source=source_id, schema=f"raw_{source_id}")
    result = SourceResult(source=source_id)
    if Ability.DISCOVERS in source.abilities and not _discover(con, source, result, run_id):
        return result
    for spec in source.streams:
        run = StreamRun(run_id=run_id, source=source_id, stream=spec.name)
        result.streams.append(run)
        record_stream_start(con, run)
        try:
            _sync_stream(source, spec, landing, run, version_field=version_field, reconcile=reconcile)
            run.status = "ok"
        except SourceError as err:
            run.status, run.error = "failed", str(err)
            log.error("%s", err)
            # Every later stream would fail the same way: one failure per source, not one per stream.
            if isinstance(err, AuthError | IpBanned | Unreachable):
                result.error = str(err)
        finally:
            record_stream_end(con, run)
        if result.error:
            result.required = None  # stopped part-way: nothing of it is publishable as tonight's
            break
    if result.error is None and not result.ok:
        result.error = f"{source_id}: streams failed: {', '.join(result.failed_streams)}"
    return result


def _discover(con: duckdb.DuckDBPyConnection, source, result: SourceResult, run_id: str) -> bool:
    """Let the source find out what it holds; record it, and its absent streams. False: it could not."""
    try:
        found = source.discover(last_source_memory(con, result.source))
    except SourceError as err:
        result.error = str(err)
        log.error("%s", err)
        return False
    record_source_profile(
        con, run_id, result.source, found.profile, found.summary, sorted(found.absent), found.memory
    )
    log.info("%s: %s", result.source, found.summary)
    result.profile, result.required = found.summary, frozenset(found.required)
    for stream, why in found.absent.items():
        run = StreamRun(run_id=run_id, source=result.source, stream=stream, status="absent", error=why)
        record_stream_start(con, run)
        record_stream_end(con, run)
        result.streams.append(run)
    return True


@contextmanager
def _landing_time(run: StreamRun):
    """Splits a stream's wall time into land (DuckDB) and extract (the source): for the benchmarks."""
    started = time.perf_counter()
    try:
        yield
    finally:
        run.land_seconds += time.perf_counter() - started


def _sync_stream(source, spec, landing: Landing, run: StreamRun, *, version_field, reconcile) -> None:
    landing.open_stream(spec.name)
    cursor = landing.cursor(spec.name) if spec.mode == "window" else None
    _land_pages(source.read(spec.name, cursor), spec, landing, run, version_field)
    if spec.mode == "window":
        if Ability.COMPLETED_RANGE in source.abilities:
            _bury_revised_away(source, spec, landing, run)
        if not (reconcile and Ability.SCAN_VERSIONS in source.abilities):
            return
        _reread_changed(source, spec, landing, run, version_field)
    with _landing_time(run):
        vanished = landing.vanished_keys(spec.name)
    if vanished and spec.mode == "window":
        # A scan pages by offset: a record removed before the offset while another was added after it
        # shifts one record past the scan unseen. Ask for the vanished keys by name before burying any.
        _land_pages(source.read_keys(spec.name, vanished), spec, landing, run, version_field, rereads=True)
        with _landing_time(run):
            vanished = landing.vanished_keys(spec.name)
    with _landing_time(run):
        run.records_landed += landing.land_tombstones(spec.name, vanished)


def _bury_revised_away(source, spec, landing: Landing, run: StreamRun) -> None:
    """A source whose window read returns its whole range (Metrica) reports that range; what was landed
    in it before and is missing now is gone at the source."""
    completed = source.completed_range(spec.name)
    if completed is None:
        return
    with _landing_time(run):
        gone = landing.vanished_in_range(spec.name, *completed)
        run.records_landed += landing.land_tombstones(spec.name, gone)
    if gone:
        log.info("%s %s: %d records revised away in %s..%s", landing.source, spec.name, len(gone), *completed)


def _reread_changed(source, spec, landing: Landing, run: StreamRun, version_field) -> None:
    """Scan every (key, version) of the set and re-read the keys whose version differs from the landed one."""
    for pairs in source.scan_versions(spec.name):
        with _landing_time(run):
            landing.note_versions(spec.name, pairs)
    changed = landing.changed_keys(spec.name)
    if changed:
        log.info("%s %s: %d records changed outside the window", landing.source, spec.name, len(changed))
    _land_pages(source.read_keys(spec.name, changed), spec, landing, run, version_field, rereads=True)


def _land_pages(pages, spec, landing: Landing, run: StreamRun, version_field, rereads: bool = False) -> None:
    # Records re-read by key are older than the window: they never move the stream's cursor.
    for page in pages:
        cursor = None if rereads else page.cursor
        with _landing_time(run):
            landed = landing.land_page(spec, page.records, cursor, version_field=version_field)
        run.add(landed.read, landed.landed, landed.rejected)
