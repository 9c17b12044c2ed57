#!/usr/bin/env bash
# Set up, then run the whole test suite (unit + integration against the sandbox). ~N minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Two workers: most tests wait on dbt, Prefect or a sandbox server as much as they compute.
exec .venv/bin/python -m pytest -n "${SALESPIPE_TEST_WORKERS:-2}" --dist worksteal "$@"
