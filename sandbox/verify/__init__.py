"""Verify: compare a published serving DuckDB file with the sandbox truth (sandbox.truth.truth_for).

    compare(serving_file, truth) -> list[str]   # one readable line per difference; [] = equal
    headlines(serving_file) -> list[str]        # the numbers a head of sales asks for first

What is compared follows from what the truth holds: customers, sales, cohorts (customers.py) always;
customers per source and the channel funnel (channels.py) when the truth has them; the CRM pipeline
(pipeline.py) and the pipeline marts' details (pipeline_extras.py) when the truth has the CRM's numbers;
the receivables marts (receivables.py) when the truth has 1C's invoices and payments.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.verify.channels import compare_channels_with_truth
from sandbox.verify.headlines import headlines
from sandbox.verify.pipeline import compare_pipeline_with_truth
from sandbox.verify.pipeline_extras import compare_pipeline_extras_with_truth
from sandbox.verify.receivables import compare_receivables_with_truth

__all__ = ["compare", "headlines"]


def compare(serving_file: Path | str, truth: dict) -> list[str]:
    """Every published number the truth knows, as one line per difference."""
    problems = compare_channels_with_truth(Path(serving_file), truth)
    if "leads_total" in truth:  # the CRM's numbers: the truth was computed with amoCRM among the sources
        problems += compare_pipeline_with_truth(serving_file, truth)
    if "pipeline_extras" in truth:
        problems += compare_pipeline_extras_with_truth(serving_file, truth["pipeline_extras"])
    if "receivables" in truth:  # 1C among the sources: its invoices and payments
        problems += compare_receivables_with_truth(serving_file, truth)
    return problems
