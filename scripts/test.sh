#!/usr/bin/env bash
# Sets up with the test tools; runs ruff, mypy (strict) and the test suite (real model and store).
# The registry tests run on SQLite and on a PostgreSQL started here (scripts/postgres.sh) in a
# temporary directory and stopped afterwards; BLOK_TEST_POSTGRES_URL set beforehand names another.
set -euo pipefail
cd "$(dirname "$0")/.."
BLOK_DATA_DIR="${BLOK_DATA_DIR:-.test-cache/data}" bash scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
if [ -z "${BLOK_TEST_POSTGRES_URL:-}" ]; then
  postgres_dir="$(mktemp -d)"
  trap 'bash scripts/postgres.sh stop "$postgres_dir"; rm -rf "$postgres_dir"' EXIT
  if BLOK_TEST_POSTGRES_URL="$(bash scripts/postgres.sh start "$postgres_dir")"; then
    export BLOK_TEST_POSTGRES_URL
  else  # the PostgreSQL runs skip (and fail under CI=true, which needs them)
    echo "test: WARNING: no PostgreSQL could be started; its registry tests are skipped" >&2
  fi
fi
.venv/bin/python -m pytest "$@"
