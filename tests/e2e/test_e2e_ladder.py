"""The edit-ladder workflow (workflows/rf_inversion_ladder.json) on the real server and in the real frontend: the
grid shows every rung decoded with its setting written under it, the labels say the same, the ladder costs the
model evaluations of one edit (at a batch of its rungs), and the editor itself shows the grid after a run queued from
it (loaders swapped for the stand-ins in the editor, everything else as the workflow has it)."""
import io

import numpy as np
import pytest
from PIL import Image

import e2e_browser as browser
import e2e_checks as checks
from e2e_config import load_workflow_file
from test_e2e_execute import STANDINS, collect_model_calls, executed, workflow_run  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

NAME = "rf_inversion_ladder"
CELL = 64  # the stand-in VAE decodes the 64 x 64 source's 8 x 8 latent back to 64 x 64


def ladder_settings(api):
    """The ladder's inputs, and the labels its rungs must carry: stop_step evenly up to the one given."""
    _, ladder = checks.only(api, "RFEditLadder")
    i = ladder["inputs"]
    start, stop, rungs = i["start_step"], i["stop_step"], i["rungs"]
    return i, [f"stop_step {start + round(k * (stop - start) / rungs)}" for k in range(1, rungs + 1)]


def test_the_grid_shows_every_rung_with_its_setting_and_the_labels_say_it(executed, comfy_server, pack):
    api, history, _ = executed(NAME)
    inputs, labels = ladder_settings(api)
    assert inputs["sweep"] == "stop_step" and labels == ["stop_step 2", "stop_step 4", "stop_step 5", "stop_step 7"]
    ladder_id, _ = checks.only(api, "RFEditLadder")
    previews = checks.nodes_of(api, "PreviewImage")
    (preview_id,) = [k for k, e in previews.items() if e["inputs"]["images"] == [ladder_id, 1]]  # the grid
    (info,) = history["outputs"][preview_id]["images"]
    grid = np.asarray(Image.open(io.BytesIO(comfy_server.fetch_output_file(info))).convert("RGB"))
    draw = pack.nodes.grid
    strip, gap = draw.strip_height(CELL), max(2, CELL // 64)
    assert grid.shape == (CELL + strip, len(labels) * (CELL + gap) - gap, 3)
    for r, label in enumerate(labels):
        x = r * (CELL + gap)
        assert np.array_equal(grid[CELL:, x:x + CELL], np.asarray(draw.label_image(label, CELL, strip))), label
        assert grid[:CELL, x:x + CELL].std() > 1, f"rung {r} shows no picture"
    for r in range(1, len(labels)):
        assert not np.array_equal(grid[:CELL, :CELL], grid[:CELL, r * (CELL + gap):r * (CELL + gap) + CELL])
    any_id, _ = checks.only(api, "PreviewAny")
    assert history["outputs"][any_id]["text"] == ["\n".join(labels)]


def test_the_ladder_costs_the_model_evaluations_of_one_edit(executed):
    """The workflow runs RFInvert, the ladder and the single edit on one model: 28 evaluations each, the ladder's
    on a batch of its 4 rungs."""
    api, history, _ = executed(NAME)
    edit_id, _ = checks.only(api, "RFControlledSampler")
    calls = collect_model_calls(history)[edit_id]
    inputs, labels = ladder_settings(api)
    by_kind = {}
    for c in calls:
        by_kind.setdefault((c["pass"], c["batch"]), []).append(c["sigma"])
    assert {k: len(v) for k, v in by_kind.items()} == {("invert", 1): 28, ("sample", 1): 28,
                                                       ("sample", len(labels)): 28}
    assert by_kind[("sample", 1)] == by_kind[("sample", len(labels))]  # the same sigmas, once each


_RUN_WITH_STANDINS = r"""
const [standins, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const graph = window.app.graph;
  const linkOf = id => graph.links.get ? graph.links.get(id) : graph.links[id];
  for (const node of [...graph.nodes]) {
    const type = standins[node.type];
    if (!type) continue;
    const twin = window.LiteGraph.createNode(type);
    graph.add(twin);
    twin.pos = [...node.pos];
    for (const w of node.widgets || []) {
      const same = (twin.widgets || []).find(t => t.name === w.name);
      if (same) same.value = w.value;
    }
    for (const [slot, output] of (node.outputs || []).entries()) {
      for (const id of [...(output.links || [])]) {
        const link = linkOf(id);
        twin.connect(slot, graph.getNodeById(link.target_id), link.target_slot);
      }
    }
    graph.remove(node);
  }
  await window.app.queuePrompt(0, 1);
  done({ok: true});
})().catch(e => done({error: String(e && e.stack || e)}));
"""

_SHOWN_GRID = r"""
const [title, done] = [arguments[0], arguments[arguments.length - 1]];
const node = window.app.graph.nodes.find(n => n.title === title);
const out = node && window.app.nodeOutputs && window.app.nodeOutputs[String(node.id)];
const image = out && out.images && out.images[0];
if (!image) { done(null); return; }
const url = `/view?filename=${encodeURIComponent(image.filename)}&type=${image.type}` +
            `&subfolder=${encodeURIComponent(image.subfolder || "")}`;  // the page's own server
const img = new Image();
img.onload = () => done({width: img.naturalWidth, height: img.naturalHeight, url});
img.onerror = () => done({error: "the grid did not load from " + url});
img.src = url;
"""


def test_the_editor_shows_the_grid_after_a_run_queued_from_it(chrome):
    """Queued from the editor (the Run button's app.queuePrompt) with the loaders swapped for the stand-ins: the
    frontend receives the grid for the 'Ladder: every rung with its setting' node and loads it from the server."""
    workflow = load_workflow_file(NAME)
    report = browser.load_workflow(chrome, workflow, NAME)
    assert report["missing"] == [] and report["dialogs"] == [], report["dialogs"]
    queued = chrome.execute_async_script(_RUN_WITH_STANDINS, STANDINS)
    assert "error" not in queued, queued
    title = next(n["title"] for n in workflow["nodes"] if n["type"] == "PreviewImage" and "rung" in n["title"])
    from selenium.webdriver.support.ui import WebDriverWait

    shown = WebDriverWait(chrome, 300, poll_frequency=0.5).until(
        lambda d: d.execute_async_script(_SHOWN_GRID, title))
    assert "error" not in shown, shown
    assert (shown["width"], shown["height"]) == (4 * (CELL + 2) - 2, CELL + 16), shown
