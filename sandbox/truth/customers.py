"""The customers and sales over several sources, from the clean model: true people and their true events,
never phones. `truth_for_sources` = the 1C-only numbers over the unified customers and sales (who is a
customer, which site orders are sales of their own: docs/METRICS.md), how many customers each source
shows, plus the CRM's own numbers (sandbox/truth/crm.py) when amoCRM is among the sources.
"""

from __future__ import annotations

from connectors.registry import source_ids
from sandbox.truth.crm import crm_truth
from sandbox.truth.onec_facts import facts_from_model
from sandbox.truth.sales import Fact, compute_truth
from sandbox.world.documents import Model
from sandbox.world.sources_model import Sources


def truth_for_sources(model: Model, sources: Sources, included) -> dict:
    known = source_ids()
    included = set(included)
    if not included or included - set(known):
        raise ValueError(f"sources must be a non-empty subset of {known}, got {sorted(included)}")
    seen = seen_people(model, sources, included)
    people = set().union(*seen.values())
    truth = compute_truth(unified_facts(model, sources, included), len(people), model.as_of_date)
    truth["sources"] = [s for s in known if s in included]
    truth["customers_seen_in"] = {source: len(ids) for source, ids in seen.items()}
    if "amocrm" in included:
        truth.update(crm_truth(model, sources, with_visits="metrica" in included))
    return truth


def seen_people(model: Model, sources: Sources, included: set[str]) -> dict[str, set[str]]:
    """True people by the source that shows them: a live 1C card, any site order the shop still lists
    (not trashed, not deleted), a live CRM contact."""
    seen = {}
    if "onec" in included:
        seen["onec"] = {
            c.person_id for c in model.cards if c.person_id and not c.deletion_mark and not c.is_folder
        }
    if "website" in included:
        seen["website"] = {o.person_id for o in sources.site_orders if o.on_site}
    if "amocrm" in included:
        seen["amocrm"] = {c.person_id for c in sources.contacts if c.person_id and not c.deleted_at}
    return seen


def unified_facts(model: Model, sources: Sources, included: set[str]) -> list[Fact]:
    """1C sales and returns, plus completed site orders that are sales of their own: with 1C, those that
    never reached it; without 1C, every completed order. Dated by date_completed. A trashed or deleted
    order is no sale; one that reached 1C leaves 1C's shipment a sale (docs/METRICS.md). A site-only
    sale's cost is unknown (its goods never went through 1C's stock): its whole total is of unknown cost."""
    facts = facts_from_model(model) if "onec" in included else []
    if "website" in included:
        for order in sources.site_orders:
            if not (order.on_site and order.status == "completed"):
                continue
            if "onec" not in included or order.onec_order_key is None:
                number, total = f"site:{order.number}", order.total
                facts.append(Fact(order.person_id, order.completed, number, total, "sale", None, total))
    return facts
