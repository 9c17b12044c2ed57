"""Shared fixtures. Prefect gets its own PREFECT_HOME in a temp folder before anything imports it."""

from __future__ import annotations

import os
import tempfile

# Set before test modules import prefect: Prefect reads its settings from the environment.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="salespipe-prefect-")
os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
# The temporary server takes over 40 s to start on a loaded 2-core machine (Prefect's default gives it 20).
os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
os.environ["GX_ANALYTICS_ENABLED"] = "false"
for name in list(os.environ):  # a developer's own settings must not leak into the tests
    if name.startswith("SALESPIPE_"):
        del os.environ[name]

import duckdb  # noqa: E402
import pytest  # noqa: E402

from tests.pipeline_harness import SandboxPipeline  # noqa: E402

TEST_SCALE = 0.02
TEST_SEED = 7


@pytest.fixture(scope="session")
def company_factory():
    from sandbox.world.company import generate_company

    def make(configuration: str = "ut11"):
        return generate_company(scale=TEST_SCALE, seed=TEST_SEED, configuration=configuration)

    return make


@pytest.fixture(scope="session")
def company(company_factory):
    """A read-only company (tests that change it make their own with company_factory)."""
    return company_factory()


@pytest.fixture
def con():
    """An in-memory warehouse with the `meta` schema (modules that need a file define their own `con`)."""
    from warehouse.landing import ensure_meta

    connection = duckdb.connect()
    ensure_meta(connection)
    yield connection
    connection.close()


@pytest.fixture
def pipeline_factory(tmp_path):
    pipelines: list[SandboxPipeline] = []

    def make(store, name: str = "p", **kwargs) -> SandboxPipeline:
        pipeline = SandboxPipeline(tmp_path / name, store, **kwargs)
        pipelines.append(pipeline)
        return pipeline

    yield make
    for pipeline in pipelines:
        pipeline.close()


# The longest test files start first, longest first: with two workers, one file per worker at a time
# (scripts/test.sh), the rest fills the other worker meanwhile instead of one long file running alone at
# the end.
LONGEST_FIRST = (
    "test_reliability_stops.py",
    "test_acceptance_onec_configurations.py",
    "test_acceptance_sources.py",
    "test_reliability_bad_inputs.py",
    "test_acceptance_resilience.py",
)


def _start_rank(item) -> int:
    file_name = item.nodeid.split("::")[0].rsplit("/", 1)[-1]
    return LONGEST_FIRST.index(file_name) if file_name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items):
    items.sort(key=_start_rank)
