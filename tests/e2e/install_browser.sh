#!/usr/bin/env bash
# Install what the end-to-end tests need to drive ComfyUI's frontend:
#   Debian's chromium + chromium-driver (apt; only when /usr/bin/chromium or
#   /usr/bin/chromedriver is missing) and selenium into the given Python.
# Usage: tests/e2e/install_browser.sh [PYTHON]     (default: python3 on PATH)
# Needs root (or sudo) for apt-get. Idempotent: does nothing when all is there.
# selenium is always pointed at /usr/bin/chromedriver by the tests; it never
# downloads a driver.
set -euo pipefail
PY="${1:-python3}"

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install_browser.sh: need root or sudo for apt-get" >&2; exit 1; }
    SUDO="sudo"
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi

if ! "$PY" -c "import selenium" 2>/dev/null; then
  "$PY" -m pip install -q "selenium>=4.11"
fi

/usr/bin/chromium --version 2>/dev/null  # Debian's wrapper script prints a harmless shell error on some machines
/usr/bin/chromedriver --version
"$PY" -c "import selenium; print('selenium', selenium.__version__)"
