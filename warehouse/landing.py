"""Landing: pages of raw source records → append-only `raw_<source>.<stream>` tables.

Each page is inserted in bulk (Arrow tables, never row by row) in the same transaction as the stream's
new cursor, so a crash at any moment leaves data and state consistent. A record is appended only when
it differs from the latest landed version of its key (`_hash`, the md5 of its JSON text), so a nightly
re-read of unchanged data adds nothing. Records without a key are kept in `meta.rejects`.

How a page is landed, and why (docs/BENCHMARKS.md §1 has the measurements):

1. Python serialises every record once (orjson), hashes the bytes (hashlib md5: the same value as
   DuckDB's md5 of the same text) and drops earlier repeats of a key within the page.
2. Only (key, hash, version) of the page go to DuckDB first. They are compared with a per-run digest
   of the stream's landed state (a temp table of two md5 numbers per key, built once per stream):
   a key whose md5(key) is unknown is new; a key whose md5 of (hash, version) matches is unchanged.
   DuckDB 2.0 has no index join, and ON CONFLICT fetches rows more slowly than a scan, so every lookup
   in `meta.record_state` scans the stream's part of it; the digest is ~4x cheaper to scan (at 100 k
   and at 1 M keys) and holds only the stream being landed.
3. The remaining keys, known but maybe changed, are checked exactly against `meta.record_state`.
4. Only rows that are new or changed carry their JSON text to DuckDB (`_text::json` validates it), are
   appended to the raw table and written to `meta.record_state` and the digest: on a night when
   nothing changed, a page costs one digest join, its `seen` keys and its cursor.

The digest trusts md5 exactly as far as `_hash` already does: a record counts as unchanged when the md5
of its (hash, version) equals that of its key's landed state.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import pyarrow as pa

from warehouse.pages import PageResult, PreparedPage, StreamLike, prepare_page  # noqa: F401 (PageResult re-exported)
from warehouse.reconcile import KEY_DIGEST, STATE_DIGEST, Reconciliation
from warehouse.schema import create_meta, identifier, raw_table, raw_table_ddl, utc_now  # noqa: F401 (re-exported)

# DuckDB checkpoints automatically whenever the WAL passes `checkpoint_threshold` (16 MB by default):
# every ~12 pages of 1C documents. Those checkpoints cost more each time (91 → 935 ms within one first
# load of 100 k shipments, 37 % of its time), so landing raises the threshold and checkpoints once per
# stream instead (open_stream). The WAL is as durable as the database file: a crash loses nothing, the
# next open replays it.
CHECKPOINT_THRESHOLD = "256MB"


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    create_meta(con)


class Landing(Reconciliation):
    """Lands one source's pages for one run. Owns no connection: the caller opens and closes it.

    Raises the connection's `checkpoint_threshold` (see CHECKPOINT_THRESHOLD) for as long as the
    caller keeps it open. Once a stream is open, its rows of `meta.record_state` must change only
    through Landing objects on this connection (the flow's one writer does exactly that): the digest
    of the stream, a temp table of this connection, is kept up to date by their writes alone.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, *, run_id: str, source: str, schema: str):
        self.con = con
        self.run_id = run_id
        self.source = source
        self.schema = identifier(schema)
        ensure_meta(con)
        con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
        # Orders the rows of the per-run `seen_*` tables; see _seen.
        self._seen_counter = 0

    # ---- streams and cursors -------------------------------------------------------------------
    def open_stream(self, stream: str) -> None:
        """Create the raw table if needed, an empty per-run 'seen keys' table for reconciliation and
        the digest of the stream's landed state.

        Also checkpoints what earlier streams left in the WAL: one checkpoint per stream instead of
        DuckDB's automatic ones every 16 MB (see CHECKPOINT_THRESHOLD).
        """
        con = self.con
        con.execute(raw_table_ddl(self.schema, stream))
        try:
            con.execute("checkpoint")
        except duckdb.TransactionException:
            pass  # refused while another connection writes: the threshold or the close will checkpoint
        # Append-only (no primary key to maintain per page); the latest row per _id by _rank counts.
        con.execute(
            f"create or replace temp table seen_{identifier(stream)} "
            "(_id varchar not null, _version varchar, _rank bigint not null)"
        )
        # _state is null for a deleted key: whatever comes back is checked exactly.
        con.execute(
            f"""create or replace temp table {self._digest(stream)} as
                select {KEY_DIGEST.format(p="")} as _key,
                       case when not _deleted then {STATE_DIGEST.format(p="")} end as _state
                from meta.record_state where source = ? and stream = ?""",
            [self.source, stream],
        )

    def _digest(self, stream: str) -> str:
        # Per source and stream: two sources may both have a stream called "users".
        return f"landed_{identifier(stream)}_{hashlib.md5(self.source.encode()).hexdigest()[:8]}"

    def cursor(self, stream: str) -> str | None:
        # fetchall, not fetchone: DuckDB 2.0 keeps a result open until a fetch comes back empty, and an
        # open result makes the connection refuse `register` (the version scan's next step).
        rows = self.con.execute(
            "select cursor from meta.sync_state where source = ? and stream = ?", [self.source, stream]
        ).fetchall()
        return rows[0][0] if rows else None

    def _save_cursor(self, stream: str, cursor: str) -> None:
        # An update costs a third of `insert or replace` (no ON CONFLICT machinery); insert the first time.
        now = utc_now()
        updated = self.con.execute(
            "update meta.sync_state set cursor = ?, updated_at = ? where source = ? and stream = ?",
            [cursor, now, self.source, stream],
        ).fetchall()[0][0]
        if not updated:
            self.con.execute(
                "insert into meta.sync_state values (?, ?, ?, ?)", [self.source, stream, cursor, now]
            )

    # ---- pages ---------------------------------------------------------------------------------
    def land_page(
        self,
        spec: StreamLike,
        records: list[Any],
        cursor: str | None,
        *,
        version_field: str | None = None,
    ) -> PageResult:
        """Land one page and, when `cursor` is given, move the stream's cursor — atomically."""
        page = prepare_page(spec, records, version_field)
        self.con.execute("begin transaction")
        try:
            result = self._insert_page(spec, page)
            if cursor is not None:
                self._save_cursor(spec.name, cursor)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return result

    def _insert_page(self, spec: StreamLike, page: PreparedPage) -> PageResult:
        stream = spec.name
        rejected = self._insert_rejects(stream, page.rejects) if page.rejects else 0
        if not page.ids:
            return PageResult(read=page.read, landed=0, rejected=rejected)
        con = self.con
        con.register(
            "incoming_keys",
            pa.table(
                {
                    "i": pa.array(range(len(page.ids)), pa.int32()),
                    "_id": pa.array(page.ids, pa.string()),
                    "_hash": pa.array(page.hashes, pa.string()),
                    "_version": pa.array(page.versions, pa.string()),
                }
            ),
        )
        try:
            changes = self._changes(stream)
            self._seen_counter += 1
            con.execute(
                f"insert into seen_{identifier(stream)} select _id, _version, ? from incoming_keys",
                [-self._seen_counter],
            )
        finally:
            con.unregister("incoming_keys")
        landed = self._write_changes(spec, page, sorted(changes)) if changes else 0
        return PageResult(read=page.read, landed=landed, rejected=rejected)

    def _changes(self, stream: str) -> list[tuple[int, bool, bool]]:
        """(row, new key, append to raw) for each row of `incoming_keys` that must be written."""
        # Keys the digest does not know are new; known keys whose state digest differs may have changed.
        candidates = self.con.execute(
            f"""select p.i, d._key is null from incoming_keys p
                left join {self._digest(stream)} d on d._key = {KEY_DIGEST.format(p="p.")}
                where d._key is null or d._state is distinct from {STATE_DIGEST.format(p="p.")}"""
        ).fetchall()
        maybe = [i for i, new in candidates if not new]
        return [(i, True, True) for i, new in candidates if new] + (
            self._exact_changes(stream, maybe) if maybe else []
        )

    def _exact_changes(self, stream: str, rows: list[int] | None) -> list[tuple[int, bool, bool]]:
        """Compare these rows of `incoming_keys` (None: all) with `meta.record_state`: new key, changed
        content (or a deleted key back: appended), or a changed version only (state written, not appended).
        """
        return self.con.execute(
            f"""select p.i, s._id is null, s._id is null or s._deleted or s._hash <> p._hash
                from incoming_keys p
                left join meta.record_state s
                  on s.source = ? and s.stream = ? and s._id = p._id
                where {"true" if rows is None else "p.i in (select unnest(?::int[]))"}
                  and (s._id is null or s._deleted or s._hash <> p._hash
                       or s._version is distinct from p._version)""",
            [self.source, stream] + ([] if rows is None else [rows]),
        ).fetchall()

    def _insert_rejects(self, stream: str, rejects: list[tuple[int, str, bytes]]) -> int:
        self.con.register(
            "incoming_rejects",
            pa.table(
                {
                    "record_no": pa.array([r[0] for r in rejects], pa.int64()),
                    "reason": pa.array([r[1] for r in rejects], pa.string()),
                    "raw_text": pa.array([r[2] for r in rejects], pa.string()),
                }
            ),
        )
        try:
            self.con.execute(
                """insert into meta.rejects
                   select ?, ?, ?, record_no, reason, raw_text, ? from incoming_rejects""",
                [self.run_id, self.source, stream, utc_now()],
            )
        finally:
            self.con.unregister("incoming_rejects")
        return len(rejects)

    def _write_changes(
        self, spec: StreamLike, page: PreparedPage, changes: list[tuple[int, bool, bool]]
    ) -> int:
        """Append the changed rows to the raw table, write their state and digest; returns rows appended."""
        con, stream, cursor_field = self.con, spec.name, spec.cursor_field
        records, positions, texts = page.records, page.positions, page.texts
        appended = sum(append for _, _, append in changes)
        any_new = any(new for _, new, _ in changes)
        all_new = all(new for _, new, _ in changes)
        cursors = [None] * len(changes)
        if cursor_field:
            cursors = [str(records[positions[i]].get(cursor_field)) if a else None for i, _, a in changes]
        con.register(
            "incoming_changes",
            pa.table(
                {
                    "_id": pa.array([page.ids[i] for i, _, _ in changes], pa.string()),
                    "_cursor": pa.array(cursors, pa.string()),
                    "_text": pa.array(
                        [texts[i] if append else None for i, _, append in changes], pa.string()
                    ),
                    "_hash": pa.array([page.hashes[i] for i, _, _ in changes], pa.string()),
                    "_version": pa.array([page.versions[i] for i, _, _ in changes], pa.string()),
                    "_new": pa.array([new for _, new, _ in changes], pa.bool_()),
                    "_append": pa.array([append for _, _, append in changes], pa.bool_()),
                }
            ),
        )
        digest = self._digest(stream)
        try:
            if appended:
                con.execute(
                    f"""insert into {raw_table(self.schema, stream)}
                        select _id, _cursor, _text::json, _hash, false, ?, ?, nextval('meta.load_seq')
                        from incoming_changes where _append""",
                    [self.run_id, utc_now()],
                )
            if not all_new:
                con.execute(
                    """insert or replace into meta.record_state
                       select ?, ?, _id, _hash, _version, false from incoming_changes where not _new""",
                    [self.source, stream],
                )
                con.execute(
                    f"""update {digest} d set _state = {STATE_DIGEST.format(p="c.")}
                        from incoming_changes c
                        where not c._new and d._key = {KEY_DIGEST.format(p="c.")}"""
                )
            if any_new:
                # A plain insert checks the primary key through its index: ~5x cheaper than an upsert.
                con.execute(
                    """insert into meta.record_state
                       select ?, ?, _id, _hash, _version, false from incoming_changes where _new""",
                    [self.source, stream],
                )
                con.execute(
                    f"""insert into {digest}
                        select {KEY_DIGEST.format(p="")}, {STATE_DIGEST.format(p="")}
                        from incoming_changes where _new"""
                )
        finally:
            con.unregister("incoming_changes")
        return appended
