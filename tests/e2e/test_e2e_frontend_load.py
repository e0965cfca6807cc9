"""Each shipped workflow loads in ComfyUI's real frontend and converts to an API prompt, on every frontend
under test (conftest.py: the pinned one and RF_E2E_EXTRA_FRONTENDS)."""
import pytest

import e2e_browser as browser  # noqa: E402
import e2e_checks as checks
import e2e_frontends as frontends
import e2e_server
from e2e_config import ARTIFACTS, WORKFLOW_NAMES, load_workflow_file

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_workflow_loads_without_warnings(name, frontend_load, object_info):
    report, _ = frontend_load(name)
    assert report["configured"], "loadGraphData never reached afterConfigureGraph"
    assert report["missing"] == [], f"frontend reports missing node types: {report['missing']}"
    unregistered = [n["type"] for n in report["nodes"] if not n["registered"]]
    assert unregistered == [], f"nodes the frontend does not know: {unregistered}"
    assert report["dialogs"] == [], f"the editor showed dialogs/toasts/issues on load: {report['dialogs']}"
    assert len(report["nodes"]) == len(load_workflow_file(name)["nodes"])


DISPLAY_ONLY = {"PreviewAny"}


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_every_widget_value_valid(name, frontend_load, object_info):
    report, _ = frontend_load(name)
    assert checks.widget_problems(report, object_info) == []
    # The editor silently resets invalid values on some paths: the values it holds
    # after loading must be exactly the file's.
    nodes = load_workflow_file(name)["nodes"]
    original = {n["id"]: n.get("widgets_values") or [] for n in nodes}
    loaded = {n["id"]: n.get("widgets_values") or [] for n in report["serialized"]["nodes"]}
    # PreviewAny's widgets only display what it receives: the frontend the workflows are built with saves none,
    # older ones (0.16.3's 1.39) save their empty state ([None, None, False]); there is no value to reset.
    display_only = {n["id"] for n in nodes if n["type"] in DISPLAY_ONLY and not original[n["id"]]}
    changed = {i: (original[i], loaded.get(i)) for i in original
               if original[i] != loaded.get(i) and i not in display_only}
    assert changed == {}, f"widget values changed on load (file, editor): {changed}"


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_frontend_converts_to_api_prompt(name, frontend, frontend_load, object_info, chrome):
    report, prompt = frontend_load(name)
    api = prompt["output"]
    assert api, "graphToPrompt produced an empty prompt"
    assert checks.prompt_problems(api, report["nodes"], object_info) == []
    # The editor shows whichever workflow was loaded last (frontend_load caches): load this one again, and
    # check that the graph on the canvas when the picture is taken is this file's.
    browser.load_workflow(chrome, load_workflow_file(name), name)
    shot, pictured = browser.screenshot(chrome, ARTIFACTS / "screenshots" / frontend.id / f"{name}.png")
    nodes = load_workflow_file(name)["nodes"]
    def ids_and_types(ns):
        return sorted((str(n["id"]), n["type"]) for n in ns)

    assert ids_and_types(pictured) == ids_and_types(nodes), "the screenshot shows another graph"
    titles = {str(n["id"]): n["title"] for n in pictured}
    assert {str(n["id"]): titles[str(n["id"])] for n in nodes if "title" in n} == {
        str(n["id"]): n["title"] for n in nodes if "title" in n}
    assert shot.stat().st_size > 10_000, "screenshot is suspiciously small"


