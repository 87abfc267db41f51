#!/usr/bin/env bash
# Run the whole test suite: unit, property, golden, data and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export NO_MKDOCS_2_WARNING=1
.venv/bin/ruff check dma_publish tests build.py scripts
.venv/bin/ruff format --check dma_publish tests build.py scripts
exec .venv/bin/python -m pytest "$@"
