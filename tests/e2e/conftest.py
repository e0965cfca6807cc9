"""Fixtures for the end-to-end tests: one real ComfyUI server and one headless Chromium per session.

Missing prerequisites skip the tests with a how-to, except under CI=true where
they fail: CI must really run these.
"""
import os
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import e2e_browser as browser  # noqa: E402
import e2e_server  # noqa: E402
import e2e_fixtures as fixtures_data  # noqa: E402

from e2e_config import ARTIFACTS, load_workflow_file  # noqa: E402

SETUP_HINT = ("set COMFYUI_PATH to a ComfyUI checkout (v0.3.64+) whose requirements are installed in this "
              "Python, and run tests/e2e/install_browser.sh for Chromium + selenium")


def _unavailable(reason):
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"end-to-end prerequisites missing under CI: {reason}", pytrace=False)
    pytest.skip(f"{reason}; {SETUP_HINT}")


@pytest.fixture(scope="session")
def e2e_base_dir():
    base = tempfile.mkdtemp(prefix="rfinv-e2e-")
    yield Path(base)
    e2e_server.cleanup_base_dir(base)


@pytest.fixture(scope="session")
def comfy_server(e2e_base_dir):
    """A real ComfyUI (main.py --cpu) on a free port with this pack and the test stand-ins."""
    comfy_dir = e2e_server.find_comfyui()
    if comfy_dir is None:
        _unavailable("no ComfyUI found (COMFYUI_PATH, ../.. of this pack, /opt/ComfyUI)")
    server = e2e_server.ComfyServer(comfy_dir, e2e_base_dir, frontend_settings=browser.FRONTEND_SETTINGS,
                                      pack_dir=os.environ.get("RFINV_E2E_PACK_DIR", e2e_server.REPO_ROOT))
    fixtures_data.write_source_image(e2e_base_dir / "input" / "example.png")
    server.start()
    yield server
    server.stop()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "server.log").write_text(server.log_tail(2_000_000))


@pytest.fixture(scope="session")
def object_info(comfy_server):
    return comfy_server.object_info()


@pytest.fixture(scope="session")
def chrome(comfy_server, e2e_base_dir):
    reason = browser.browser_missing_reason()
    if reason:
        _unavailable(reason)
    driver = browser.make_driver(e2e_base_dir / "chrome-profile")
    driver.set_window_size(*browser.SCREENSHOT_WINDOW)
    try:
        browser.open_app(driver, comfy_server.url)
        yield driver
    finally:
        browser.quit_driver(driver)


_frontend_cache = {}


@pytest.fixture
def frontend_load(chrome):
    """Load a workflow file in the editor; returns (load report, graphToPrompt result). Cached per name."""
    def load(name):
        if name not in _frontend_cache:
            report = browser.load_workflow(chrome, load_workflow_file(name), name)
            prompt = browser.graph_to_prompt(chrome)
            _frontend_cache[name] = (report, prompt)
        return _frontend_cache[name]
    return load
