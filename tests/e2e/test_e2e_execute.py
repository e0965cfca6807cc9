"""Run the frontend's API prompt of every workflow on the real server, with tiny stand-in weights.

Only the file loaders are swapped (UNETLoader, DualCLIPLoader, CLIPLoader, VAELoader ->
tests/e2e/standin_pack, which builds the tiny model of the family each file belongs to);
every other node, ours included, runs as converted by the frontend, with the workflow's own
steps and settings. Probe nodes (E2ETensorStats) are attached to every LATENT/IMAGE/SIGMAS
output so the test sees real numbers, not just PNGs, and an E2EModelCalls probe reports every
evaluation of the model behind the edit (which pass, cond / uncond, the reference latents it
got).

The tests run once per frontend (each checks the prompt that frontend made), but a prompt runs on the
server (comfy_server) only once: a frontend whose API prompt executes the same nodes with the same inputs as
one already run reuses that run, and the run report on the terminal says so.
"""
import copy
import io
import json
import struct

import pytest
from PIL import Image

import e2e_checks as checks
from e2e_config import ARTIFACTS, WORKFLOW_NAMES, say

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

STANDINS = {
    "UNETLoader": "E2ETinyUNETLoader",
    "DualCLIPLoader": "E2EFakeDualCLIPLoader",
    "CLIPLoader": "E2EFakeCLIPLoader",
    "VAELoader": "E2ETinyVAELoader",
}
PROBED = {"LATENT": "latent", "IMAGE": "image", "SIGMAS": "sigmas"}
SOURCE_SIZE = (64, 64)  # tests/e2e/fixtures_data.write_source_image
RUN_TIMEOUT_S = 900
DECODERS = ("VAEDecode", "RFDemoLatentToImage")  # the nodes that make a workflow's pictures


def to_test_prompt(api, object_info):
    prompt = copy.deepcopy(api)
    for entry in prompt.values():
        entry["class_type"] = STANDINS.get(entry["class_type"], entry["class_type"])
    next_id = max(int(k) for k in prompt) + 1
    for node_id, entry in list(api.items()):
        for idx, out_type in enumerate(object_info[entry["class_type"]]["output"]):
            if out_type in PROBED:
                prompt[str(next_id)] = {"class_type": "E2ETensorStats", "inputs": {
                    "label": f"{node_id}:{entry['class_type']}:{idx}", PROBED[out_type]: [node_id, idx]}}
                next_id += 1
    for node_id, entry in list(api.items()):  # what the edit's model was evaluated on, in both passes
        if entry["class_type"] == "RFControlledSampler":
            unet = checks.model_loader_of(api, entry["inputs"]["model"])
            if unet is None:  # the demo's own model: nothing swapped, no CallRecorder
                continue
            prompt[str(next_id)] = {"class_type": "E2EModelCalls", "inputs": {
                "label": node_id, "model": [unet, 0], "reference": entry["inputs"]["reference"],
                "after": [node_id, 0]}}
            next_id += 1
    return prompt


def collect_stats(history):
    stats = {}
    for out in history["outputs"].values():
        for s in out.get("e2e_stats", []):
            node_id, class_type, idx = s["label"].split(":")
            stats[(node_id, int(idx))] = dict(s, class_type=class_type)
    return stats


def collect_model_calls(history):
    """RFControlledSampler node id -> the evaluations of its model (E2EModelCalls), in order."""
    return {r["label"]: r["calls"] for out in history["outputs"].values() for r in out.get("e2e_model_calls", [])}


_runs = {}  # what a test prompt executes (canonical JSON) -> {"name", "frontend", "prompt", "history", ...}
_told = set()


def executed_part(prompt):
    """What the server executes of a prompt: each node's class and inputs (``_meta``, the titles the frontend
    writes for display, is left out: frontends name some core nodes differently)."""
    return json.dumps({k: {"class_type": v["class_type"], "inputs": v["inputs"]} for k, v in prompt.items()},
                      sort_keys=True)


def _titles_differing(a, b):
    return sorted({(k, a[k].get("_meta", {}).get("title"), b[k].get("_meta", {}).get("title"))
                   for k in a if a[k].get("_meta") != b[k].get("_meta")})


