"""Each shipped workflow loads in ComfyUI's real frontend and converts to an API prompt."""
import pytest

import e2e_browser as browser  # noqa: E402
import e2e_checks as checks
from e2e_config import ARTIFACTS, WORKFLOW_NAMES, load_workflow_file

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_workflow_loads_without_warnings(name, frontend_load, object_info):
    report, _ = frontend_load(name)
    assert report["configured"], "loadGraphData never reached afterConfigureGraph"
    assert report["missing"] == [], f"frontend reports missing node types: {report['missing']}"
    unregistered = [n["type"] for n in report["nodes"] if not n["registered"]]
    assert unregistered == [], f"nodes the frontend does not know: {unregistered}"
    assert report["dialogs"] == [], f"the editor showed dialogs/toasts on load: {report['dialogs']}"
    assert len(report["nodes"]) == len(load_workflow_file(name)["nodes"])


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_every_widget_value_valid(name, frontend_load, object_info):
    report, _ = frontend_load(name)
    assert checks.widget_problems(report, object_info) == []
    # The editor silently resets invalid values on some paths: the values it holds
    # after loading must be exactly the file's.
    original = {n["id"]: n.get("widgets_values") or [] for n in load_workflow_file(name)["nodes"]}
    loaded = {n["id"]: n.get("widgets_values") or [] for n in report["serialized"]["nodes"]}
    changed = {i: (original[i], loaded.get(i)) for i in original if original[i] != loaded.get(i)}
    assert changed == {}, f"widget values changed on load (file, editor): {changed}"


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_frontend_converts_to_api_prompt(name, frontend_load, object_info, chrome):
    report, prompt = frontend_load(name)
    api = prompt["output"]
    assert api, "graphToPrompt produced an empty prompt"
    assert checks.prompt_problems(api, report["nodes"], object_info) == []
    # The editor shows whichever workflow was loaded last (frontend_load caches): load this one again, and
    # check that the graph on the canvas when the picture is taken is this file's.
    browser.load_workflow(chrome, load_workflow_file(name), name)
    shot, pictured = browser.screenshot(chrome, ARTIFACTS / "screenshots" / f"{name}.png")
    nodes = load_workflow_file(name)["nodes"]
    assert sorted((str(n["id"]), n["type"]) for n in pictured) == sorted((str(n["id"]), n["type"]) for n in nodes), (
        "the screenshot shows another graph")
    titles = {str(n["id"]): n["title"] for n in pictured}
    assert {str(n["id"]): titles[str(n["id"])] for n in nodes if "title" in n} == {
        str(n["id"]): n["title"] for n in nodes if "title" in n}
    assert shot.stat().st_size > 10_000, "screenshot is suspiciously small"


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_note_says_what_to_change_and_which_files(name):
    notes = [n for n in load_workflow_file(name)["nodes"] if n["type"] in ("Note", "MarkdownNote")]
    assert len(notes) == 1, "each workflow carries exactly one read-me note"
    text = notes[0]["widgets_values"][0]
    for needle in ("What to change", "etting", "models/diffusion_models/flux1-dev.safetensors",
                   "models/text_encoders/clip_l.safetensors", "t5xxl_fp16.safetensors", "models/vae/ae.safetensors"):
        assert needle in text, f"note lacks {needle!r}"


def test_checks_catch_a_missing_node_and_a_bad_widget(chrome, object_info):
    """The detectors above are live: a broken copy of a workflow trips each of them."""
    data = load_workflow_file("rf_inversion_edit")
    broken = next(n for n in data["nodes"] if n["type"] == "VAEDecode")
    broken["type"] = "RFNoSuchNode"
    loader = next(n for n in data["nodes"] if n["type"] == "UNETLoader")
    loader["widgets_values"][0] = "no-such-model.safetensors"
    report = browser.load_workflow(chrome, data, "broken")
    assert report["missing"] == ["RFNoSuchNode"]
    assert any("RFNoSuchNode" in d for d in report["dialogs"]), report["dialogs"]
    problems = checks.widget_problems(report, object_info)
    assert any("no-such-model.safetensors" in p for p in problems), problems
    # close the warning so later screenshots show only the graph
    chrome.execute_script("document.querySelectorAll('.p-dialog-close-button').forEach(b => b.click());")
