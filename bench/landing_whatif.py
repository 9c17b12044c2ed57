"""What-if numbers behind the landing design in docs/BENCHMARKS.md §1. NOT production code.

    /tmp/venv/bin/python bench/landing_whatif.py --scale 0.5                       # pages of 1000
    /tmp/venv/bin/python bench/landing_whatif.py --scale 0.5 --page-size 10000     # batches of 10 000
    /tmp/venv/bin/python bench/landing_whatif.py --scale 0.5 --baseline f29e262    # + landing at that rev
    /tmp/venv/bin/python bench/landing_whatif.py --state-lookup 100000 1000000     # per-page lookups

Runs the same two nights as bench/landing_throughput.py (same records, same temp DuckDB file setup)
for `warehouse.landing.Landing` and for variants that subclass it here, each taking one piece of the
design away, and prints seconds per night plus the SQL statements that took the time:

- landing: warehouse/landing.py as it is;
- no digest: every page is compared with `meta.record_state` by a left join (the exact check landing
  uses only for keys the digest cannot vouch for), so each page scans the stream's landed state;
- ckpt 16MB: DuckDB's default `checkpoint_threshold` (an automatic checkpoint every ~12 pages of this
  data, each slower than the last) instead of landing's 256 MB + one CHECKPOINT per stream;
- `--baseline REV`: warehouse/landing.py of that git revision, loaded with `git show`.

With `--state-lookup N …` it only times, per page of 1000 keys, the ways to look a page up in a
meta.record_state of N keys of this stream plus N of another stream (the digest is built from this
stream's keys): DuckDB 2.0 has no index join, so everything but the ART probe of a plain insert scans.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import tempfile
import time
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
from landing_pages import (
    SPEC,
    TimedConnection,
    landing_at,
    pages,
    shipments,
    warm_up,
)  # bench/ on sys.path

from warehouse.landing import Landing, ensure_meta
from warehouse.reconcile import KEY_DIGEST, STATE_DIGEST


class NoDigestLanding(Landing):
    def _changes(self, stream):
        return self._exact_changes(stream, None)


class DefaultCheckpointLanding(Landing):
    def __init__(self, con, **kwargs):
        super().__init__(con, **kwargs)
        con.execute("set checkpoint_threshold = '16MB'")


def night(con, cls, run_id, records, page_size) -> tuple[float, int]:
    landing = cls(con, run_id=run_id, source="onec", schema="raw_onec")
    landing.open_stream(SPEC.name)
    gc.collect()
    landed = 0
    started = time.perf_counter()
    for page, cursor in pages(records, page_size):
        landed += landing.land_page(SPEC, page, cursor, version_field="DataVersion").landed
    con.execute("checkpoint")
    return time.perf_counter() - started, landed


KEY, STATE = KEY_DIGEST.format(p="p."), STATE_DIGEST.format(p="p.")
LOOKUPS = {
    "left join on record_state": """
        select p._id from p left join meta.record_state s
          on s.source = 'onec' and s.stream = 'shipments' and s._id = p._id
        where s._id is null or s._deleted or s._hash <> p._hash or s._version is distinct from p._version""",
    "digest join": f"""
        select p._id from p left join digest d on d._key = {KEY}
        where d._key is null or d._state is distinct from {STATE}""",
    "ON CONFLICT DO UPDATE … RETURNING": """
        insert into meta.record_state select 'onec', 'shipments', _id, _hash, _version, false from p
        on conflict do update set _hash = excluded._hash, _version = excluded._version, _deleted = false
        where record_state._hash <> excluded._hash or record_state._deleted
           or record_state._version is distinct from excluded._version
        returning _id""",
    "insert or replace, all rows": """
        insert or replace into meta.record_state
        select 'onec', 'shipments', _id, _hash, _version, false from p""",
    "plain insert of new keys (ART probe)": """
        insert into meta.record_state select 'onec', 'shipments', _id, _hash, _version, false from p""",
}


def _state_of(con, keys: list[str]) -> None:
    """meta.record_state with `keys` in onec.shipments and as many in onec.orders, and the digest."""
    ensure_meta(con)
    for stream in ("orders", "shipments"):
        con.register("k", pa.table({"_id": keys if stream == "shipments" else list(reversed(keys))}))
        con.execute(
            f"insert into meta.record_state select 'onec', '{stream}', _id, md5(_id), 'v1', false from k"
        )
    con.unregister("k")
    con.execute(
        f"""create temp table digest as
            select {KEY_DIGEST.format(p="")} as _key, {STATE_DIGEST.format(p="")} as _state
            from meta.record_state where source = 'onec' and stream = 'shipments'"""
    )
    con.execute("checkpoint")


def _median_ms(con, sql: str) -> float:
    runs = []
    for _ in range(11):
        con.execute("begin")
        started = time.perf_counter()
        con.execute(sql).fetchall()
        runs.append(time.perf_counter() - started)
        con.execute("rollback")
    return sorted(runs)[len(runs) // 2] * 1000


def state_lookup_scaling(sizes: list[int], page_size: int) -> None:
    """ms per page of each way to find a page's new and changed keys in meta.record_state."""
    print(f"\nms per page of {page_size} keys, all unchanged (the last column: all new):\n")
    print("| keys of this stream (+ as many of another) | " + " | ".join(LOOKUPS) + " |")
    print("|---:|" + "---:|" * len(LOOKUPS))
    rnd = random.Random(7)
    for size in sizes:
        keys = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(size)]
        sample = rnd.sample(keys, page_size)
        unchanged = pa.table(
            {
                "_id": sample,
                "_hash": [hashlib.md5(k.encode()).hexdigest() for k in sample],
                "_version": ["v1"] * page_size,
            }
        )
        fresh = [str(uuid.UUID(int=rnd.getrandbits(128))) for _ in range(page_size)]
        new = pa.table({"_id": fresh, "_hash": ["h"] * page_size, "_version": ["v1"] * page_size})
        with tempfile.TemporaryDirectory(prefix="salespipe-whatif-") as tmp:
            with duckdb.connect(str(Path(tmp) / "s.duckdb")) as con:
                _state_of(con, keys)
                timings = []
                for label, sql in LOOKUPS.items():
                    con.register("p", new if label.startswith("plain insert") else unchanged)
                    timings.append(_median_ms(con, sql))
        print(f"| {size:,} | " + " | ".join(f"{ms:.1f}" for ms in timings) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--baseline", metavar="REV", help="also time warehouse/landing.py of this git revision"
    )
    parser.add_argument(
        "--state-lookup", type=int, nargs="*", help="only time per-page state lookups for these state sizes"
    )
    args = parser.parse_args()
    if args.state_lookup:
        state_lookup_scaling(args.state_lookup, args.page_size)
        return
    records = shipments(args.scale, args.seed)
    n = len(records)
    print(f"{n} shipments, page size {args.page_size}\n")
    print("| variant | night 1 s | records/s | night 2 s | records/s | top statements night 1 / night 2 |")
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="salespipe-whatif-") as tmp:
        variants = {"landing": Landing, "no digest": NoDigestLanding, "ckpt 16MB": DefaultCheckpointLanding}
        if args.baseline:
            variants[f"at {args.baseline}"] = landing_at(args.baseline, Path(tmp))
        for cls in variants.values():
            warm_up(cls)
        for name, cls in variants.items():
            path = Path(tmp) / f"w_{len(name)}.duckdb"
            with duckdb.connect(str(path)) as raw:
                ensure_meta(raw)
                con1 = TimedConnection(raw)
                t1, landed1 = night(con1, cls, "night1", records, args.page_size)
                con2 = TimedConnection(raw)
                t2, landed2 = night(con2, cls, "night2", records, args.page_size)
                rows = raw.execute("select count(*), count(distinct _id) from raw_onec.shipments").fetchone()
            path.unlink()
            assert landed1 == n and landed2 == 0 and rows == (n, n), (landed1, landed2, rows)

            def top(con):
                def short(label):
                    return label.split(" into ")[-1].split()[0] if " into " in label else label.split()[0]

                ranked = sorted(con.seconds.items(), key=lambda kv: -kv[1])[:3]
                return ", ".join(f"{short(label)} {secs:.2f}" for label, secs in ranked)

            nights = f"{t1:.2f} | {n / t1:,.0f} | {t2:.2f} | {n / t2:,.0f}"
            print(f"| {name} | {nights} | {top(con1)} / {top(con2)} |", flush=True)


if __name__ == "__main__":
    main()
