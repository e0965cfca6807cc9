"""The API prompts the frontend makes from the shipped workflows carry the paper's settings and wiring."""
import pytest

from e2e_checks import nodes_of, only, source_of

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]


def _api(frontend_load, name):
    return frontend_load(name)[1]["output"]


def _flux_loaders(api):
    assert only(api, "UNETLoader")[1]["inputs"]["unet_name"] == "flux1-dev.safetensors"
    clip = only(api, "DualCLIPLoader")[1]["inputs"]
    assert {clip["clip_name1"], clip["clip_name2"]} == {"clip_l.safetensors", "t5xxl_fp16.safetensors"}
    assert clip["type"] == "flux"
    assert only(api, "VAELoader")[1]["inputs"]["vae_name"] == "ae.safetensors"


def _check_edit(api, start, stop, masked, steps=28, order="euler"):
    _flux_loaders(api)
    inv_id, inv = only(api, "RFInvert")
    _, edit = only(api, "RFControlledSampler")
    i, e = inv["inputs"], edit["inputs"]
    assert (i["steps"], i["gamma"], i["guidance"], i["start_step"], i["order"]) == (steps, 0.5, 0.0, start, order)
    assert (e["steps"], e["start_step"], e["stop_step"], e["eta"], e["guidance"], e["order"]) == (
        steps, start, stop, 0.9, 3.5, order)
    assert (e["mode"], e["eta_schedule"]) == ("ode", "constant")
    src_prompt = api[i["conditioning"][0]]
    assert src_prompt["class_type"] == "CLIPTextEncode" and src_prompt["inputs"]["text"] == ""
    assert api[e["conditioning"][0]]["inputs"]["text"].strip(), "edit prompt is empty"
    assert e["inverted"] == [inv_id, 0]
    assert e["reference"] == i["latent"], "reference must be the same source latent that was inverted"
    assert source_of(api, i["latent"]) == ("VAEEncode", 0)
    assert source_of(api, api[i["latent"][0]]["inputs"]["pixels"]) == ("LoadImage", 0)
    if masked:
        assert source_of(api, e["mask"]) == ("LoadImage", 1), "mask must come from the image loader's painted mask"
    else:
        assert "mask" not in e
    # decoded edit is saved, and shown next to the source
    save = [v for v in nodes_of(api, "SaveImage").values()]
    assert len(save) == 1 and source_of(api, save[0]["inputs"]["images"]) == ("VAEDecode", 0)
    _, stitch = only(api, "ImageStitch")
    assert source_of(api, stitch["inputs"]["image1"]) == ("LoadImage", 0)
    assert source_of(api, stitch["inputs"]["image2"]) == ("VAEDecode", 0)


def test_rf_inversion_edit_settings(frontend_load):
    _check_edit(_api(frontend_load, "rf_inversion_edit"), start=0, stop=7, masked=False)


def test_rf_inversion_edit_fast_settings(frontend_load):
    """The study's fast setting (docs/benchmarks.md): fireflow on both nodes, 10 steps, stop_step 3."""
    _check_edit(_api(frontend_load, "rf_inversion_edit_fast"), start=0, stop=3, masked=False, steps=10,
                order="fireflow")


def test_stroke_to_image_settings(frontend_load):
    _check_edit(_api(frontend_load, "stroke_to_image"), start=3, stop=5, masked=False)


def test_regional_edit_settings(frontend_load):
    _check_edit(_api(frontend_load, "regional_edit"), start=0, stop=7, masked=True)


def test_stochastic_sampling_wiring(frontend_load):
    api = _api(frontend_load, "stochastic_sampling")
    _flux_loaders(api)
    _, sca = only(api, "SamplerCustomAdvanced")
    s = sca["inputs"]
    assert source_of(api, s["sampler"]) == ("StochasticFluxSampler", 0)
    assert api[s["sampler"][0]]["inputs"]["noise_scale"] == 1.0
    assert source_of(api, s["noise"]) == ("RandomNoise", 0)
    assert source_of(api, s["sigmas"]) == ("BasicScheduler", 0)
    assert api[s["sigmas"][0]]["inputs"]["steps"] == 28
    assert source_of(api, s["latent_image"]) == ("EmptySD3LatentImage", 0)
    guider = api[s["guider"][0]]
    assert source_of(api, guider["inputs"]["conditioning"]) == ("FluxGuidance", 0)
    assert api[guider["inputs"]["conditioning"][0]]["inputs"]["guidance"] == 3.5


def test_power_user_wiring(frontend_load):
    api = _api(frontend_load, "power_user")
    _flux_loaders(api)
    scas = nodes_of(api, "SamplerCustomAdvanced")
    assert len(scas) == 2
    by_sampler = {api[v["inputs"]["sampler"][0]]["class_type"]: (k, v["inputs"]) for k, v in scas.items()}
    assert set(by_sampler) == {"RFInvertSampler", "RFControlledSamplerSampler"}
    inv_id, inv = by_sampler["RFInvertSampler"]
    _, edit = by_sampler["RFControlledSamplerSampler"]
    for s in (inv, edit):
        assert source_of(api, s["noise"]) == ("DisableNoise", 0)
        assert source_of(api, s["latent_image"]) == ("VAEEncode", 0)
    assert inv["latent_image"] == edit["latent_image"]
    # inversion: flipped schedule, empty prompt at guidance 0, gamma 0.5
    assert source_of(api, inv["sigmas"]) == ("RFFlipSigmas", 0)
    sched = api[inv["sigmas"][0]]["inputs"]["sigmas"]
    assert source_of(api, sched) == ("BasicScheduler", 0) and edit["sigmas"] == sched
    assert api[sched[0]]["inputs"]["steps"] == 28
    assert api[inv["sampler"][0]]["inputs"]["gamma"] == 0.5
    inv_cond = api[api[inv["guider"][0]]["inputs"]["conditioning"][0]]
    assert inv_cond["class_type"] == "FluxGuidance" and inv_cond["inputs"]["guidance"] == 0.0
    assert api[inv_cond["inputs"]["conditioning"][0]]["inputs"]["text"] == ""
    # edit: the inverted latent, eta 0.9 on [0, 7), edit prompt at guidance 3.5
    ctrl = api[edit["sampler"][0]]["inputs"]
    assert ctrl["inverted"] == [inv_id, 0]
    assert (ctrl["start_step"], ctrl["stop_step"], ctrl["eta"]) == (0, 7, 0.9)
    edit_cond = api[api[edit["guider"][0]]["inputs"]["conditioning"][0]]
    assert edit_cond["class_type"] == "FluxGuidance" and edit_cond["inputs"]["guidance"] == 3.5
    assert api[edit_cond["inputs"]["conditioning"][0]]["inputs"]["text"].strip()