@pytest.fixture
def workflow_run(comfy_server, frontend, frontend_load, object_info, request):
    """Run the API prompt this frontend makes of a workflow, unless a prompt that executes the same ran
    already; returns (api prompt, its run)."""
    def run(name):
        api = frontend_load(name)[1]["output"]
        prompt = to_test_prompt(api, object_info)
        key = executed_part(prompt)
        if key not in _runs:
            others = sorted({r["frontend"] for r in _runs.values() if r["name"] == name})
            history, events = comfy_server.run_prompt_recorded(prompt, timeout=RUN_TIMEOUT_S)
            _runs[key] = {"name": name, "frontend": frontend.version, "prompt": prompt, "history": history,
                          "stats": collect_stats(history), "events": events}
            if others:
                say(request.config, f"{name}: frontend {frontend.version} makes another API prompt than "
                                    f"frontend {', '.join(others)}: ran it too")
        elif _runs[key]["frontend"] != frontend.version and (frontend.id, name) not in _told:
            titles = _titles_differing(_runs[key]["prompt"], prompt)
            but = f" (but for the _meta titles (node, theirs, its) {titles})" if titles else ""
            say(request.config, f"{name}: frontend {frontend.version} makes the same API prompt as frontend "
                                f"{_runs[key]['frontend']}{but}: its run is checked again, not repeated")
        _told.add((frontend.id, name))
        return api, _runs[key]
    return run


@pytest.fixture
def executed(workflow_run):
    """(api prompt, history, probe stats) of a workflow's run."""
    def run(name):
        api, done = workflow_run(name)
        return api, done["history"], done["stats"]
    return run


@pytest.fixture
def websocket_events(workflow_run):
    """What the websocket said while a workflow ran (see ComfyServer.run_prompt_recorded)."""
    def events(name):
        return workflow_run(name)[1]["events"]
    return events


def _images(comfy_server, history, node_id, name):
    infos = history["outputs"].get(node_id, {}).get("images", [])
    assert infos, f"node {node_id} wrote no image"
    imgs = []
    for i, info in enumerate(infos):
        data = comfy_server.fetch_output_file(info)
        (ARTIFACTS / "outputs").mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "outputs" / f"{name}_{node_id}_{i}.png").write_bytes(data)
        imgs.append(Image.open(io.BytesIO(data)))
    return imgs


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_workflow_runs_and_outputs_are_finite(name, executed, comfy_server):
    api, history, stats = executed(name)
    assert history["status"]["status_str"] == "success", history["status"]
    assert stats, "no probe reported"
    bad = {k: v for k, v in stats.items() if not v["finite"]}
    assert bad == {}, f"non-finite outputs: {bad}"
    for node_id, _ in checks.nodes_of(api, "SaveImage").items():
        for img in _images(comfy_server, history, node_id, name):
            assert img.size[0] > 0 and img.size[1] > 0
    decoded = [v for v in stats.values() if v["class_type"] in DECODERS]
    assert decoded and all(v["std"] > 1e-4 for v in decoded), "decoded image is flat"


def _latent(stats, node_id):
    return stats[(node_id, 0)]


