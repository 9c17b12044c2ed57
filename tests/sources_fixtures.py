"""Module-scoped fixtures of the sandbox company in four systems, shared by tests/test_sandbox_sources*.py
(import them by name: pytest finds fixtures imported into a test module)."""

from __future__ import annotations

import pytest

from connectors.registry import SOURCES
from sandbox.systems import store_of
from sandbox.truth import truth_for
from sandbox.world.company import generate_company
from tests.sources_reading import SCALE, SEED

ALL_SOURCES = tuple(source.id for source in SOURCES)  # every registered source, in registry order


@pytest.fixture(scope="module")
def demo():
    return generate_company(scale=SCALE, seed=SEED)


@pytest.fixture(scope="module")
def amo(demo):
    return store_of(demo, "amocrm")


@pytest.fixture(scope="module")
def site(demo):
    return store_of(demo, "website")


@pytest.fixture(scope="module")
def metrica(demo):
    return store_of(demo, "metrica")


@pytest.fixture(scope="module")
def onec(demo):
    return store_of(demo, "onec")


@pytest.fixture(scope="module")
def truth_all(demo):
    return truth_for(demo, ALL_SOURCES)


@pytest.fixture(scope="module")
def person_of(demo):
    """Record ids -> true person: what the pipeline has to find out, here known from the model."""
    sources = demo.sources
    return {
        "contact": {c.contact_id: c.person_id for c in sources.contacts},
        "lead": {x.lead_id: x.person_id for x in sources.leads},
        "order": {o.order_id: o.person_id for o in sources.site_orders},
        "card": {c.ref_key: c.person_id for c in demo.model.cards},
    }
