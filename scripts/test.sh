#!/usr/bin/env bash
# Set up, then run the whole test suite (unit + integration against the sandbox). ≈ 16 minutes on 2 cores (a minute over the 15-minute target).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Two workers, one per core. Each test file runs whole on one worker, so its module fixtures (a pipeline
# night, a dbt build, a generated company) are made once, and nights that follow one another stay in order.
# Files start in collection order (tests/conftest.py puts the longest first), not by their number of tests.
exec .venv/bin/python -m pytest -n "${SALESPIPE_TEST_WORKERS:-2}" --dist loadfile --no-loadscope-reorder "$@"
