#!/usr/bin/env bash
# Set up, then run the demo: the sandbox company's 1C on loopback → the real nightly flow → marts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/salespipe demo "$@"
