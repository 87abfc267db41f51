#!/usr/bin/env bash
# Set up everything the build (and, with --test, the tests) needs on a fresh machine:
# a virtual environment with pinned packages, and for tests Debian's Chromium and axe-core.
# Idempotent: each step is skipped when its stamp matches its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

venv=.venv
stamp_key=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtual environment in $venv" >&2
  python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
fi
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp_key" ]; then
  echo "setup: installing pinned Python packages" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check -c requirements.lock -e ".[test]"
  echo "$stamp_key" > "$venv/.stamp"
fi

if [ "$want_test" = 1 ]; then
  # Liberation Sans: the fonts the chart images name first (with Arial's widths), so the browser
  # tests show a downloaded SVG as it was laid out.
  if ! command -v chromium >/dev/null 2>&1 || [ ! -d /usr/share/fonts/truetype/liberation2 ]; then
    echo "setup: installing Debian's chromium and fonts (apt-get)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-liberation2 >/dev/null
  fi
  axe=.cache/node/node_modules/axe-core/axe.min.js
  if [ ! -f "$axe" ]; then
    echo "setup: installing axe-core from npm" >&2
    mkdir -p .cache/node
    npm install --silent --no-audit --no-fund --prefix .cache/node axe-core@4.11.0 >/dev/null 2>&1 \
      || npm install --no-audit --no-fund --prefix .cache/node axe-core@4.11.0
  fi
fi
