"""The most common combination of ComfyUI's own templates in front of the pack's nodes, in the real frontend and on
the real server (README, Compatibility with other nodes): the shipped qwen_image_edit graph with a LoRA
(LoraLoaderModelOnly) before the template's ModelSamplingAuraFlow shift, and CFGNorm and EasyCache after it, built
in the editor (as build_workflows.py builds the shipped files), loaded, converted by the frontend and run with the
tiny stand-ins (the loaders swapped as in test_e2e_execute.py; the LoRA is a tiny one for the stand-in model).

Outcome (b) of the table: the inversion runs without CFGNorm and EasyCache and the server's console says so
(EasyCache skipping none of the inversion's steps), the edit runs with both (cfg 2.5 with the negative prompt), and
every latent and image is finite with the source's shape.
"""
import pytest

import build_workflows
import e2e_browser as browser
import e2e_checks as checks
import workflow_specs_families as families
from test_e2e_execute import RUN_TIMEOUT_S, collect_model_calls, collect_stats, executed_part, to_test_prompt

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

LORA = "qwen_image_tiny_lora.safetensors"  # e2e_server.PLACEHOLDER_MODELS["loras"]
PATCHES = [  # key, node, widgets: between the loader and the RF nodes, in this order
    ("lora", "LoraLoaderModelOnly", {"lora_name": LORA, "strength_model": 1.0}),
    ("shift", None, {}),  # the template's ModelSamplingAuraFlow, already in the graph
    ("cfgnorm", "CFGNorm", {"strength": 1.0}),
    ("cache", "EasyCache", {"reuse_threshold": 0.2, "start_percent": 0.15, "end_percent": 0.95}),
]
_runs: dict = {}


def patched_spec() -> dict:
    """qwen_image_edit with PATCHES: unet -> lora -> shift -> cfgnorm -> cache -> RFInvert and the edit."""
    spec = families.qwen_image_edit()
    nodes = spec["nodes"] + [dict(key=k, type=t, pos=[0, 1000 + 160 * i], widgets=w)
                             for i, (k, t, w) in enumerate(PATCHES) if t is not None]
    chain = ["unet"] + [k for k, _, _ in PATCHES]
    links = [link for link in spec["links"]
             if not (link[1] == "MODEL" and (link[0] == "unet" or link[2] in ("invert", "edit")))]
    links += [(a, 0, b, "model") for a, b in zip(chain, chain[1:])]  # output 0: some name theirs otherwise
    links += [(chain[-1], 0, node, "model") for node in ("invert", "edit")]
    return {"nodes": nodes, "links": links, "groups": spec["groups"]}


@pytest.fixture
def patched_run(comfy_server, chrome, object_info, zoo):
    """(load report, api prompt, history, server log of the run): built and loaded in this frontend, run once
    per distinct prompt."""
    import comfy.utils
    import compat_runs

    data = build_workflows.build(chrome, "qwen_image_edit with patches", patched_spec())
    report = browser.load_workflow(chrome, data, "qwen_image_edit with patches")
    api = browser.graph_to_prompt(chrome)["output"]
    prompt = to_test_prompt(api, object_info)
    key = executed_part(prompt)
    if key not in _runs:
        model = zoo.BY_NAME["Qwen-Image-Edit"].build(seed=1)  # the stand-in's layout (its weights are seed 1234)
        lora = compat_runs.tiny_lora(model, "transformer_blocks.0.attn")
        comfy.utils.save_torch_file(lora, str(comfy_server.base_dir / "models" / "loras" / LORA))
        before = len(comfy_server.log_path.read_text(errors="replace"))
        history = comfy_server.run_prompt(prompt, timeout=RUN_TIMEOUT_S)
        _runs[key] = (history, comfy_server.log_path.read_text(errors="replace")[before:])
    return (report, api, *_runs[key])


def test_the_patched_graph_loads_without_warnings(patched_run, object_info):
    report, api, _, _ = patched_run
    assert report["missing"] == [] and report["dialogs"] == [], (report["missing"], report["dialogs"])
    assert checks.widget_problems(report, object_info) == []
    assert checks.prompt_problems(api, report["nodes"], object_info) == []
    for _, node, _ in PATCHES:
        assert node is None or len(checks.nodes_of(api, node)) == 1, node


def test_the_inversion_runs_without_cfgnorm_and_easycache_and_says_so(patched_run):
    _, _, _, log = patched_run
    said = [line for line in log.splitlines() if "RF-Inversion: the inversion runs without" in line]
    assert any("CFGNorm" in line for line in said) and any("EasyCache" in line for line in said), log[-3000:]
    skipped = [line[line.index("EasyCache - skipped"):] for line in log.splitlines() if "EasyCache - skipped" in line]
    assert len(skipped) == 2 and skipped[0].startswith("EasyCache - skipped 0/20 steps"), skipped  # the inversion


def test_the_edit_runs_with_both_and_gives_finite_latents_of_the_sources_shape(patched_run):
    _, api, history, log = patched_run
    assert "RF-Inversion: the edit runs without" not in log
    stats = collect_stats(history)
    edit_id, _ = checks.only(api, "RFControlledSampler")
    encode_id, _ = checks.only(api, "VAEEncode")
    assert stats[(edit_id, 0)]["finite"] and stats[(edit_id, 0)]["shape"] == stats[(encode_id, 0)]["shape"]
    calls = collect_model_calls(history)[edit_id]
    passes = [c["pass"] for c in calls]
    assert passes.count("invert") == 20 and passes.count("sample") == 20, passes  # 20 steps each, cfg batched
    assert all(c["cond_or_uncond"] == [0] for c in calls if c["pass"] == "invert")
    assert all(sorted(c["cond_or_uncond"]) == [0, 1] for c in calls if c["pass"] == "sample")