@pytest.mark.parametrize("name", ["rf_inversion_edit", "rf_inversion_edit_fast", "stroke_to_image", "regional_edit"])
def test_edit_result_has_the_source_shape(name, executed, comfy_server):
    api, history, stats = executed(name)
    inv_id, inv = checks.only(api, "RFInvert")
    edit_id, _ = checks.only(api, "RFControlledSampler")
    source = _latent(stats, inv["inputs"]["latent"][0])
    assert source["shape"] == [1, 16, SOURCE_SIZE[1] // 8, SOURCE_SIZE[0] // 8]
    assert _latent(stats, inv_id)["shape"] == source["shape"]
    assert _latent(stats, edit_id)["shape"] == source["shape"]
    assert _latent(stats, inv_id)["sha1"] != source["sha1"], "inversion returned its input unchanged"
    save_id, _ = checks.only(api, "SaveImage")
    assert [im.size for im in _images(comfy_server, history, save_id, name)] == [SOURCE_SIZE]
    preview_id, _ = checks.only(api, "PreviewImage")
    side_by_side = _images(comfy_server, history, preview_id, name)
    assert [im.size for im in side_by_side] == [(2 * SOURCE_SIZE[0], SOURCE_SIZE[1])]


def test_stochastic_sampling_image_size(executed, comfy_server):
    api, history, stats = executed("stochastic_sampling")
    _, latent = checks.only(api, "EmptySD3LatentImage")
    w, h = latent["inputs"]["width"], latent["inputs"]["height"]
    sca_id, _ = checks.only(api, "SamplerCustomAdvanced")
    assert _latent(stats, sca_id)["shape"] == [1, 16, h // 8, w // 8]
    save_id, _ = checks.only(api, "SaveImage")
    assert [im.size for im in _images(comfy_server, history, save_id, "stochastic_sampling")] == [(w, h)]


def test_power_user_inversion_uses_exactly_flipped_sigmas(executed):
    api, _, stats = executed("power_user")
    flip_id, flip = checks.only(api, "RFFlipSigmas")
    flipped = stats[(flip_id, 0)]["values"]
    original = stats[(flip["inputs"]["sigmas"][0], 0)]["values"]
    assert flipped == original[::-1]
    assert flipped[0] == 0.0 and flipped[-1] == pytest.approx(1.0, abs=1e-6)
    assert all(a < b for a, b in zip(flipped, flipped[1:])), "inversion sigmas must rise from 0 to 1"
    assert len(flipped) == 28 + 1


def test_power_user_latents_have_the_source_shape(executed):
    api, _, stats = executed("power_user")
    enc_id, _ = checks.only(api, "VAEEncode")
    source = _latent(stats, enc_id)["shape"]
    for sca_id in checks.nodes_of(api, "SamplerCustomAdvanced"):
        assert _latent(stats, sca_id)["shape"] == source


def _steps_and_previews(events, node_id):
    steps = [(e[2], e[3]) for e in events if e[0] == "progress" and e[1] == node_id]
    previews = [e[2] for e in events if e[0] == "preview" and e[1] == node_id]
    return steps, previews


PREVIEW_SIZE = 512  # main.py's --preview-size default: the server fits every preview into this square


def _check_previews(previews, latent_shape, what):
    """Each frame: 4-byte image type (1 = JPEG), then the latent2rgb image of the step's x0 (one pixel per latent
    pixel) that the server scaled to fit PREVIEW_SIZE, so it keeps the latent's aspect ratio."""
    h, w = latent_shape[-2], latent_shape[-1]  # (B, C, H, W), or (B, C, T, H, W): the first frame's preview
    for i, frame in enumerate(previews):
        assert struct.unpack(">I", frame[:4])[0] == 1, f"{what}: preview {i} is not a JPEG frame"
        img = Image.open(io.BytesIO(frame[4:]))
        assert img.format == "JPEG", (what, i, img.format)
        assert max(img.size) == PREVIEW_SIZE and img.size[0] * h == img.size[1] * w, (what, i, img.size, (w, h))


@pytest.mark.parametrize("name", ["rf_inversion_edit", "regional_edit", "rf_inversion_edit_fast", "qwen_image_edit",
                                  "wan_video_edit"])
def test_edit_nodes_send_a_progress_step_and_a_live_preview_per_step(name, executed, websocket_events):
    """The frontend's progress bar and live preview, as the real server sends them (--preview-method latent2rgb).
    ComfyUI >= 0.9.2 throttles progress updates that carry no preview, never one that does (nor the first and
    last); with latent2rgb every step carries one, so every version sends every step."""
    api, _, stats = executed(name)
    events = websocket_events(name)
    assert not [e for e in events if e[0].startswith("binary")], "unexpected binary frame types"
    for class_type in ("RFInvert", "RFControlledSampler"):
        node_id, node = checks.only(api, class_type)
        steps = node["inputs"]["steps"]
        first = node["inputs"].get("start_step", 0)
        seen, previews = _steps_and_previews(events, node_id)
        assert seen == [(i, steps) for i in range(first + 1, steps + 1)], (class_type, seen)
        assert len(previews) == len(seen), f"{class_type}: {len(previews)} previews for {len(seen)} steps"
        _check_previews(previews, _latent(stats, node_id)["shape"], class_type)


def test_stochastic_sampler_steps_reach_the_frontend_with_previews(executed, websocket_events):
    """StochasticFluxSampler runs inside SamplerCustomAdvanced: ComfyUI's callback must see each of its steps."""
    api, _, stats = executed("stochastic_sampling")
    events = websocket_events("stochastic_sampling")
    sca_id, _ = checks.only(api, "SamplerCustomAdvanced")
    _, sched = checks.only(api, "BasicScheduler")
    steps = sched["inputs"]["steps"]
    seen, previews = _steps_and_previews(events, sca_id)
    assert seen == [(i, steps) for i in range(1, steps + 1)], seen
    assert len(previews) == steps
    _check_previews(previews, _latent(stats, sca_id)["shape"], "SamplerCustomAdvanced")


EVALUATIONS_PER_STEP = {"euler": lambda n: n, "midpoint": lambda n: 2 * n, "fireflow": lambda n: n + 1}
RF_WORKFLOWS = ["rf_inversion_edit", "rf_inversion_edit_fast", "stroke_to_image", "regional_edit", "qwen_image_edit",
                "wan_video_edit"]


def _passes(calls):
    """The model evaluations of each pass: the inversion's (rising sigmas) and the edit's."""
    return {p: [c for c in calls if c["pass"] == p] for p in ("invert", "sample")}


@pytest.mark.parametrize("name", RF_WORKFLOWS)
def test_model_evaluations_are_what_the_order_costs(name, executed):
    """Each pass evaluates the guided velocity once per solver point: N steps cost N (euler) or N + 1 (fireflow)
    evaluations, each with the prompt and, at cfg > 1, the negative; so the fast workflow costs 11 + 11 = 22
    where rf_inversion_edit costs 28 + 28 = 56, as its note says."""
    api, history, _ = executed(name)
    edit_id, edit = checks.only(api, "RFControlledSampler")
    _, inv = checks.only(api, "RFInvert")
    passes = _passes(collect_model_calls(history)[edit_id])
    for node, got in ((inv, passes["invert"]), (edit, passes["sample"])):
        i = node["inputs"]
        want = EVALUATIONS_PER_STEP[i["order"]](i["steps"] - i["start_step"])
        assert sum(0 in c["cond_or_uncond"] for c in got) == want, (node["class_type"], got)
        with_negative = node is edit and "negative" in i and i["cfg"] > 1
        assert sum(1 in c["cond_or_uncond"] for c in got) == (want if with_negative else 0), node["class_type"]
    evaluations = {"rf_inversion_edit": 56, "rf_inversion_edit_fast": 22}.get(name)
    if evaluations is not None:
        assert len(passes["invert"]) + len(passes["sample"]) == evaluations


def test_qwen_edit_model_sees_the_source_latent_in_both_passes(executed, comfy_server):
    """Qwen-Image-Edit reads the image condition from the conditioning: every evaluation of the inversion and of
    the edit (prompt and negative) hands the network exactly one reference latent, the source latent itself."""
    api, history, stats = executed("qwen_image_edit")
    edit_id, edit = checks.only(api, "RFControlledSampler")
    inv_id, _ = checks.only(api, "RFInvert")
    source = _latent(stats, edit["inputs"]["reference"][0])
    assert source["shape"] == [1, 16, 1, SOURCE_SIZE[1] // 8, SOURCE_SIZE[0] // 8]  # Qwen-Image's 5-D latent
    assert _latent(stats, inv_id)["shape"] == _latent(stats, edit_id)["shape"] == source["shape"]
    passes = _passes(collect_model_calls(history)[edit_id])
    for name, calls in passes.items():
        assert calls, f"no {name} evaluations recorded"
        for c in calls:
            assert [r["shape"][1:] for r in c["refs"]] == [source["shape"][1:]], (name, c)
            assert c["refs"][0]["rows_equal"] == [True] * len(c["cond_or_uncond"]), (name, c)
    save_id, _ = checks.only(api, "SaveImage")
    assert [im.size for im in _images(comfy_server, history, save_id, "qwen_image_edit")] == [SOURCE_SIZE]


def _video_frames(comfy_server, history, node_id):
    import av

    infos = history["outputs"].get(node_id, {}).get("images", [])
    assert len(infos) == 1, f"node {node_id} wrote {len(infos)} videos"
    data = comfy_server.fetch_output_file(infos[0])
    (ARTIFACTS / "outputs").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "outputs" / f"wan_video_edit_{node_id}.webm").write_bytes(data)
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = [(f.width, f.height) for f in container.decode(stream)]
        return frames, float(stream.average_rate)


def test_wan_video_edit_keeps_every_frame_and_the_frame_rate(executed, comfy_server):
    """The source clip (fixtures: VIDEO_FRAMES frames at VIDEO_FPS) goes in, the same number of frames of the same
    size comes out, as a video at the clip's frame rate; the latents keep the Wan VAE's 1 + (frames - 1) / 4."""
    from e2e_fixtures import VIDEO_FPS, VIDEO_FRAMES

    api, history, stats = executed("wan_video_edit")
    edit_id, edit = checks.only(api, "RFControlledSampler")
    inv_id, _ = checks.only(api, "RFInvert")
    dec_id, _ = checks.only(api, "VAEDecode")
    frames_id, _ = checks.only(api, "ImageFromBatch")
    size = [SOURCE_SIZE[1], SOURCE_SIZE[0]]
    assert stats[(frames_id, 0)]["shape"] == [VIDEO_FRAMES, *size, 3]
    latent = [1, 16, 1 + (VIDEO_FRAMES - 1) // 4, size[0] // 8, size[1] // 8]
    assert _latent(stats, edit["inputs"]["reference"][0])["shape"] == latent
    assert _latent(stats, inv_id)["shape"] == _latent(stats, edit_id)["shape"] == latent
    assert stats[(dec_id, 0)]["shape"] == [VIDEO_FRAMES, *size, 3]
    save_id, _ = checks.only(api, "SaveWEBM")
    frames, fps = _video_frames(comfy_server, history, save_id)
    assert frames == [SOURCE_SIZE] * VIDEO_FRAMES
    assert fps == VIDEO_FPS
