"""The truth: the numbers the published marts must show, computed from the company's clean model (true
people and their true events, never the systems' records). One entry point:

    truth_for(company, sources) -> dict

`sources` are the systems the pipeline read (registry ids, connectors/registry.py). The modules behind it:
sales.py (customers, sales, cohorts over a list of facts; onec_facts.py makes them from 1C),
customers.py (one customer and the unified sales across sources), crm.py (the CRM's funnel, win rate,
cycle, response), pipeline.py with lead_history.py and activity.py (the pipeline marts: open pipeline,
time in stage, stuck deals, loss reasons, calls, the customers' CRM fields), receivables.py (invoices and
payments: the receivables marts). The definitions are docs/METRICS.md.
"""

from __future__ import annotations

from sandbox.truth.customers import truth_for_sources
from sandbox.truth.onec_facts import truth_from_model
from sandbox.truth.pipeline import pipeline_extras_truth
from sandbox.truth.receivables import receivables_truth
from sandbox.world.sources_model import bulk_allocation


def truth_for(company, sources) -> dict:
    """Everything sandbox.verify.compare checks for the marts built over `sources`.

    1C alone: the 1C-only numbers (customers, buyers, portfolio, monthly, cohorts; as they were before
    the other systems existed). Otherwise the same over the unified customers and sales, plus `sources`
    and `customers_seen_in`; with amoCRM also the CRM's numbers and, under "pipeline_extras", the
    pipeline marts' (open pipeline by month, time in stage, stuck deals, loss reasons, calls, CRM fields).
    With 1C, whatever else: `receivables` and `receivables_daily` (the invoices and payments are 1C's).
    """
    if set(sources) == {"onec"}:
        return {**truth_from_model(company.model), **receivables_truth(company.model, company.configuration)}
    with bulk_allocation():
        truth = truth_for_sources(company.model, company.sources, sources)
        if "amocrm" in truth["sources"]:
            extras = pipeline_extras_truth(company.model, company.sources, truth["sources"])
            truth["pipeline_extras"] = extras
    if "onec" in sources:
        truth.update(receivables_truth(company.model, company.configuration))
    return truth
