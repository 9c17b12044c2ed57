"""`salespipe demo`: the sandbox company's systems on loopback, the real flow against them, and a check
of the published marts against the sandbox's own truth."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def _point_settings_at(home: Path, landscape) -> None:
    # salespipe must find the sandbox's 1C configuration the way it finds a customer's, by detection: a
    # configuration forced from the caller's environment would hide a detection that fails.
    os.environ.pop("SALESPIPE_ONEC_CONFIGURATION", None)
    os.environ.update(
        {
            "SALESPIPE_HOME": str(home),
            "SALESPIPE_WAREHOUSE": str(home / "warehouse.duckdb"),
            "SALESPIPE_SERVING_DIR": str(home / "serving"),
            "SALESPIPE_AS_OF_DATE": landscape.as_of_date.isoformat(),
            **landscape.env(),
        }
    )


def start_landscape(*, scale: float, seed: int, sources: tuple[str, ...] | None, onec_configuration: str):
    """The sandbox company's systems, started, its 1C in `onec_configuration`; says where each serves."""
    from sandbox.landscape import SandboxLandscape

    landscape = SandboxLandscape.generate(
        scale=scale, seed=seed, sources=sources, configuration=onec_configuration
    ).start()
    for source, url in landscape.urls.items():
        runs = f", configuration {landscape.onec_configuration}" if source == "onec" else ""
        print(f"sandbox {landscape.labels[source]} (scale {scale}, seed {seed}{runs}) serving on {url}")
    return landscape


def run_demo(
    *,
    scale: float,
    seed: int,
    home: str,
    nights: int = 1,
    sources: tuple[str, ...] | None = None,
    onec_configuration: str = "ut11",
) -> int:
    """`sources`: the sandbox systems to start (None: every source that has one); `onec_configuration`:
    the configuration the sandbox's 1C runs (ut11, bp30, unf)."""
    from flows.report import render_text
    from flows.run import run_flow
    from sandbox.verify import compare, headlines

    started = time.perf_counter()
    home_path = Path(home).resolve()
    home_path.mkdir(parents=True, exist_ok=True)
    landscape = start_landscape(
        scale=scale, seed=seed, sources=sources, onec_configuration=onec_configuration
    )
    _point_settings_at(home_path, landscape)
    try:
        for night in range(1, nights + 1):
            if night > 1:
                landscape.apply_night()
            ok, summary = run_flow(landscape.as_of_date.isoformat())
            print(render_text(summary))
            if not ok:
                return 1
    finally:
        landscape.stop()
    serving = Path(summary["publish"]["serving_file"])
    truth = landscape.truth()
    mismatches = compare(serving, truth)
    for line in headlines(serving):
        print(line)
    if mismatches:
        print("marts DIFFER from the sandbox truth:\n  " + "\n  ".join(mismatches[:20]))
        return 1
    checked = "customers, monthly sales, repeat share, new/returning/lost, cohorts"
    if "receivables" in truth:  # the truth over 1C: invoices and payments were compared too
        checked += ", receivables by invoice and by day"
    if "pipeline_extras" in truth:  # the truth over amoCRM: the CRM's marts were compared too
        checked += (
            ", channels, pipeline stages, win rate, cycle, response, open and weighted pipeline by month,"
            " time in stage, stuck deals, loss reasons, calls, first contact and maturation"
        )
    print(f"marts equal the sandbox truth over {', '.join(landscape.sources)} ({checked})")
    python = Path(sys.executable)
    print(f"done in {time.perf_counter() - started:.0f} s. Query the marts read-only from any DuckDB client:")
    print(f"  {python} -c \"import duckdb; print(duckdb.connect('{serving}', read_only=True)"
          f".sql('from marts.repeat_sales order by month desc limit 6'))\"")  # fmt: skip
    print(f'  duckdb -readonly {serving} "from marts.customer_portfolio limit 5"   # with the DuckDB CLI')
    return 0
