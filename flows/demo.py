"""`salespipe demo`: the sandbox company's 1C on loopback, the real flow against it, and a check
of the published marts against the sandbox's own truth."""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

DEMO_USER = "odata"


def _point_settings_at(home: Path, url: str, password: str, as_of: str) -> None:
    os.environ.update(
        {
            "SALESPIPE_HOME": str(home),
            "SALESPIPE_WAREHOUSE": str(home / "warehouse.duckdb"),
            "SALESPIPE_SERVING_DIR": str(home / "serving"),
            "SALESPIPE_ONEC_URL": url,
            "SALESPIPE_ONEC_USER": DEMO_USER,
            "SALESPIPE_ONEC_PASSWORD": password,
            "SALESPIPE_AS_OF_DATE": as_of,
        }
    )


def run_demo(*, scale: float, seed: int, home: str, nights: int = 1) -> int:
    from flows.cli import run_flow
    from flows.report import render_text
    from sandbox.company import generate_company
    from sandbox.onec_server import OneCSimulator
    from sandbox.verify import compare_with_truth, headline

    started = time.perf_counter()
    home_path = Path(home).resolve()
    home_path.mkdir(parents=True, exist_ok=True)
    company = generate_company(scale=scale, seed=seed)
    password = secrets.token_urlsafe(12)  # a fresh one per demo: nothing to leak, nothing in code
    simulator = OneCSimulator(company.onec_store(), username=DEMO_USER, password=password)
    url = simulator.start()
    print(f"sandbox 1C (scale {scale}, seed {seed}) serving on {url}")
    _point_settings_at(home_path, url, password, company.as_of_date.isoformat())
    try:
        for night in range(1, nights + 1):
            if night > 1:
                company.apply_nightly_changes()
                with simulator.store_lock:
                    simulator.store.clear()
                    simulator.store.update(company.onec_store())
            ok, summary = run_flow(company.as_of_date.isoformat())
            print(render_text(summary))
            if not ok:
                return 1
    finally:
        simulator.stop()
    serving = Path(summary["publish"]["serving_file"])
    mismatches = compare_with_truth(serving, company.truth())
    print(headline(serving))
    if mismatches:
        print("marts DIFFER from the sandbox truth:\n  " + "\n  ".join(mismatches[:20]))
        return 1
    print("marts equal the sandbox truth (customers, monthly revenue, sales, repeat share, "
          "new/returning/lost, cohorts)")  # fmt: skip
    python = Path(sys.executable)
    print(f"done in {time.perf_counter() - started:.0f} s. Query the marts read-only from any DuckDB client:")
    print(f"  {python} -c \"import duckdb; print(duckdb.connect('{serving}', read_only=True)"
          f".sql('from marts.repeat_sales order by month desc limit 6'))\"")  # fmt: skip
    print(f'  duckdb -readonly {serving} "from marts.customer_portfolio limit 5"   # with the DuckDB CLI')
    return 0
