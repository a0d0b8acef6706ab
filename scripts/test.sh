#!/usr/bin/env bash
# Install everything the tests need into .venv and run every check CI runs.
# Usage: bash scripts/test.sh   (README "command 2"; .ci/run calls exactly this)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

# The browser tests drive Debian's Chromium (never a browser Playwright downloads). CI is
# a clean machine running as root: install it there; elsewhere say how.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q chromium >/dev/null
  else
    echo "chromium is missing: install it (apt-get install chromium) or the browser tests fail in CI" >&2
  fi
fi

echo "== ruff"
.venv/bin/ruff check app tests bench
echo "== mypy"
.venv/bin/mypy
echo "== library JSON Schema is current"
.venv/bin/kefu schema --check
echo "== kefu check (reply library)"
.venv/bin/kefu check > /dev/null
echo "== pytest"
.venv/bin/pytest
