"""The API prompts the frontend makes from the Qwen-Image-Edit and Wan video workflows carry the settings their
notes name (ComfyUI's own templates for the family, the paper for RF-Inversion) and the wiring they describe."""
import pytest

from e2e_checks import nodes_of, only, source_of
from e2e_fixtures import VIDEO_FRAMES
from workflow_specs_families import QWEN_EDIT_MODELS, SOURCE_VIDEO, WAN_T2V_MODELS

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]


def _api(frontend_load, name):
    return frontend_load(name)[1]["output"]


def _loaders(api, models, clip_type):
    unet_id, unet = only(api, "UNETLoader")
    assert unet["inputs"]["unet_name"] == models["unet"]["name"]
    clip_id, clip = only(api, "CLIPLoader")
    assert (clip["inputs"]["clip_name"], clip["inputs"]["type"]) == (models["clip"]["name"], clip_type)
    vae_id, vae = only(api, "VAELoader")
    assert vae["inputs"]["vae_name"] == models["vae"]["name"]
    return unet_id, clip_id, vae_id


def _rf_nodes(api, shift_node, shift, steps, stop, cfg, unet_id):
    """RFInvert and RFControlledSampler on the same shifted model, the paper's gamma / eta, the edit at cfg."""
    inv_id, inv = only(api, "RFInvert")
    _, edit = only(api, "RFControlledSampler")
    i, e = inv["inputs"], edit["inputs"]
    assert i["model"] == e["model"] and source_of(api, i["model"]) == (shift_node, 0)
    assert api[i["model"][0]]["inputs"]["shift"] == shift
    assert api[i["model"][0]]["inputs"]["model"] == [unet_id, 0]
    assert (i["steps"], i["gamma"], i["start_step"], i["order"]) == (steps, 0.5, 0, "euler")
    assert (e["steps"], e["start_step"], e["stop_step"], e["eta"], e["order"]) == (steps, 0, stop, 0.9, "euler")
    assert (e["mode"], e["eta_schedule"], e["cfg"]) == ("ode", "constant", cfg)
    assert e["inverted"] == [inv_id, 0]
    assert e["reference"] == i["latent"] and source_of(api, i["latent"]) == ("VAEEncode", 0)
    return i, e


def test_qwen_image_edit_settings_and_image_condition(frontend_load):
    """ComfyUI's Qwen-Image-Edit template: 20 steps, shift 3 (ModelSamplingAuraFlow), cfg 2.5 with the empty
    prompt plus image as the negative; the source image is the image condition of the inversion AND the edit."""
    api = _api(frontend_load, "qwen_image_edit")
    unet_id, clip_id, vae_id = _loaders(api, QWEN_EDIT_MODELS, "qwen_image")
    i, e = _rf_nodes(api, "ModelSamplingAuraFlow", 3.0, steps=20, stop=5, cfg=2.5, unet_id=unet_id)
    source_latent = i["latent"]
    image = api[source_latent[0]]["inputs"]["pixels"]
    assert source_of(api, image) == ("LoadImage", 0)
    assert api[source_latent[0]]["inputs"]["vae"] == [vae_id, 0]
    # the inversion's prompt is the edit's negative; both it and the edit prompt carry the same image condition
    assert e["negative"] == i["conditioning"]
    assert i["conditioning"] != e["conditioning"]
    for cond, text_is_empty in ((i["conditioning"], True), (e["conditioning"], False)):
        ref = api[cond[0]]
        assert ref["class_type"] == "ReferenceLatent" and ref["inputs"]["latent"] == source_latent
        encoder = api[ref["inputs"]["conditioning"][0]]
        assert encoder["class_type"] == "TextEncodeQwenImageEdit"
        assert encoder["inputs"]["image"] == image and encoder["inputs"]["clip"] == [clip_id, 0]
        assert (encoder["inputs"]["prompt"].strip() == "") == text_is_empty
    assert len(nodes_of(api, "ReferenceLatent")) == 2


def test_wan_video_edit_settings(frontend_load):
    """ComfyUI's Wan 2.1 text-to-video template: shift 8 (ModelSamplingSD3), 30 steps, cfg 6 with a negative
    prompt; the clip's first 33 frames (4n + 1) are inverted and edited, and saved at the clip's frame rate."""
    api = _api(frontend_load, "wan_video_edit")
    unet_id, clip_id, vae_id = _loaders(api, WAN_T2V_MODELS, "wan")
    i, e = _rf_nodes(api, "ModelSamplingSD3", 8.0, steps=30, stop=8, cfg=6.0, unet_id=unet_id)
    assert api[i["conditioning"][0]]["inputs"]["text"] == ""
    assert api[e["conditioning"][0]]["inputs"]["text"].strip()
    assert api[e["negative"][0]]["inputs"]["text"].strip()
    assert len({i["conditioning"][0], e["conditioning"][0], e["negative"][0]}) == 3
    encode = api[i["latent"][0]]["inputs"]
    assert encode["vae"] == [vae_id, 0]
    frames = api[encode["pixels"][0]]
    assert frames["class_type"] == "ImageFromBatch"
    length = frames["inputs"]["length"]
    assert (frames["inputs"]["batch_index"], length, (length - 1) % 4) == (0, 33, 0)
    parts_id = frames["inputs"]["image"][0]
    assert frames["inputs"]["image"] == [parts_id, 0] and api[parts_id]["class_type"] == "GetVideoComponents"
    video = api[api[parts_id]["inputs"]["video"][0]]
    assert video["class_type"] == "LoadVideo" and video["inputs"]["file"] == SOURCE_VIDEO
    _, save = only(api, "SaveWEBM")
    assert source_of(api, save["inputs"]["images"]) == ("VAEDecode", 0)
    assert save["inputs"]["fps"] == [parts_id, 2], "the edit must keep the clip's frame rate"
    assert VIDEO_FRAMES < length, "the test clip is shorter than the workflow's frame window"
