#!/usr/bin/env bash
# Set up, then run the whole test suite (unit + integration against the sandbox). ≈ 13 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Three workers on two cores: many tests spend their time waiting on a `salespipe run` child process, a
# Prefect server or a sandbox on loopback. Tests marked with one xdist_group share one worker.
exec .venv/bin/python -m pytest -n "${SALESPIPE_TEST_WORKERS:-3}" --dist loadgroup "$@"
