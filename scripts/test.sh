#!/usr/bin/env bash
# Set up, then run the whole test suite (unit + integration against the sandbox). ~N minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