OFFICIAL_DOWNLOADS = ("https://huggingface.co/Comfy-Org/", "https://huggingface.co/comfyanonymous/")


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_note_says_what_to_change_and_which_files(name):
    """The read-me note names every file a loader loads, under its models/ folder, and each loader carries that
    file's download link from Comfy-Org's (or comfyanonymous') Hugging Face repositories. The demo loads no file,
    and its note says so."""
    nodes = load_workflow_file(name)["nodes"]
    notes = [n for n in nodes if n["type"] in ("Note", "MarkdownNote")]
    assert len(notes) == 1, "each workflow carries exactly one read-me note"
    text = notes[0]["widgets_values"][0]
    for needle in ("What to change", "etting"):
        assert needle in text, f"note lacks {needle!r}"
    loaders = [n for n in nodes if n["type"] in checks.MODEL_LOADERS]
    if not loaders:  # the demo's model ships with the pack
        assert name == "scene_demo" and "No model files" in text, "no model loader"
    for loader in loaders:
        files = [v for v in loader["widgets_values"] if isinstance(v, str) and v.endswith(".safetensors")]
        models = loader.get("properties", {}).get("models", [])
        assert sorted(m["name"] for m in models) == sorted(files), (loader["type"], models, files)
        for m in models:
            assert f"models/{m['directory']}/{m['name']}" in text, f"note lacks models/{m['directory']}/{m['name']}"
            assert m["url"].startswith(OFFICIAL_DOWNLOADS) and m["url"].endswith("/" + m["name"]), m


def test_the_pinned_frontend_is_the_one_requirements_txt_names(comfyui_path):
    installed, pinned = frontends.pinned_frontend().version, e2e_server.pinned_frontend_version(comfyui_path)
    assert installed == pinned, (f"this Python has comfyui-frontend-package {installed}; {comfyui_path}/"
                                 f"requirements.txt pins {pinned}: pip install -r {comfyui_path}/requirements.txt")


def _edited(name, node_type, change):
    data = load_workflow_file(name)
    change(next(n for n in data["nodes"] if n["type"] == node_type))
    return data


def test_checks_catch_a_missing_node_and_a_bad_widget(frontend, chrome, object_info):
    """The detectors above are live on this frontend: a workflow with an unknown node type trips the
    missing-node checks (the frontend's hook and its own UI), one with a file the server lacks trips the widget
    check, and a clean one, loaded after both, trips neither."""
    def rename(node):
        node["type"] = "RFNoSuchNode"

    def bad_file(node):
        node["widgets_values"][0] = "no-such-model.safetensors"

    missing = browser.load_workflow(chrome, _edited("rf_inversion_edit", "VAEDecode", rename), "missing node")
    browser.close_dialogs(chrome)  # the missing-nodes dialog of frontends < 1.40 stays open until closed
    bad = browser.load_workflow(chrome, _edited("rf_inversion_edit", "UNETLoader", bad_file), "bad widget")
    clean = browser.load_workflow(chrome, load_workflow_file("rf_inversion_edit"), "clean")

    # missing node type: reported by the load hook and shown by the editor, where this frontend shows it
    assert missing["missing"] == ["RFNoSuchNode"]
    reports = checks.missing_node_reports(missing)
    assert len(reports) == 1 and "RFNoSuchNode" in reports[0], missing["dialogs"]
    if frontend.has_issues_tab:  # an error overlay whose "View details" opens the issues tab
        assert len(missing["shown"]["overlay"]) == 1, missing["shown"]
        assert [i["group"] for i in missing["shown"]["issues"]] == ["missing-node"], missing["shown"]
        assert missing["shown"]["dialogs"] == [], "frontends >= 1.40 list missing nodes in the issues tab"
    else:
        assert missing["shown"]["issues"] is None
        assert [d["id"] for d in missing["shown"]["dialogs"]] == [checks.MISSING_NODES_DIALOG]
    assert checks.widget_problems(missing, object_info) == []

    # a widget value the server does not offer: caught by the widget check, and no missing-node report
    problems = checks.widget_problems(bad, object_info)
    assert len(problems) == 2 and all("no-such-model.safetensors" in p for p in problems), problems
    assert bad["missing"] == [] and checks.missing_node_reports(bad) == []
    if frontend.has_issues_tab:  # these frontends check model files themselves and list the missing one
        assert len(bad["shown"]["overlay"]) == 1, bad["shown"]
        assert [(i["group"], "no-such-model.safetensors" in i["text"]) for i in bad["shown"]["issues"]] == [
            ("missing-model", True)], bad["shown"]
    else:
        assert bad["dialogs"] == []

    # a clean workflow trips neither
    assert clean["missing"] == [] and clean["dialogs"] == []
    assert checks.widget_problems(clean, object_info) == []
