#!/usr/bin/env bash
# Sets up, ingests the demo corpus, makes sure an admin account exists (its generated password is
# printed once, on the first run) and serves the API (default http://127.0.0.1:8000, docs at /docs).
# Host and port: BLOK_SERVER__HOST, BLOK_SERVER__PORT. Data directory: BLOK_DATA_DIR (default data).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
data_dir="${BLOK_DATA_DIR:-data}"
status=0
.venv/bin/blok --data-dir "$data_dir" ingest corpora/demo || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then exit "$status"; fi
.venv/bin/blok --data-dir "$data_dir" users ensure-admin
exec .venv/bin/blok --data-dir "$data_dir" serve
