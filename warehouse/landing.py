"""Landing: pages of raw source records → append-only `raw_<source>.<stream>` tables.

Each page is inserted in bulk (one Arrow table, JSON parsed and hashed by DuckDB) in the same
transaction as the stream's new cursor, so a crash at any moment leaves data and state consistent.
A record is appended only when it differs from the latest landed version of its key (`_hash`), so a
nightly re-read of unchanged data adds nothing. Records without a key are kept in `meta.rejects`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Protocol

import duckdb
import orjson
import pyarrow as pa

from warehouse.schema import META_DDL, identifier, raw_table, raw_table_ddl


class StreamLike(Protocol):
    name: str
    key_fields: tuple[str, ...]
    cursor_field: str | None

    def key_of(self, record: dict) -> str | None: ...


@dataclass
class PageResult:
    read: int = 0
    landed: int = 0
    rejected: int = 0


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(META_DDL)


def _record_text(record: Any) -> str:
    # orjson keeps key order as sent and is ~5x faster than json.dumps; non-str keys are impossible
    # in parsed JSON, so the fallback only covers odd values (e.g. Decimal) from custom sources.
    try:
        return orjson.dumps(record).decode()
    except TypeError:
        return json.dumps(record, ensure_ascii=False, default=str)


class Landing:
    """Lands one source's pages for one run. Owns no connection: the caller opens and closes it."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, run_id: str, source: str, schema: str):
        self.con = con
        self.run_id = run_id
        self.source = source
        self.schema = identifier(schema)
        ensure_meta(con)

    # ---- streams and cursors -------------------------------------------------------------------
    def open_stream(self, stream: str) -> None:
        """Create the raw table if needed and an empty per-run 'seen keys' table for reconciliation."""
        self.con.execute(raw_table_ddl(self.schema, stream))
        seen = f"seen_{identifier(stream)}"
        self.con.execute(f"create or replace temp table {seen} (_id varchar primary key, _version varchar)")

    def cursor(self, stream: str) -> str | None:
        row = self.con.execute(
            "select cursor from meta.sync_state where source = ? and stream = ?", [self.source, stream]
        ).fetchone()
        return row[0] if row else None

    def _save_cursor(self, stream: str, cursor: str) -> None:
        self.con.execute(
            "insert or replace into meta.sync_state values (?, ?, ?, ?)",
            [self.source, stream, cursor, utc_now()],
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
        page = self._page_table(spec, records, version_field)
        self.con.execute("begin transaction")
        try:
            result = self._insert_page(spec.name, page)
            if cursor is not None:
                self._save_cursor(spec.name, cursor)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        return result

    def _page_table(self, spec: StreamLike, records: list[Any], version_field: str | None) -> pa.Table:
        ids, cursors, texts, versions, reasons = [], [], [], [], []
        for record in records:
            text = _record_text(record)
            key, reason = None, None
            if not isinstance(record, dict):
                reason = "not a JSON object"
            else:
                key = spec.key_of(record)
                if key is None:
                    reason = f"no key: {'/'.join(spec.key_fields)} missing or empty"
            ids.append(key)
            texts.append(text)
            reasons.append(reason)
            is_obj = isinstance(record, dict)
            cursors.append(str(record.get(spec.cursor_field)) if is_obj and spec.cursor_field else None)
            versions.append(str(record.get(version_field)) if is_obj and version_field else None)
        return pa.table(
            {
                "record_no": pa.array(range(1, len(records) + 1), pa.int64()),
                "_id": pa.array(ids, pa.string()),
                "_cursor": pa.array(cursors, pa.string()),
                "_text": pa.array(texts, pa.string()),
                "_version": pa.array(versions, pa.string()),
                "reason": pa.array(reasons, pa.string()),
            }
        )

    def _insert_page(self, stream: str, page: pa.Table) -> PageResult:
        con, table = self.con, raw_table(self.schema, stream)
        con.register("incoming_page", page)
        try:
            rejected = con.execute(
                """insert into meta.rejects
                   select ?, ?, ?, record_no, reason, _text, ? from incoming_page where reason is not null""",
                [self.run_id, self.source, stream, utc_now()],
            ).fetchone()[0]
            # Latest occurrence of a key within the page wins (an overlap re-read can repeat a record).
            con.execute(
                """create or replace temp table page_rows as
                   select _id, _cursor, _text::json as _data, md5(_text) as _hash, _version
                   from incoming_page where reason is null
                   qualify row_number() over (partition by _id order by record_no desc) = 1"""
            )
        finally:
            con.unregister("incoming_page")
        con.execute(f"insert or ignore into seen_{identifier(stream)} select _id, _version from page_rows")
        landed = con.execute(
            f"""insert into {table}
                select p._id, p._cursor, p._data, p._hash, false, ?, ?, nextval('meta.load_seq')
                from page_rows p
                left join meta.record_state s
                  on s.source = ? and s.stream = ? and s._id = p._id
                where s._id is null or s._hash <> p._hash or s._deleted""",
            [self.run_id, utc_now(), self.source, stream],
        ).fetchone()[0]
        con.execute(
            """insert or replace into meta.record_state
               select ?, ?, _id, _hash, _version, false from page_rows""",
            [self.source, stream],
        )
        return PageResult(read=page.num_rows, landed=landed, rejected=rejected)

    # ---- reconciliation: what changed or vanished at the source --------------------------------
    def note_versions(self, stream: str, pairs: list[tuple[str, str]]) -> None:
        """Record (key, version) pairs from a key scan of the whole source set."""
        if not pairs:
            return
        table = pa.table({"_id": [k for k, _ in pairs], "_version": [v for _, v in pairs]})
        self.con.register("scanned_versions", table)
        try:
            self.con.execute(
                f"insert or replace into seen_{identifier(stream)} select * from scanned_versions"
            )
        finally:
            self.con.unregister("scanned_versions")

    def changed_keys(self, stream: str) -> list[str]:
        """Keys seen by the scan whose version differs from (or is missing in) the landed state."""
        rows = self.con.execute(
            f"""select seen._id from seen_{identifier(stream)} seen
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
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        finally:
            self.con.unregister("vanished")
        return len(keys)
