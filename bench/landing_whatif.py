"""What-if numbers behind the landing suggestions in docs/BENCHMARKS.md. NOT production code.

    /tmp/venv/bin/python bench/landing_whatif.py --scale 0.5

Runs the same two nights as bench/landing_throughput.py (same records, same temp DuckDB file setup)
for the current `warehouse.landing.Landing` and for prototypes that subclass it here, each change on
top of the previous one, and prints seconds per night plus the SQL statements that took the time:

- current: warehouse/landing.py as it is;
- +ckpt256: the same code with `SET checkpoint_threshold = '256MB'` on the connection (DuckDB's default
  16 MB makes a WAL checkpoint every ~12 pages of this data, and those get slower as the file grows);
- lean: page table built from orjson *bytes* (pa.binary → cast to string, no str → UTF-8 re-encode),
  the rejects statement skipped when a page has none, the record_state join done once per page and
  reused, JSON parsed only for rows that are appended, record_state upserted only for rows whose hash
  or version changed (on night 2: none);
- deferred: pages are appended (with the cursor, per page, atomically) to a durable pending table and
  diffed against meta.record_state once per stream (`finish_stream`), so the state table is scanned once
  per run instead of once per page.

With `--state-join 100000 1000000` it only times the per-page dedupe join and the record_state upsert
against a meta.record_state of that many keys (the join scans the whole table, all sources and
streams, once per page).
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa
from landing_throughput import SPEC, TimedConnection, pages, shipments  # bench/ is on sys.path

from warehouse.landing import Landing, PageResult, _record_text, ensure_meta, utc_now
from warehouse.schema import identifier, raw_table


class LeanLanding(Landing):
    def _page_table(self, spec, records, version_field):
        ids, cursors, texts, versions, reasons = [], [], [], [], []
        cursor_field = spec.cursor_field
        for record in records:
            try:
                texts.append(orjson.dumps(record))
            except TypeError:
                texts.append(_record_text(record).encode())
            if isinstance(record, dict):
                key = spec.key_of(record)
                reasons.append(None if key is not None else "no key")
                c = record.get(cursor_field) if cursor_field else None
                v = record.get(version_field) if version_field else None
                cursors.append(c if c is None or isinstance(c, str) else str(c))
                versions.append(v if v is None or isinstance(v, str) else str(v))
            else:
                key = None
                reasons.append("not a JSON object")
                cursors.append(None)
                versions.append(None)
            ids.append(key)
        return pa.table(
            {
                "record_no": pa.array(range(1, len(records) + 1), pa.int64()),
                "_id": pa.array(ids, pa.string()),
                "_cursor": pa.array(cursors, pa.string()),
                "_text": pa.array(texts, pa.binary()).cast(pa.string()),
                "_version": pa.array(versions, pa.string()),
                "reason": pa.array(reasons, pa.string()),
            }
        )

    def _rejects(self, stream, page) -> int:
        if page.column("reason").null_count == page.num_rows:
            return 0
        return self.con.execute(
            """insert into meta.rejects
               select ?, ?, ?, record_no, reason, _text, ? from incoming_page where reason is not null""",
            [self.run_id, self.source, stream, utc_now()],
        ).fetchone()[0]

    def _diff(self, stream, source_sql, order, params=()):
        self.con.execute(
            f"""create or replace temp table page_rows as
                with p as (select _id, _cursor, _text, md5(_text) as _hash, _version from {source_sql}
                           qualify row_number() over (partition by _id order by {order}) = 1)
                select p.*, (s._id is null or s._hash <> p._hash or s._deleted) as _changed,
                       (s._version is distinct from p._version) as _version_changed
                from p left join meta.record_state s
                  on s.source = ? and s.stream = ? and s._id = p._id""",
            [*params, self.source, stream],
        )

    def _apply(self, stream) -> int:
        con = self.con
        con.execute(f"insert or ignore into seen_{identifier(stream)} select _id, _version from page_rows")
        landed = con.execute(
            f"""insert into {raw_table(self.schema, stream)}
                select _id, _cursor, _text::json, _hash, false, ?, ?, nextval('meta.load_seq')
                from page_rows where _changed order by _cursor, _id""",
            [self.run_id, utc_now()],
        ).fetchone()[0]
        con.execute(
            """insert or replace into meta.record_state
               select ?, ?, _id, _hash, _version, false from page_rows where _changed or _version_changed""",
            [self.source, stream],
        )
        return landed

    def _insert_page(self, stream, page):
        self.con.register("incoming_page", page)
        try:
            rejected = self._rejects(stream, page)
            self._diff(stream, "incoming_page where reason is null", "record_no desc")
        finally:
            self.con.unregister("incoming_page")
        return PageResult(read=page.num_rows, landed=self._apply(stream), rejected=rejected)

    def finish_stream(self, stream) -> int:
        return 0


class DeferredLanding(LeanLanding):
    def open_stream(self, stream):
        super().open_stream(stream)
        self.con.execute(
            f"""create table if not exists meta.pending_{identifier(stream)} (page_no bigint,
                record_no bigint, _id varchar, _cursor varchar, _text varchar, _version varchar)"""
        )
        self.page_no = 0

    def _insert_page(self, stream, page):
        self.page_no += 1
        self.con.register("incoming_page", page)
        try:
            rejected = self._rejects(stream, page)
            self.con.execute(
                f"""insert into meta.pending_{identifier(stream)} select ?, record_no, _id, _cursor, _text,
                    _version from incoming_page where reason is null""",
                [self.page_no],
            )
        finally:
            self.con.unregister("incoming_page")
        return PageResult(read=page.num_rows, landed=0, rejected=rejected)

    def finish_stream(self, stream) -> int:
        con = self.con
        con.execute("begin transaction")
        try:
            self._diff(stream, f"meta.pending_{identifier(stream)}", "page_no desc, record_no desc")
            landed = self._apply(stream)
            con.execute(f"delete from meta.pending_{identifier(stream)}")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        return landed


VARIANTS = {
    "current": (Landing, []),
    "current +ckpt256": (Landing, ["set checkpoint_threshold = '256MB'"]),
    "lean +ckpt256": (LeanLanding, ["set checkpoint_threshold = '256MB'"]),
    "deferred +ckpt256": (DeferredLanding, ["set checkpoint_threshold = '256MB'"]),
}


def night(con, cls, run_id, records, page_size) -> tuple[float, int]:
    landing = cls(con, run_id=run_id, source="onec", schema="raw_onec")
    landing.open_stream(SPEC.name)
    gc.collect()
    landed = 0
    started = time.perf_counter()
    for page, cursor in pages(records, page_size):
        landed += landing.land_page(SPEC, page, cursor, version_field="DataVersion").landed
    if hasattr(landing, "finish_stream"):
        landed += landing.finish_stream(SPEC.name)
    con.execute("checkpoint")
    return time.perf_counter() - started, landed


def state_join_scaling(sizes: list[int], page_size: int) -> None:
    """ms per page of landing's dedupe join against meta.record_state holding `size` keys."""
    import random
    import uuid

    print("\n| keys in meta.record_state | ms per page: left join (current) | insert or replace |")
    print("|---:|---:|---:|")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="salespipe-whatif-") as tmp:
            with duckdb.connect(str(Path(tmp) / "s.duckdb")) as con:
                ensure_meta(con)
                keys = [str(uuid.uuid4()) for _ in range(size)]
                con.register("k", pa.table({"_id": keys}))
                con.execute(
                    "insert into meta.record_state select 'onec', 'shipments', _id, md5(_id), 'v', false "
                    "from k"
                )
                con.unregister("k")
                con.execute("checkpoint")
                page = random.Random(7).sample(keys, page_size)
                con.register("page_rows", pa.table({"_id": page, "_hash": ["changed"] * page_size}))
                join = """select p._id from page_rows p left join meta.record_state s
                          on s.source = 'onec' and s.stream = 'shipments' and s._id = p._id
                          where s._id is null or s._hash <> p._hash or s._deleted"""
                upsert = """insert or replace into meta.record_state
                            select 'onec', 'shipments', _id, _hash, 'w', false from page_rows"""
                timings = []
                for sql in (join, upsert):
                    con.execute("begin")
                    con.execute(sql).fetchall()
                    started = time.perf_counter()
                    for _ in range(10):
                        con.execute(sql).fetchall()
                    timings.append((time.perf_counter() - started) / 10 * 1000)
                    con.execute("rollback")
        print(f"| {size:,} | {timings[0]:.1f} | {timings[1]:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--state-join", type=int, nargs="*", help="only time the dedupe join for these record_state sizes"
    )
    args = parser.parse_args()
    if args.state_join:
        state_join_scaling(args.state_join, args.page_size)
        return
    records = shipments(args.scale, args.seed)
    n = len(records)
    print(f"{n} shipments, page size {args.page_size}\n")
    print("| variant | night 1 s | records/s | night 2 s | records/s | top statements night 1 / night 2 |")
    print("|---|---:|---:|---:|---:|---|")
    for name, (cls, settings) in VARIANTS.items():
        with tempfile.TemporaryDirectory(prefix="salespipe-whatif-") as tmp:
            with duckdb.connect(str(Path(tmp) / "w.duckdb")) as raw:
                for setting in settings:
                    raw.execute(setting)
                ensure_meta(raw)
                con1 = TimedConnection(raw)
                t1, landed1 = night(con1, cls, "night1", records, args.page_size)
                con2 = TimedConnection(raw)
                t2, landed2 = night(con2, cls, "night2", records, args.page_size)
                rows = raw.execute("select count(*), count(distinct _id) from raw_onec.shipments").fetchone()
        assert landed1 == n and landed2 == 0 and rows == (n, n), (landed1, landed2, rows)

        def top(con):
            def short(label):
                return label.split(" into ")[-1].split()[0] if " into " in label else label.split()[0]

            ranked = sorted(con.seconds.items(), key=lambda kv: -kv[1])[:3]
            return ", ".join(f"{short(label)} {secs:.1f}" for label, secs in ranked)

        print(f"| {name} | {t1:.2f} | {n / t1:,.0f} | {t2:.2f} | {n / t2:,.0f} | {top(con1)} / {top(con2)} |")


if __name__ == "__main__":
    main()
