#!/usr/bin/env bash
# Build the whole publication into site/ (default: the embedded demo data in data/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export NO_MKDOCS_2_WARNING=1
exec .venv/bin/python build.py "$@"
