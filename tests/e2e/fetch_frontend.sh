#!/usr/bin/env bash
# Fetch one ComfyUI frontend for the end-to-end tests' RF_E2E_EXTRA_FRONTENDS.
#   tests/e2e/fetch_frontend.sh VERSION DEST
# Downloads the comfyui-frontend-package==VERSION wheel from PyPI (pip download --no-deps) and unpacks it
# into DEST (DEST/comfyui_frontend_package/static and the wheel's dist-info, which names the version), then
# prints the static directory, the only line on stdout:
#   RF_E2E_EXTRA_FRONTENDS="$(tests/e2e/fetch_frontend.sh 1.58.1 /cache/frontend-1.58.1)"
# Idempotent: when DEST already holds that version it only prints the path. A DEST holding anything else is
# left alone (an error says so). PYTHON (default python3) is the interpreter whose pip downloads.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 VERSION DEST" >&2
  exit 2
fi
VERSION="$1"
DEST="$2"
PY="${PYTHON:-python3}"
STATIC="$DEST/comfyui_frontend_package/static"
METADATA="$DEST/comfyui_frontend_package-$VERSION.dist-info/METADATA"

if [ -f "$STATIC/index.html" ] && grep -qx "Version: $VERSION" "$METADATA" 2>/dev/null; then
  echo "$STATIC"
  exit 0
fi
if [ -e "$DEST" ]; then
  echo "$0: $DEST exists but is not comfyui-frontend-package $VERSION unpacked; remove it or choose another DEST" >&2
  exit 1
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rfinv-frontend-$VERSION.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# (minus pip's warning for each local file:// index a machine's pip.conf may list that lacks this package)
"$PY" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary :all: --dest "$WORK/wheel" \
  "comfyui-frontend-package==$VERSION" >&2 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
WHEEL=("$WORK"/wheel/comfyui_frontend_package-"$VERSION"-*.whl)
if [ ! -f "${WHEEL[0]}" ]; then
  echo "$0: pip download gave no comfyui_frontend_package-$VERSION wheel" >&2
  exit 1
fi
# Unpack beside DEST and move it into place in one step, so an interrupted run never leaves a half DEST.
mkdir -p "$(dirname "$DEST")"
UNPACKED="$(mktemp -d "$(dirname "$DEST")/.$(basename "$DEST").XXXXXX")"
chmod 755 "$UNPACKED"
"$PY" -m zipfile -e "${WHEEL[0]}" "$UNPACKED"
if [ ! -f "$UNPACKED/comfyui_frontend_package/static/index.html" ]; then
  rm -rf "$UNPACKED"
  echo "$0: ${WHEEL[0]##*/} has no comfyui_frontend_package/static/index.html" >&2
  exit 1
fi
mv -T "$UNPACKED" "$DEST"
echo "$STATIC"
