"""Which frontends the e2e tests drive (e2e_frontends, RF_E2E_EXTRA_FRONTENDS) and fetch_frontend.sh's
idempotent path; plain files only, no server or browser."""
import subprocess
from pathlib import Path

import pytest

import e2e_frontends as frontends

FETCH = Path(__file__).resolve().parent / "fetch_frontend.sh"


def _unpacked_wheel(dest, version):
    """The layout `pip download` + unzip gives: the package's static/ and the dist-info naming the version."""
    static = dest / "comfyui_frontend_package" / "static"
    static.mkdir(parents=True)
    (static / "index.html").write_text("<html></html>")
    info = dest / f"comfyui_frontend_package-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: comfyui_frontend_package\nVersion: {version}\n")
    return static


def test_the_version_of_a_static_dir_comes_from_its_wheel(tmp_path):
    static = _unpacked_wheel(tmp_path / "fe", "1.58.1")
    assert frontends.static_dir_version(static) == "1.58.1"
    extra = frontends.extra_frontends({frontends.EXTRA_ENV: f"{static}:"})
    assert [(f.version, f.static_dir, f.pinned, f.id) for f in extra] == [
        ("1.58.1", static, False, "frontend-1.58.1")]
    assert extra[0].has_issues_tab and not frontends.Frontend("1.39.19", None).has_issues_tab


def test_a_dir_that_is_not_an_unpacked_frontend_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match="no index.html.*fetch_frontend.sh"):
        frontends.static_dir_version(tmp_path)
    static = _unpacked_wheel(tmp_path / "fe", "1.58.1")
    (tmp_path / "fe" / "comfyui_frontend_package-1.58.1.dist-info" / "METADATA").unlink()
    with pytest.raises(ValueError, match="found 0 .*fetch_frontend.sh"):
        frontends.static_dir_version(static)


def test_the_pinned_frontend_comes_first_and_a_repeated_version_is_tested_once(tmp_path):
    pinned = frontends.pinned_frontend()
    assert pinned.pinned
    assert frontends.all_frontends({}) == ([pinned], [])
    if pinned.version == "missing":
        pytest.skip("comfyui-frontend-package is not installed in this Python: no pinned version to repeat")
    again = _unpacked_wheel(tmp_path / "again", pinned.version)
    other = _unpacked_wheel(tmp_path / "other", "0.0.1")
    listed, notes = frontends.all_frontends({frontends.EXTRA_ENV: f"{again}:{other}"})
    assert [f.version for f in listed] == [pinned.version, "0.0.1"]
    assert len(notes) == 1 and str(again) in notes[0] and "tested once" in notes[0]


def _fetch(version, dest):
    # PYTHON=false: any attempt to download fails, so a pass proves nothing was fetched
    return subprocess.run(["bash", str(FETCH), version, str(dest)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHON": "false"})


def test_fetch_frontend_keeps_what_is_there_and_refuses_another_version(tmp_path):
    static = _unpacked_wheel(tmp_path / "fe", "1.58.1")
    done = _fetch("1.58.1", tmp_path / "fe")
    assert (done.returncode, done.stdout) == (0, f"{static}\n"), done.stderr
    other = _fetch("1.47.12", tmp_path / "fe")
    assert other.returncode == 1 and other.stdout == "" and "not comfyui-frontend-package 1.47.12" in other.stderr
    assert (static / "index.html").is_file()
