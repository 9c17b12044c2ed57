"""The 1C sales of the clean model as the truth's facts: live shipments and returns, each attributed to the
true person behind its card, with its cost of goods (known part) and the amount whose cost is unknown."""

from __future__ import annotations

from sandbox.truth.sales import Fact, compute_truth


def facts_from_model(model) -> list[Fact]:
    """Live shipments and returns, attributed to the true person behind the card."""
    out = []
    for doc in list(model.shipments) + list(model.returns):
        if not doc.is_live:
            continue
        person_id = model.card_by_key[doc.card_key].person_id
        assert person_id is not None, f"a junk card carries a live document {doc.ref_key}"
        kind = "sale" if doc.kind == "shipment" else "return"
        out.append(Fact(person_id, doc.date, doc.ref_key, doc.amount, kind, *_document_cost(model, doc)))
    return out


def _document_cost(model, doc) -> tuple[int | None, int]:
    """(Σ cost of the lines whose cost is known or None when no line's is, Σ amount of the others).

    A line costs qty × the purchase price at the document's moment; without one a service costs 0 (it
    moves no goods) and goods cost an unknown amount. A document without lines has no known cost."""
    cost, unknown, any_known = 0, 0, False
    for line in doc.lines:
        product = model.product_by_key[line.product_key]
        price = product.purchase.at(doc.date)
        if price is None and not product.is_service:
            unknown += line.amount
            continue
        cost += line.qty * (price or 0)
        any_known = True
    return (cost if any_known else None), unknown


def truth_from_model(model) -> dict:
    live_people = {
        c.person_id for c in model.cards if c.person_id and not c.deletion_mark and not c.is_folder
    }
    return compute_truth(facts_from_model(model), len(live_people), model.as_of_date)
