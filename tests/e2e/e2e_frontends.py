"""Which ComfyUI frontends the end-to-end tests drive.

Always the comfyui-frontend-package installed beside ComfyUI (the version its requirements.txt pins); also
every frontend named in RF_E2E_EXTRA_FRONTENDS, a colon-separated list of frontend static directories (the
``comfyui_frontend_package/static`` folder of an unpacked wheel, as tests/e2e/fetch_frontend.sh makes), each
served by its own server through ``--front-end-root``. The version of a static directory is read from the
wheel's dist-info beside its package folder, so test ids can name it before any server starts.
"""
import importlib.metadata
import os
import re
from dataclasses import dataclass
from pathlib import Path

EXTRA_ENV = "RF_E2E_EXTRA_FRONTENDS"
PACKAGE = "comfyui_frontend_package"
# From this version on the frontend lists missing nodes (and models) in the right side panel's issues tab,
# reached from an error overlay; before it, a dialog names them.
ISSUES_TAB_SINCE = (1, 40, 0)


def version_tuple(version):
    return tuple(int(p) for p in version.split("."))


@dataclass(frozen=True)
class Frontend:
    version: str
    static_dir: Path | None  # None: the server's default, the package installed beside ComfyUI

    @property
    def pinned(self):
        return self.static_dir is None

    @property
    def id(self):
        return f"frontend-{self.version}"

    @property
    def has_issues_tab(self):
        return version_tuple(self.version) >= ISSUES_TAB_SINCE

    def describe(self):
        if self.pinned:
            return f"frontend {self.version} (the comfyui-frontend-package installed beside ComfyUI)"
        return f"frontend {self.version} (--front-end-root {self.static_dir})"


def pinned_frontend():
    """The frontend a server without --front-end-root serves; version 'missing' when the package is absent
    (the server fixture then reports what to install)."""
    try:
        return Frontend(importlib.metadata.version(PACKAGE), None)
    except importlib.metadata.PackageNotFoundError:
        return Frontend("missing", None)


def static_dir_version(static_dir):
    """Version of an unpacked comfyui-frontend-package wheel, from the dist-info beside its package folder."""
    static_dir = Path(static_dir)
    how = f"make one with tests/e2e/fetch_frontend.sh VERSION DEST (it prints the directory for {EXTRA_ENV})"
    if not (static_dir / "index.html").is_file():
        raise ValueError(f"{EXTRA_ENV}: {static_dir} is not a frontend static directory (no index.html); {how}")
    package = static_dir.parent
    infos = sorted(package.parent.glob(f"{PACKAGE}-*.dist-info/METADATA")) if package.name == PACKAGE else []
    if len(infos) != 1:
        raise ValueError(f"{EXTRA_ENV}: {static_dir} is not .../{PACKAGE}/static of one unpacked wheel "
                         f"(found {len(infos)} {PACKAGE}-*.dist-info beside it), so its version is unknown; {how}")
    found = re.search(r"^Version: *(\S+)$", infos[0].read_text(), re.M)
    if not found:
        raise ValueError(f"{EXTRA_ENV}: {infos[0]} names no Version")
    return found.group(1)


def extra_frontends(environ=os.environ):
    dirs = [d for d in environ.get(EXTRA_ENV, "").split(":") if d.strip()]
    return [Frontend(static_dir_version(d), Path(d).resolve()) for d in dirs]


def all_frontends(environ=os.environ):
    """(frontends, notes): the pinned frontend first, then each extra one whose version is not there already;
    a note says which extra directory was dropped for repeating a version."""
    frontends, notes = [pinned_frontend()], []
    for extra in extra_frontends(environ):
        same = next((f for f in frontends if f.version == extra.version), None)
        if same is not None:
            notes.append(f"{EXTRA_ENV}: {extra.static_dir} is {same.describe()} again; tested once")
            continue
        frontends.append(extra)
    return frontends, notes
