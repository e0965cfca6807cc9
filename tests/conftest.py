"""Shared fixtures. The ComfyUI fixtures skip without ComfyUI, and FAIL under CI=true (CI must run them)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test helpers
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))  # exact fields, grids

import comfy_harness  # noqa: E402

comfy_harness.import_rf_core()  # once, as the pack's own subpackage: `import rf_core` in a test is that module


def _tested_against() -> str:
    """Which ComfyUI (its comfyui_version.py) and which frontend package these tests run against."""
    path = comfy_harness.find_comfyui()
    if path is None:
        return "ComfyUI: not found (" + ("CI=true: its tests fail" if _in_ci() else "its tests skip") + ")"
    return f"ComfyUI {comfy_harness.comfyui_version(path)} at {path}, frontend {comfy_harness.frontend_version()}"


def pytest_report_header(config):
    return [_tested_against()]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(_tested_against())  # also under -q, next to the pass/fail counts


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def comfyui_path() -> Path:
    path = comfy_harness.find_comfyui()
    if path is None:
        if _in_ci():
            pytest.fail("CI=true but ComfyUI was not found. " + comfy_harness.SETUP_HINT, pytrace=False)
        pytest.skip(comfy_harness.SETUP_HINT)
    return path


@pytest.fixture(scope="session")
def comfy(comfyui_path):
    """The real ComfyUI runtime, imported on the CPU."""
    try:
        return comfy_harness.import_comfyui(comfyui_path)
    except ImportError as e:
        msg = f"ComfyUI at {comfyui_path} failed to import ({e}). " + comfy_harness.SETUP_HINT
        if _in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def pack(comfy):
    """This pack, imported as ComfyUI imports a custom node folder."""
    return comfy_harness.load_pack()


@pytest.fixture(scope="session")
def zoo(comfy):
    """tests/model_zoo.py: the tiny model families (importable only with ComfyUI: it introspects it)."""
    import model_zoo

    return model_zoo


@pytest.fixture(scope="session")
def flux_dev(comfy):
    return comfy_harness.tiny_flux(schnell=False, seed=1)


@pytest.fixture(scope="session")
def flux_schnell(comfy):
    return comfy_harness.tiny_flux(schnell=True, seed=2)


@pytest.fixture(scope="session")
def sd3(comfy):
    return comfy_harness.tiny_sd3(seed=3)


@pytest.fixture(scope="session")
def chroma(comfy):
    return comfy_harness.tiny_chroma(seed=5)


@pytest.fixture(scope="session")
def wan21(comfy):
    return comfy_harness.tiny_wan21(seed=6)


@pytest.fixture(scope="session")
def hunyuan_video(comfy):
    return comfy_harness.tiny_hunyuan_video(seed=7)
