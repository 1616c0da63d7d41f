#!/usr/bin/env bash
# Sets up with the test tools; runs ruff, mypy (strict) and the test suite (real model and store).
set -euo pipefail
cd "$(dirname "$0")/.."
BLOK_DATA_DIR="${BLOK_DATA_DIR:-.test-cache/data}" bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
