"""What the Comfy Registry and ComfyUI-Manager read: pyproject.toml's metadata, the Icon and Banner it names, the
file set `comfy node publish` uploads (git's tracked files minus .comfyignore), and the dependency lists.

comfy-cli (PyPI) does the Registry's side: `comfy node validate` checks pyproject.toml offline and `comfy node
pack` builds the zip that `comfy node publish` uploads, with the same function. The tests find the `comfy`
executable through RF_COMFY_CLI, else PATH; without it they skip, and fail under CI=true.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
RAW_MAIN = "https://raw.githubusercontent.com/rf-inversion/comfyui-rf-inversion/main/"
REPOSITORY = "https://github.com/rf-inversion/comfyui-rf-inversion"
CODE_DIRS = ("nodes", "rf_core", "toyworld")  # what ComfyUI imports; tests/ and bench/ are not published
DEV_ONLY = ("tests", "bench", ".ci")  # never published
PUBLISHED = ("__init__.py", "nodes", "rf_core", "toyworld", "workflows", "web", "LICENSE", "README.md",
             "pyproject.toml", "requirements.txt")
DEMO_FILES = ("toyworld/scene_model.safetensors", "toyworld/scene_model.json")  # the demo's weights and manifest
MAX_PACK_MIB = 12  # the published zip; the demo's weights are 4.4 MiB of it
CLI_HINT = ("install comfy-cli into a venv of its own (python -m venv V && V/bin/pip install comfy-cli) and put "
            "V/bin on PATH or set RF_COMFY_CLI=V/bin/comfy")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def comfy_cli() -> str:
    found = os.environ.get("RF_COMFY_CLI") or shutil.which("comfy")
    if not found or not os.access(found, os.X_OK):
        msg = f"comfy-cli not found (RF_COMFY_CLI={os.environ.get('RF_COMFY_CLI')!r}, no `comfy` on PATH): {CLI_HINT}"
        if _in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return found


def run_comfy(cli: str, args: list[str], cwd: Path, home: Path) -> str:
    """comfy-cli non-interactively, telemetry off, its config in a throw-away HOME. Returns stdout + stderr."""
    env = dict(os.environ, HOME=str(home), DO_NOT_TRACK="1", COMFY_NO_TELEMETRY="1", NO_COLOR="1")
    proc = subprocess.run([cli, *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"comfy {' '.join(args)} exited {proc.returncode}:\n{out}"
    return out


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


# -- comfy node validate ------------------------------------------------------------------------------------------

def test_comfy_node_validate_passes_without_warnings(comfy_cli, tmp_path):
    """comfy-cli only warns (exit 0) on a bad classifier, requires-comfyui or license, and drops the field: a
    warning is a failure here. Its ruff security scan (exec, eval, two statements on one line) must be clean."""
    out = run_comfy(comfy_cli, ["node", "validate"], REPO, tmp_path)
    assert "Warning" not in out and "Error" not in out, out
    assert "Security warnings" not in out, out
    assert "All validation checks passed" in out, out


# -- what is published -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pack_zip(comfy_cli, tmp_path_factory) -> Path:
    """The zip `comfy node pack` builds from a copy of this checkout's tracked files (so the repo is left
    untouched): exactly what `comfy node publish` uploads."""
    work = tmp_path_factory.mktemp("pack")
    tree = work / "tree"
    for rel in tracked_files():
        src = REPO / rel
        if src.is_file():  # a tracked file deleted in the working tree is not published either
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, tree / rel)
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
    run_comfy(comfy_cli, ["node", "pack"], tree, work)
    return tree / "node.zip"


@pytest.fixture(scope="module")
def published(pack_zip) -> set[str]:
    """The files of the published zip."""
    with zipfile.ZipFile(pack_zip) as z:
        return {n for n in z.namelist() if not n.endswith("/")}


def _under(files: set[str], top: str) -> list[str]:
    return sorted(f for f in files if f == top or f.startswith(top + "/"))


def test_published_pack_has_what_users_need_and_no_dev_files(published):
    missing = [p for p in PUBLISHED if not _under(published, p)]
    assert missing == [], f"not in the published pack: {missing}"
    assert [f for top in DEV_ONLY for f in _under(published, top)] == []
    # the help pages and the subgraph blueprints are in it with everything under them
    for top in ("web", "subgraphs"):
        tracked = set(_under(set(tracked_files()), top))
        assert tracked and tracked <= published, (top, sorted(tracked - published))


def test_the_demo_ships_its_weights_and_the_pack_stays_small(published, pack_zip):
    """The demo needs no download: its weights and their manifest are in the published pack, and the zip stays
    small (MAX_PACK_MIB)."""
    assert [f for f in DEMO_FILES if f not in published] == []
    size = pack_zip.stat().st_size / 2**20
    print(f"published pack: {size:.2f} MiB zipped, {len(published)} files")
    assert size < MAX_PACK_MIB, size


def test_every_top_level_folder_is_published_unless_dev_only(published):
    """New user-facing folders (locales/, ...) need no .comfyignore change; only DEV_ONLY is dropped."""
    tops = {f.split("/")[0] for f in tracked_files() if "/" in f}
    assert sorted(t for t in tops - set(DEV_ONLY) if not _under(published, t)) == []


MD_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.parametrize("pattern", ["README.md", "docs/*.md", "web/docs/*.md"])
def test_published_markdown_links_resolve_inside_the_pack(published, pattern):
    """Every relative link or picture of the published README, docs and help pages is a published file."""
    pages = sorted(REPO.glob(pattern))
    assert pages, pattern
    broken = []
    for page in pages:
        for target in MD_LINK.findall(page.read_text()):
            if re.match(r"^[a-z]+:|^#", target):
                continue
            rel = os.path.normpath(os.path.join(os.path.dirname(page.relative_to(REPO)), target.split("#")[0]))
            if rel.replace(os.sep, "/") not in published:
                broken.append(f"{page.relative_to(REPO)} -> {target}")
    assert broken == []


# -- the metadata's paths and numbers -----------------------------------------------------------------------------

def _repo_path_of(url: str) -> Path:
    assert url.startswith(RAW_MAIN), f"{url} is not a file of the repository's main branch ({RAW_MAIN}...)"
    path = REPO / url[len(RAW_MAIN):]
    assert path.is_file(), f"{url} names {path.relative_to(REPO)}, which does not exist"
    assert str(path.relative_to(REPO)) in tracked_files(), f"{path.relative_to(REPO)} is not tracked by git"
    return path


def test_icon_exists_is_square_and_at_most_400px():
    from PIL import Image

    with Image.open(_repo_path_of(PYPROJECT["tool"]["comfy"]["Icon"])) as img:
        assert img.width == img.height <= 400, img.size
        assert img.width >= 128, "an icon this small is blurry in the Manager"


def test_banner_exists_and_is_21_by_9():
    from PIL import Image

    with Image.open(_repo_path_of(PYPROJECT["tool"]["comfy"]["Banner"])) as img:
        assert abs(img.width / img.height - 21 / 9) < 0.01, img.size


def test_includes_exist():
    for inc in PYPROJECT["tool"]["comfy"]["includes"]:
        assert (REPO / inc).exists(), inc


def test_urls_point_at_the_repository():
    urls = PYPROJECT["project"]["urls"]
    for key in ("Repository", "Documentation", "Bug Tracker", "Issues"):
        assert urls[key].startswith(REPOSITORY), (key, urls[key])


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


@pytest.mark.comfyui
def test_the_comfyui_under_test_meets_requires_comfyui(comfyui_path):
    """requires-comfyui is the oldest ComfyUI CI tests: a ComfyUI this suite runs on must satisfy it."""
    req = PYPROJECT["tool"]["comfy"]["requires-comfyui"]
    m = re.fullmatch(r">=(\d+\.\d+\.\d+)", req)
    assert m, f"requires-comfyui {req!r} is not '>=X.Y.Z'"
    text = (comfyui_path / "comfyui_version.py").read_text()
    version = re.search(r"__version__\s*=\s*['\"]([\d.]+)['\"]", text).group(1)
    print(f"ComfyUI {version} under test; requires-comfyui {req}")
    assert _version_tuple(version) >= _version_tuple(m.group(1))


# -- dependencies: listed == imported --------------------------------------------------------------------------

def _requirement_names(lines) -> set[str]:
    names = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\s<>=!~;\[@]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def _listed() -> set[str]:
    return _requirement_names(PYPROJECT["project"]["dependencies"])


def _imports_of(dist: str) -> set[str]:
    """Top-level import names a distribution provides (its installed metadata; else the usual spelling)."""
    names = {mod for mod, dists in importlib.metadata.packages_distributions().items()
             if dist in {d.lower().replace("_", "-") for d in dists}}
    return names or {dist.replace("-", "_")}


def _third_party_imports() -> dict[str, list[str]]:
    """Absolute imports in the published code (nodes/, rf_core/, __init__.py) outside the standard library."""
    found: dict[str, list[str]] = {}
    files = [REPO / "__init__.py", *(p for d in CODE_DIRS for p in sorted((REPO / d).rglob("*.py")))]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods = [node.module]
            else:
                continue
            for mod in mods:
                top = mod.split(".")[0]
                if top not in sys.stdlib_module_names and top != "__future__":
                    found.setdefault(top, []).append(str(path.relative_to(REPO)))
    return found


def test_requirements_txt_lists_the_same_as_pyproject():
    assert _requirement_names((REPO / "requirements.txt").read_text().splitlines()) == _listed()


def test_every_listed_dependency_is_imported():
    imported = set(_third_party_imports())
    unused = sorted(d for d in _listed() if not _imports_of(d) & imported)
    assert unused == [], f"listed in pyproject/requirements.txt but imported nowhere in {CODE_DIRS}: {unused}"


@pytest.mark.comfyui
def test_every_third_party_import_is_listed_or_comes_with_comfyui(comfyui_path):
    """ComfyUI provides its own modules (comfy, comfy_api, node_helpers, ...) and what its requirements.txt
    installs (torch, tqdm, ...); anything else the code imports must be a listed dependency."""
    own = {p.stem for p in comfyui_path.glob("*.py")} | {p.name for p in comfyui_path.iterdir() if p.is_dir()}
    reqs = _requirement_names((comfyui_path / "requirements.txt").read_text().splitlines())
    provided = own | {m for r in reqs for m in _imports_of(r)}
    listed = {m for d in _listed() for m in _imports_of(d)}
    unlisted = {m: where for m, where in _third_party_imports().items() if m not in provided | listed}
    assert unlisted == {}, f"imported but neither listed nor provided by ComfyUI: {unlisted}"
