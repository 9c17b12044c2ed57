"""Landing throughput for pages already fetched, beside DuckDB's own read_json of the same records.

    .venv/bin/python bench/landing_throughput.py --scale 0.5 --page-size 1000

Both sides start from the same Python records (1C shipments of the sandbox company, inline Товары) and
end with them in a table of the same DuckDB file. The landing side does everything a nightly run does
per page (key extraction, rejects, hash, dedupe against the landed state, cursor in the same
transaction); read_json only parses an NDJSON file that was written beforehand (not timed), so it is
the upper limit.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import orjson

from connectors.onec import OneCSource
from sandbox.company import generate_company
from warehouse.landing import Landing


def shipments(scale: float, seed: int) -> list[dict]:
    store = generate_company(scale=scale, seed=seed).onec_store()
    return store["Document_РеализацияТоваровУслуг"]


def land_all(path: Path, records: list[dict], page_size: int) -> float:
    spec = OneCSource("http://127.0.0.1:1/x/", "u", "p").stream("shipments")
    with duckdb.connect(str(path)) as con:
        landing = Landing(con, run_id="bench", source="onec", schema="raw_onec")
        landing.open_stream("shipments")
        started = time.perf_counter()
        for start in range(0, len(records), page_size):
            page = records[start : start + page_size]
            landing.land_page(spec, page, page[-1]["Date"], version_field="DataVersion")
        return time.perf_counter() - started


def read_json_all(path: Path, ndjson: Path) -> float:
    with duckdb.connect(str(path)) as con:
        started = time.perf_counter()
        con.execute(
            f"create table shipments as select * from read_json('{ndjson}', format='newline_delimited')"
        )
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    records = shipments(args.scale, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        ndjson = Path(folder) / "shipments.ndjson"
        ndjson.write_bytes(b"\n".join(orjson.dumps(r) for r in records))
        landing_s = land_all(Path(folder) / "landing.duckdb", records, args.page_size)
        read_json_s = read_json_all(Path(folder) / "read_json.duckdb", ndjson)
    n = len(records)
    print(f"records: {n} shipments (scale {args.scale}), page size {args.page_size}")
    print(f"landing:   {landing_s:6.2f} s  {n / landing_s:10,.0f} records/s")
    print(f"read_json: {read_json_s:6.2f} s  {n / read_json_s:10,.0f} records/s  (limit)")
    print(f"landing / read_json: {read_json_s / landing_s:.0%}")


if __name__ == "__main__":
    main()
