"""`salespipe demo`: the sandbox company's systems on loopback, the real flow against them, and a check
of the published marts against the sandbox's own truth."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ALL_SOURCES = ("onec", "amocrm", "website", "metrica")
SOURCE_LABELS = {"onec": "1C OData", "amocrm": "amoCRM", "website": "WooCommerce", "metrica": "Metrica"}


def _point_settings_at(home: Path, landscape, as_of: str) -> None:
    os.environ.update(
        {
            "SALESPIPE_HOME": str(home),
            "SALESPIPE_WAREHOUSE": str(home / "warehouse.duckdb"),
            "SALESPIPE_SERVING_DIR": str(home / "serving"),
            "SALESPIPE_AS_OF_DATE": as_of,
            **landscape.env(),
        }
    )


def run_demo(
    *, scale: float, seed: int, home: str, nights: int = 1, sources: tuple[str, ...] = ALL_SOURCES
) -> int:
    from flows.report import render_text
    from flows.run import run_flow
    from sandbox.company import generate_company
    from sandbox.landscape import SandboxLandscape
    from sandbox.verify import headline
    from sandbox.verify_pipeline import crm_headline

    started = time.perf_counter()
    home_path = Path(home).resolve()
    home_path.mkdir(parents=True, exist_ok=True)
    company = generate_company(scale=scale, seed=seed)
    landscape = SandboxLandscape(company, sources).start()
    for source, url in landscape.urls.items():
        print(f"sandbox {SOURCE_LABELS[source]} (scale {scale}, seed {seed}) serving on {url}")
    _point_settings_at(home_path, landscape, company.as_of_date.isoformat())
    try:
        for night in range(1, nights + 1):
            if night > 1:
                company.apply_nightly_changes()
                landscape.refresh_stores()
            ok, summary = run_flow(company.as_of_date.isoformat())
            print(render_text(summary))
            if not ok:
                return 1
    finally:
        landscape.stop()
    serving = Path(summary["publish"]["serving_file"])
    mismatches = _compare_with_truth(serving, company, landscape.sources)
    print(headline(serving))
    if "amocrm" in landscape.sources:
        print(crm_headline(serving))
    if mismatches:
        print("marts DIFFER from the sandbox truth:\n  " + "\n  ".join(mismatches[:20]))
        return 1
    checked = "customers, monthly sales, repeat share, new/returning/lost, cohorts"
    if "amocrm" in landscape.sources:
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


def _compare_with_truth(serving: Path, company, sources: tuple[str, ...]) -> list[str]:
    """Every published number the sandbox knows the truth of, for the systems the demo started."""
    from sandbox.verify_channels import compare_channels_with_truth
    from sandbox.verify_pipeline import compare_pipeline_with_truth

    truth = company.truth(sources=sources)
    problems = compare_channels_with_truth(serving, truth)
    if "amocrm" in sources:
        from sandbox.truth_pipeline import pipeline_extras_truth
        from sandbox.verify_pipeline_extras import compare_pipeline_extras_with_truth

        problems += compare_pipeline_with_truth(serving, truth)
        extras = pipeline_extras_truth(company.model, company.sources, sources)
        problems += compare_pipeline_extras_with_truth(serving, extras)
    return problems
