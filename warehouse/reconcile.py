"""Reconciliation of a landed stream with its source: what changed outside the read window, what vanished.

A key scan of the whole source set (`note_versions`) fills the run's `seen_<stream>` table beside the
keys the pages saw; against `meta.record_state` that gives the keys whose version moved
(`changed_keys`, to be re-read) and the live keys the source no longer has (`vanished_keys`), which
become `_deleted` rows (`land_tombstones`).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from warehouse.schema import identifier, raw_table, utc_now

# md5 numbers of a landed state row, for the digest: of the key, and of (hash, version). `_hash` is
# lower-case hex, so the 'v' / 'n' (no version) marker cannot be confused with a part of it.
KEY_DIGEST = "md5_number({p}_id)"
STATE_DIGEST = "md5_number({p}_hash || coalesce('v' || {p}_version, 'n'))"


class Reconciliation:
    """The reconciling half of `warehouse.landing.Landing`, which provides `con`, `run_id`, `source`,
    `schema`, `_seen_counter` and `_digest(stream)`, and opens each stream's `seen_*` table."""

    con: duckdb.DuckDBPyConnection
    run_id: str
    source: str
    schema: str
    _seen_counter: int

    def _digest(self, stream: str) -> str:
        raise NotImplementedError

    def _seen(self, stream: str) -> str:
        """The per-run seen keys with one version each. Rows are only appended (cheaper than upserting
        into a keyed table on every page); the row with the highest `_rank` counts: a version scan
        (positive ranks, later scans higher) overrides what pages saw, and among pages (negative ranks,
        earlier pages higher) the first page that saw a key keeps it, as an `insert or ignore` would."""
        return f"""(select _id, _version from seen_{identifier(stream)}
                    qualify row_number() over (partition by _id order by _rank desc) = 1)"""

    def note_versions(self, stream: str, pairs: list[tuple[str, str]]) -> None:
        """Record (key, version) pairs from a key scan of the whole source set."""
        if not pairs:
            return
        first = self._seen_counter + 1
        self._seen_counter += len(pairs)
        table = pa.table(
            {
                "_id": pa.array([k for k, _ in pairs], pa.string()),
                "_version": pa.array([v for _, v in pairs], pa.string()),
                "_rank": pa.array(range(first, first + len(pairs)), pa.int64()),
            }
        )
        self.con.register("scanned_versions", table)
        try:
            self.con.execute(f"insert into seen_{identifier(stream)} select * from scanned_versions")
        finally:
            self.con.unregister("scanned_versions")

    def changed_keys(self, stream: str) -> list[str]:
        """Keys seen by the scan whose version differs from (or is missing in) the landed state."""
        rows = self.con.execute(
            f"""select seen._id from {self._seen(stream)} seen
                left join meta.record_state s on s.source = ? and s.stream = ? and s._id = seen._id
                where s._id is null or s._deleted or s._version is distinct from seen._version
                order by seen._id""",
            [self.source, stream],
        ).fetchall()
        return [row[0] for row in rows]

    def vanished_keys(self, stream: str) -> list[str]:
        """Live landed keys that the source no longer has (hard deletes)."""
        rows = self.con.execute(
            f"""select s._id from meta.record_state s
                anti join seen_{identifier(stream)} seen on seen._id = s._id
                where s.source = ? and s.stream = ? and not s._deleted
                order by s._id""",
            [self.source, stream],
        ).fetchall()
        return [row[0] for row in rows]

    def vanished_in_range(self, stream: str, low: str, high: str) -> list[str]:
        """Live landed keys whose latest version's cursor value lies in [low, high] (text order, as ISO
        dates sort) that this run did not see: for a source whose window read returns its range in full."""
        rows = self.con.execute(
            f"""select s._id from meta.record_state s
                join (select _id, _cursor from {raw_table(self.schema, stream)}
                      qualify row_number() over (partition by _id order by _loaded_seq desc) = 1) latest
                  on latest._id = s._id
                anti join seen_{identifier(stream)} seen on seen._id = s._id
                where s.source = ? and s.stream = ? and not s._deleted
                  and latest._cursor between ? and ?
                order by s._id""",
            [self.source, stream, low, high],
        ).fetchall()
        return [row[0] for row in rows]

    def land_tombstones(self, stream: str, keys: list[str]) -> int:
        """Append a `_deleted` row per vanished key so staging drops it; idempotent."""
        if not keys:
            return 0
        table = raw_table(self.schema, stream)
        self.con.register("vanished", pa.table({"_id": keys}))
        self.con.execute("begin transaction")
        try:
            self.con.execute(
                f"""insert into {table}
                    select _id, null, null, 'deleted', true, ?, ?, nextval('meta.load_seq') from vanished""",
                [self.run_id, utc_now()],
            )
            self.con.execute(
                """update meta.record_state set _deleted = true, _hash = 'deleted'
                   where source = ? and stream = ? and _id in (select _id from vanished)""",
                [self.source, stream],
            )
            self.con.execute(
                f"""update {self._digest(stream)} set _state = null
                    where _key in (select {KEY_DIGEST.format(p="")} from vanished)"""
            )
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        finally:
            self.con.unregister("vanished")
        return len(keys)
