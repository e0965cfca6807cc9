"""The fixtures of the whole suite (tests/e2e/conftest.py adds only the servers and browsers). The ComfyUI
fixtures skip without ComfyUI, and FAIL under CI=true (CI must run them).

Test support code lives in tests/support/ (on sys.path from here; each module's docstring says its job); the
scripts run from the command line (i18n_record.py, build_family_table.py) stay in tests/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the command-line scripts (build_family_table)
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))  # the support modules

import comfy_harness  # noqa: E402
import mixtures  # noqa: E402
from seeded import gen  # noqa: E402

comfy_harness.import_rf_core()  # once, as the pack's own subpackage: `import rf_core` in a test is that module


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Every test module runs with one intra-op thread (the previous setting restored after it): the solvers and
    the tiny models issue thousands of tiny ops, and on a shared 2-core machine intra-op threads only add
    contention (measured 2-10x slower under load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _tested_against() -> str:
    """Which ComfyUI (its comfyui_version.py) and which frontend package these tests run against."""
    path = comfy_harness.find_comfyui()
    if path is None:
        return "ComfyUI: not found (" + ("CI=true: its tests fail" if comfy_harness.in_ci() else "its tests skip") + ")"
    return f"ComfyUI {comfy_harness.comfyui_version(path)} at {path}, frontend {comfy_harness.frontend_version()}"


def pytest_report_header(config):
    return [_tested_against()]


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(_tested_against())  # also under -q, next to the pass/fail counts


@pytest.fixture(scope="session")
def comfyui_path() -> Path:
    path = comfy_harness.find_comfyui()
    if path is None:
        if comfy_harness.in_ci():
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
        if comfy_harness.in_ci():
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)


@pytest.fixture(scope="session")
def pack(comfy):
    """This pack, imported as ComfyUI imports a custom node folder."""
    return comfy_harness.load_pack()


@pytest.fixture(scope="session")
def zoo(comfy):
    """tests/support/model_zoo.py: the tiny model families (importable only with ComfyUI: it introspects it)."""
    import model_zoo

    return model_zoo


@pytest.fixture(scope="session")
def flux_dev(comfy):
    return comfy_harness.tiny_flux(schnell=False, seed=1)


@pytest.fixture(scope="session")
def flux_schnell(comfy):
    return comfy_harness.tiny_flux(schnell=True, seed=2)


@pytest.fixture(scope="session")
def sd3(zoo):
    return zoo.BY_NAME["SD3"].build(seed=3)


@pytest.fixture(scope="session")
def chroma(zoo):
    """The zoo's Chroma (64-wide modulation approximator): no guidance embedding, but its conditioning READS
    `guidance` (default 0) into the approximator, so a value written there changes its output."""
    return zoo.BY_NAME["Chroma"].build(seed=5, hidden_dim=64, vec_in_dim=64)


@pytest.fixture(scope="session")
def wan21(zoo):
    return zoo.BY_NAME["Wan 2.1 T2V"].build(seed=6, text_len=8)


@pytest.fixture(scope="session")
def hunyuan_video(zoo):
    return zoo.BY_NAME["HunyuanVideo"].build(seed=7)


@pytest.fixture(scope="module")
def sd15(comfy):
    """An epsilon-prediction model: what the pack must refuse by name."""
    return comfy_harness.tiny_sd15(seed=4)


# --- the pack's nodes --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def infos(pack):
    """node id -> GET_NODE_INFO_V1() (what GET /object_info serves) of every node the pack registers."""
    import translations

    out = translations.node_infos(pack)
    for info in out.values():
        json.dumps(info)  # what /object_info serves must be JSON
    return out


@pytest.fixture(scope="module")
def runner(pack):
    """One PromptExecutor (one cache) for the module (executor.new_runner)."""
    import executor

    return executor.new_runner(pack)


@pytest.fixture
def fresh_runner(pack):
    """A PromptExecutor of the test's own: an empty cache, for tests of caching, Cancel, memory and progress."""
    import executor

    return executor.new_runner(pack)


# --- the rf_core tests' exact model --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gm(request):
    """The module's Gaussian mixture, mixtures.mixture(seed=GM_SEED): GM_SEED is set by the test module."""
    seed = getattr(request.module, "GM_SEED", None)
    assert seed is not None, f"{request.module.__name__} uses the gm fixture: set GM_SEED (the mixture's seed)"
    return mixtures.mixture(seed=seed)


@pytest.fixture(scope="module")
def y0(request, gm):
    """A LATENT-shaped batch of gm's samples, drawn from gen(Y0_SEED) (the module's Y0_SEED, else 1)."""
    return gm.sample(mixtures.LATENT[0], gen(getattr(request.module, "Y0_SEED", 1))).reshape(mixtures.LATENT)
