"""Fixtures for the end-to-end tests: real ComfyUI servers and headless Chromium.

Servers and frontends:
* ``comfy_server`` (session): THE server, a real ComfyUI (main.py --cpu) with this pack and the test stand-ins,
  serving the frontend this ComfyUI pins (the comfyui-frontend-package installed beside it). Tests of the
  server alone (object_info, templates, executing prompts) use it, once per ComfyUI version.
* ``frontend`` (session, parametrized): each frontend the editor tests drive (e2e_frontends.Frontend): the
  pinned one, then every static directory in RF_E2E_EXTRA_FRONTENDS (colon-separated). Test ids name its
  version (``frontend-1.47.12``). Every test that uses it, or a fixture below that depends on it, runs once per
  frontend.
* ``frontend_server`` (session, per frontend): ``comfy_server`` for the pinned frontend, else a server of its
  own started with ``--front-end-root`` (stopped when its frontend's tests are done).
* ``chrome`` (session, per frontend): headless Chromium with the editor open on ``frontend_server``; checks
  that the page runs the frontend expected.
* ``frontend_load`` (per frontend): load a shipped workflow in the editor, returning (load report,
  graphToPrompt result), cached per frontend and workflow.

Each server prints (to the terminal, also under -q) which ComfyUI and frontend version it runs.
Missing prerequisites skip the tests with a how-to, except under CI=true where they fail: CI must really run
these.
"""
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import e2e_browser as browser  # noqa: E402
import e2e_frontends as frontends  # noqa: E402
import e2e_server  # noqa: E402
import e2e_fixtures as fixtures_data  # noqa: E402

from e2e_config import ARTIFACTS, load_workflow_file, say  # noqa: E402
from workflow_specs_families import SOURCE_VIDEO  # noqa: E402

SETUP_HINT = ("run `bash .ci/run` (it fetches ComfyUI and the browser and runs these tests), or set COMFYUI_PATH to a "
              "ComfyUI (0.16.3+) whose requirements are installed in this Python and run "
              "tests/e2e/install_browser.sh for Chromium + selenium")

FRONTENDS, FRONTEND_NOTES = frontends.all_frontends()


def _unavailable(reason):
    if e2e_server.in_ci():
        pytest.fail(f"end-to-end prerequisites missing under CI: {reason}", pytrace=False)
    pytest.skip(f"{reason}; {SETUP_HINT}")


def _comfy_dir():
    comfy_dir = e2e_server.find_comfyui()
    if comfy_dir is None:
        _unavailable("no ComfyUI found (COMFYUI_PATH, ../.. of this pack, or the ComfyUI `bash .ci/run` fetches)")
    return comfy_dir


def _start_server(config, base_dir, frontend):
    comfy_dir = _comfy_dir()
    server = e2e_server.ComfyServer(comfy_dir, base_dir, frontend_settings=browser.FRONTEND_SETTINGS,
                                    pack_dir=os.environ.get("RFINV_E2E_PACK_DIR", e2e_server.REPO_ROOT),
                                    front_end_root=frontend.static_dir)
    fixtures_data.write_source_image(Path(base_dir) / "input" / "example.png")
    fixtures_data.write_source_video(Path(base_dir) / "input" / SOURCE_VIDEO)
    server.start()
    pins = e2e_server.pinned_frontend_version(comfy_dir)
    say(config, f"server {server.url}: ComfyUI {e2e_server.comfyui_version(Path(comfy_dir))} ({comfy_dir}; its "
                 f"requirements.txt pins frontend {pins}), {frontend.describe()}")
    while FRONTEND_NOTES:
        say(config, FRONTEND_NOTES.pop(0))
    return server


def _keep_log(server, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / name).write_text(server.log_tail(2_000_000))


@pytest.fixture(scope="session")
def e2e_base_dir():
    """The base directory (--base-directory) of ``comfy_server``."""
    base = tempfile.mkdtemp(prefix="rfinv-e2e-")
    yield Path(base)
    e2e_server.cleanup_base_dir(base)


@pytest.fixture(scope="session")
def comfy_server(e2e_base_dir, request):
    """A real ComfyUI (main.py --cpu) on a free port with this pack and the test stand-ins, serving the
    frontend this ComfyUI pins."""
    server = _start_server(request.config, e2e_base_dir, FRONTENDS[0])
    yield server
    server.stop()
    _keep_log(server, "server.log")


@pytest.fixture(scope="session")
def object_info(comfy_server):
    return comfy_server.object_info()


@pytest.fixture(scope="session")
def ours(object_info):
    """node id -> pack folder, for the nodes the server loaded from this pack."""
    found = e2e_server.pack_nodes(object_info)
    assert found, "the server lists no node from this pack's folder"
    return found


@pytest.fixture(scope="session", params=FRONTENDS, ids=[f.id for f in FRONTENDS])
def frontend(request):
    """One of the frontends under test (e2e_frontends.Frontend); pinned first."""
    return request.param


@pytest.fixture(scope="session")
def frontend_server(frontend, request):
    """The server that serves ``frontend``: comfy_server for the pinned one, else its own."""
    if frontend.pinned:
        yield request.getfixturevalue("comfy_server")
        return
    base = tempfile.mkdtemp(prefix=f"rfinv-e2e-{frontend.id}-")
    try:
        server = _start_server(request.config, base, frontend)
        try:
            yield server
        finally:
            server.stop()
            _keep_log(server, f"server-{frontend.id}.log")
    finally:
        e2e_server.cleanup_base_dir(base)


@pytest.fixture(scope="session")
def chrome(frontend, frontend_server, request):
    """Headless Chromium with the editor of ``frontend_server`` open, on ``frontend``."""
    reason = browser.browser_missing_reason()
    if reason:
        _unavailable(reason)
    profile = tempfile.mkdtemp(prefix=f"rfinv-chrome-{frontend.id}-")
    driver = browser.make_driver(profile)
    driver.set_window_size(*browser.SCREENSHOT_WINDOW)
    try:
        page_version = browser.open_app(driver, frontend_server.url)
        say(request.config, f"editor {frontend_server.url}: the page runs frontend {page_version}")
        assert page_version == frontend.version, (
            f"{frontend_server.url} serves frontend {page_version}, expected {frontend.describe()}")
        yield driver
    finally:
        browser.quit_driver(driver)
        shutil.rmtree(profile, ignore_errors=True)


_frontend_cache = {}


@pytest.fixture
def frontend_load(frontend, chrome):
    """Load a workflow file in the editor; returns (load report, graphToPrompt result). Cached per frontend
    and name (a test that needs the workflow on screen loads it again: see test_e2e_frontend_load)."""
    def load(name):
        key = (frontend.id, name)
        if key not in _frontend_cache:
            report = browser.load_workflow(chrome, load_workflow_file(name), name)
            prompt = browser.graph_to_prompt(chrome)
            _frontend_cache[key] = (report, prompt)
        return _frontend_cache[key]
    return load
