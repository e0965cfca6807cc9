"""The shipped regional_edit workflow on the real server, as the frontend converts it (issue 10, bug 3).

With a painted mask (the source PNG's transparent box: LoadImage's MASK, what the Mask Editor writes) the edit
changes the inside of the mask and keeps the source latent outside it. With an RGB image, as a user loads one
(ComfyUI's example.png has no alpha), LoadImage gives an all-zero mask: the run is refused with the Mask Editor
hint instead of silently returning the source, nothing is written to the output folder, and the server keeps
working. The loaders are swapped for the tiny stand-ins exactly as in test_e2e_execute.py.
"""
import copy

import pytest
from PIL import Image

import e2e_checks as checks
from e2e_fixtures import MASK_BOX_FRACTION
from test_e2e_execute import RUN_TIMEOUT_S, SOURCE_SIZE, to_test_prompt

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

LATENT_SCALE = 8  # the stand-in VAE's downscale


def output_snapshot(server):
    """Every file under the server's output folder: relative path -> (size, mtime_ns)."""
    root = server.base_dir / "output"
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


def with_value_probes(prompt, links):
    """Adds an E2ELatentValues output node per {label: link}."""
    prompt = copy.deepcopy(prompt)
    next_id = max(int(k) for k in prompt) + 1
    for label, link in links.items():
        prompt[str(next_id)] = {"class_type": "E2ELatentValues", "inputs": {"label": label, "latent": link}}
        next_id += 1
    return prompt


def latent_values(history):
    import torch

    out = {}
    for node in history["outputs"].values():
        for v in node.get("e2e_values", []):
            out[v["label"]] = torch.tensor(v["values"]).reshape(v["shape"])
    return out


def box_regions(height, width):
    """Latent pixels whose whole 8 x 8 image block lies inside / outside the painted box (MASK_BOX_FRACTION)."""
    import torch

    x0, y0, x1, y1 = (f * s for f, s in zip(MASK_BOX_FRACTION, (SOURCE_SIZE[0], SOURCE_SIZE[1]) * 2))
    rows = torch.arange(height)[:, None] * LATENT_SCALE
    cols = torch.arange(width)[None, :] * LATENT_SCALE
    inside = (rows >= y0) & (rows + LATENT_SCALE <= y1) & (cols >= x0) & (cols + LATENT_SCALE <= x1)
    outside = (rows + LATENT_SCALE <= y0) | (rows >= y1) | (cols + LATENT_SCALE <= x0) | (cols >= x1)
    return inside, outside


@pytest.fixture
def regional(comfy_server, frontend_load, object_info):
    """The test prompt of regional_edit, with value probes on the source latent and the edit (the frontend's
    conversion is cached per workflow by conftest's frontend_load)."""
    api = frontend_load("regional_edit")[1]["output"]
    edit_id, edit = checks.only(api, "RFControlledSampler")
    prompt = with_value_probes(to_test_prompt(api, object_info),
                               {"source": edit["inputs"]["reference"], "edit": [edit_id, 0]})
    return prompt, edit_id


def test_the_edit_changes_the_painted_region_and_keeps_the_rest(comfy_server, regional):
    prompt, _ = regional
    history = comfy_server.run_prompt(prompt, timeout=RUN_TIMEOUT_S)
    values = latent_values(history)
    source, edited = values["source"], values["edit"]
    assert edited.shape == source.shape == (1, 16, SOURCE_SIZE[1] // LATENT_SCALE, SOURCE_SIZE[0] // LATENT_SCALE)
    inside, outside = box_regions(*source.shape[-2:])
    assert inside.any() and outside.any()
    diff = (edited - source).abs()[0]  # (C, H, W)
    assert diff[:, outside].max() <= 1e-5, diff[:, outside].max()  # kept: the source latent itself
    assert diff[:, inside].mean() > 1e-2, diff[:, inside].mean()  # edited


def test_an_rgb_image_is_refused_with_the_mask_editor_hint_and_the_server_stays_usable(comfy_server, regional,
                                                                                   tmp_path):
    prompt, edit_id = regional
    rgb = tmp_path / "example_rgb.png"
    Image.open(comfy_server.base_dir / "input" / "example.png").convert("RGB").save(rgb)  # as a user's photo: no alpha
    comfy_server.upload_image(rgb)
    image_id, _ = checks.only(prompt, "LoadImage")
    refused = copy.deepcopy(prompt)
    refused[image_id]["inputs"]["image"] = rgb.name
    before = output_snapshot(comfy_server)
    with pytest.raises(AssertionError) as failure:
        comfy_server.run_prompt(refused, timeout=RUN_TIMEOUT_S)
    message = str(failure.value)
    assert f"node {edit_id} (RFControlledSampler) failed" in message, message
    assert "mask is empty" in message and "Mask Editor" in message, message
    assert output_snapshot(comfy_server) == before, "a refused run changed the output folder"
    # the same server runs the next prompt (a changed eta, so the edit really runs again)
    again = copy.deepcopy(prompt)
    again[edit_id]["inputs"]["eta"] = 0.8
    history = comfy_server.run_prompt(again, timeout=RUN_TIMEOUT_S)
    assert history["status"]["status_str"] == "success"
    assert output_snapshot(comfy_server) != before, "the good run saved its image"
