"""The demo workflow (workflows/scene_demo.json) as the frontend converts it, run on the real server with nothing
swapped: its model, captions and scenes ship with the pack. The picture its Preview Image node shows (source |
edit) is fetched from the server and each half read back by toyworld.reader: the edit caption's one change is
made, and what no caption says (the circle's place, the background's light) is kept."""
import re

import numpy as np
import pytest
import torch

import e2e_checks as checks
from e2e_config import load_workflow_file, say
from scenes import edit_problems
from test_e2e_execute import STANDINS, _images, executed, workflow_run  # noqa: F401 (fixtures)
from toyworld import reader, world

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

NAME = "scene_demo"


def halves(picture, scale: int) -> list[torch.Tensor]:
    """The left and right scenes of a side-by-side picture, each enlarged scale times: (3, SIZE, SIZE) in [0, 1]."""
    pixels = torch.from_numpy(np.asarray(picture.convert("RGB"), dtype=np.float32) / 255)
    image = pixels.movedim(-1, 0)[:, ::scale, ::scale]
    return [image[..., :world.SIZE], image[..., world.SIZE:]]


def captions(api) -> tuple[str, str]:
    """The source scene's caption and the edit caption the workflow gives."""
    _, scene = checks.only(api, "RFDemoScene")
    _, edit = checks.only(api, "RFControlledSampler")
    return scene["inputs"]["caption"], api[edit["inputs"]["conditioning"][0]]["inputs"]["caption"]


def run_seconds(history) -> float:
    """The server's time from execution_start to execution_success (its status messages, in ms)."""
    stamps = dict(history["status"]["messages"])
    return (stamps["execution_success"]["timestamp"] - stamps["execution_start"]["timestamp"]) / 1000


def test_the_demo_runs_with_nothing_swapped(executed, request):  # noqa: F811
    """Every node as the workflow has it, the model loaded from toyworld/; the terminal says how long it took."""
    api, history, _ = executed(NAME)
    assert history["status"]["status_str"] == "success", history["status"]
    assert not {e["class_type"] for e in api.values()} & set(STANDINS), "the demo should load no model file"
    say(request.config, f"{NAME} ran in {run_seconds(history):.1f} s on the server (CPU; the probes included)")


def test_the_edit_changes_the_named_attribute_and_keeps_the_rest(executed, comfy_server):  # noqa: F811
    api, history, _ = executed(NAME)
    source, edit = captions(api)
    changed = [(a, b) for a, b in zip(source.split(), edit.split()) if a != b]
    assert len(source.split()) == len(edit.split()) and changed == [("red", "blue")], changed
    preview_id, _ = checks.only(api, "PreviewImage")
    (picture,) = _images(comfy_server, history, preview_id, NAME)
    (scale,) = {v["inputs"]["scale"] for v in checks.nodes_of(api, "RFDemoLatentToImage").values()}
    assert picture.size == (2 * world.SIZE * scale, world.SIZE * scale)
    left, right = halves(picture, scale)
    assert world.caption(reader.read(left)) == source
    assert edit_problems(left, right, edit) == []


def test_the_notes_example_captions_are_ones_the_demo_takes():
    """Every caption the note quotes is one the Render Scene node draws."""
    note = next(n for n in load_workflow_file(NAME)["nodes"] if n["type"] == "MarkdownNote")
    quoted = re.findall(r'"([^"]+)"', " ".join(note["widgets_values"][0].split()))
    assert quoted
    for caption in quoted:
        assert world.caption(world.parse(caption)) == caption
