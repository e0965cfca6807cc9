"""Paths, names and the run report shared by the end-to-end tests and the workflow builder."""
import json

from e2e_server import REPO_ROOT

WORKFLOW_DIR = REPO_ROOT / "workflows"
DOCS = REPO_ROOT / "web" / "docs"  # the help pages (WEB_DIRECTORY web/, served at /extensions/<pack folder>/)
ARTIFACTS = REPO_ROOT / "tests" / "_artifacts" / "e2e"
WORKFLOW_NAMES = ["rf_inversion_edit", "rf_inversion_edit_fast", "stroke_to_image", "regional_edit",
                  "stochastic_sampling", "power_user", "qwen_image_edit", "wan_video_edit", "scene_demo"]


def load_workflow_file(name):
    return json.loads((WORKFLOW_DIR / f"{name}.json").read_text())


def say(config, line):
    """A line on the terminal, outside pytest's capture (also under -q): what each run tested."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(f"[e2e] {line}")
        return
    with capture.global_and_fixture_disabled():
        if reporter._tw.width_of_current_line:  # after -q's progress dots
            reporter.write("\n")
        reporter.write_line(f"[e2e] {line}")
