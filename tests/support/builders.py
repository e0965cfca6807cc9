"""The graphs the node tests run, all over ONE set of defaults.

DEFAULTS are the pack's node defaults of the inputs every graph sets (tests/test_nodes_schema.py checks them against
the schema contract; optional inputs are left unset, so the node's own default applies): a test states only the
inputs it changes, at the call. invert_then_edit adds RFInvert -> RFControlledSampler (the all-in-one
nodes); sampler_forms adds the same chain in the SAMPLER forms (SamplerCustomAdvanced with RFInvertSampler and
RFControlledSamplerSampler, wired as workflows/power_user.json wires them), on the same defaults.

Where a link is expected, a Python object may be given instead (a model, conditioning, latent tensor or LATENT
dict, and the inputs mask, sigmas, negative and model_low_noise): it enters the graph through executor's test
input nodes.
"""

from __future__ import annotations

import torch

import comfy_harness
from executor import CAPTURED, Graph, Run

SHAPE = (1, 16, 8, 8)  # a Flux image latent: 16 channels, 8 x 8
SOURCE_PROMPT, EDIT_PROMPT = 0, 5  # comfy_harness.conditioning seeds of the two prompts a chain is given

DEFAULTS = {
    "invert": {"steps": 28, "gamma": 0.5, "seed": 0, "guidance": 0.0, "start_step": 0},
    "edit": {"steps": 28, "start_step": 0, "stop_step": 7, "eta": 0.9, "eta_schedule": "constant", "guidance": 3.5,
             "mode": "ode", "seed": 0},
}
# The SAMPLER forms take the same settings but steps (the SIGMAS say them) and guidance (the guider carries it).
SAMPLER_FORMS = {
    "RFInvertSampler": ("invert", ("gamma", "seed")),
    "RFControlledSamplerSampler": ("edit", ("start_step", "stop_step", "eta", "eta_schedule", "mode", "seed")),
}
NODES = ("RFInvert", "RFControlledSampler", *SAMPLER_FORMS)  # the nodes whose widget values DEFAULTS gives


def node_defaults(node_id: str) -> dict:
    """The widget values DEFAULTS gives a node: RFInvert, RFControlledSampler or one of the SAMPLER_FORMS."""
    if node_id in SAMPLER_FORMS:
        which, names = SAMPLER_FORMS[node_id]
        return {k: DEFAULTS[which][k] for k in names}
    return dict(DEFAULTS[{"RFInvert": "invert", "RFControlledSampler": "edit"}[node_id]])


# --- objects or links --------------------------------------------------------------------------------------


def is_link(x) -> bool:
    """A link to a node's output, [node id, output index] (Graph.out)."""
    return isinstance(x, list) and len(x) == 2 and isinstance(x[0], str) and isinstance(x[1], int)


def latent_link(g: Graph, latent) -> list:
    """A link as is; a LATENT dict or a samples tensor through the test input node."""
    if is_link(latent):
        return latent
    return g.latent(**latent) if isinstance(latent, dict) else g.latent(latent)


def _link(g: Graph, kind: str, x) -> list:
    return x if is_link(x) else getattr(g, kind)(x)


INPUT_KINDS = {"model": "model", "model_low_noise": "model", "conditioning": "cond", "negative": "cond",
               "mask": "mask", "sigmas": "sigmas"}


def _inputs(g: Graph, values: dict) -> dict:
    return {k: _link(g, INPUT_KINDS[k], v) if k in INPUT_KINDS else v for k, v in values.items()}


def _settings(g: Graph, node_id: str, steps, over: dict) -> dict:
    values = node_defaults(node_id)
    if steps is not None:
        values["steps"] = steps
    values.update(over)
    return _inputs(g, values)


# --- the all-in-one nodes ----------------------------------------------------------------------------------


def add_invert(g: Graph, model, cond, latent, steps=None, **over) -> str:
    """RFInvert on DEFAULTS["invert"], steps and over replacing values; its node id."""
    return g.add("RFInvert", model=_link(g, "model", model), conditioning=_link(g, "cond", cond),
                 latent=latent_link(g, latent), **_settings(g, "RFInvert", steps, over))


def add_edit(g: Graph, model, cond, inverted, reference, steps=None, **over) -> str:
    """RFControlledSampler on DEFAULTS["edit"], steps and over replacing values; its node id."""
    return g.add("RFControlledSampler", model=_link(g, "model", model), conditioning=_link(g, "cond", cond),
                 inverted=latent_link(g, inverted), reference=latent_link(g, reference),
                 **_settings(g, "RFControlledSampler", steps, over))


def invert_then_edit(g: Graph, model, source, steps=None, *, inv=None, ed=None, reference=None, src_cond=None,
                     edit_cond=None, edit_model=None) -> tuple[str, str]:
    """RFInvert -> RFControlledSampler: source inverted with src_cond, then edited with edit_cond towards reference.

    steps: both nodes' steps; inv, ed: each node's other inputs over DEFAULTS. Unless given: the prompts are
    comfy_harness.conditioning(seed=SOURCE_PROMPT) and (seed=EDIT_PROMPT), the reference is the source, and the
    edit runs on the inversion's model. Returns the two node ids."""
    m = _link(g, "model", model)
    src = latent_link(g, source)
    src_cond = comfy_harness.conditioning(seed=SOURCE_PROMPT) if src_cond is None else src_cond
    edit_cond = comfy_harness.conditioning(seed=EDIT_PROMPT) if edit_cond is None else edit_cond
    both = {} if steps is None else {"steps": steps}
    i = add_invert(g, m, src_cond, src, **{**both, **(inv or {})})
    e = add_edit(g, m if edit_model is None else edit_model, edit_cond, g.out(i),
                 src if reference is None else reference, **{**both, **(ed or {})})
    return i, e


def left_half(frames: int = 1, size: int = 64) -> torch.Tensor:
    """An image-sized MASK (frames, size, size) of an 8 x 8 latent: 1 (edit) on the left half, 0 (keep) on the
    right."""
    m = torch.zeros((frames, size, size))
    m[..., : size // 2] = 1.0
    return m


def noise_masked(g: Graph, latent, mask) -> list:
    """The latent with a noise_mask, as SetLatentNoiseMask gives it."""
    return g.out(g.add("SetLatentNoiseMask", samples=latent_link(g, latent), mask=_link(g, "mask", mask)))


# --- FlowEdit (nodes/flowedit.py) ----------------------------------------------------------------------------

FLOWEDIT = {"steps": 28, "n_max": 24, "n_min": 0, "n_avg": 1, "seed": 0, "source_guidance": 1.5,
            "target_guidance": 5.5}  # RFFlowEdit's required widget values, its defaults


def add_flowedit(g: Graph, model, source_cond, target_cond, latent, steps=None, **over) -> str:
    """RFFlowEdit on FLOWEDIT, steps and over replacing values (negative, sigmas: objects or links); its node id."""
    values = {**FLOWEDIT, **({} if steps is None else {"steps": steps}), **over}
    return g.add("RFFlowEdit", model=_link(g, "model", model), source_conditioning=_link(g, "cond", source_cond),
                 target_conditioning=_link(g, "cond", target_cond), latent=latent_link(g, latent), **_inputs(g, values))


# --- the SAMPLER forms ---------------------------------------------------------------------------------------


def scheduler(g: Graph, model, steps: int, denoise: float = 1.0) -> list:
    """BasicScheduler's simple schedule of the model."""
    return g.out(g.add("BasicScheduler", model=_link(g, "model", model), scheduler="simple", steps=steps,
                       denoise=denoise))


def advanced(g: Graph, model, cond, sampler, sigmas, latent, noise=None) -> str:
    """SamplerCustomAdvanced: BasicGuider(model, cond), the SAMPLER and SIGMAS links, latent_image, and noise (a
    NOISE link; DisableNoise unless given). Its node id."""
    noise = g.out(g.add("DisableNoise")) if noise is None else noise
    guider = g.add("BasicGuider", model=_link(g, "model", model), conditioning=_link(g, "cond", cond))
    return g.add("SamplerCustomAdvanced", noise=noise, guider=g.out(guider), sampler=sampler,
                 sigmas=sigmas, latent_image=latent_link(g, latent))


def add_invert_sampler(g: Graph, **over) -> list:
    """RFInvertSampler on DEFAULTS; a link to its SAMPLER."""
    return g.out(g.add("RFInvertSampler", **_settings(g, "RFInvertSampler", None, over)))


def add_edit_sampler(g: Graph, inverted, **over) -> list:
    """RFControlledSamplerSampler on DEFAULTS, reading the inversion's LATENT; a link to its SAMPLER."""
    return g.out(g.add("RFControlledSamplerSampler", inverted=latent_link(g, inverted),
                       **_settings(g, "RFControlledSamplerSampler", None, over)))


def sampler_forms(g: Graph, model, source, steps: int, *, inv=None, ed=None) -> tuple[str, str]:
    """The chain of workflows/power_user.json: DisableNoise + BasicGuider(FluxGuidance) + the SAMPLER forms.

    inv, ed: the samplers' inputs over DEFAULTS (guidance: the FluxGuidance value, DEFAULTS' unless given); the
    inversion walks RFFlipSigmas of the schedule, or RFInversionSigmas from ed's start_step. The prompts are those
    of invert_then_edit. Returns the two SamplerCustomAdvanced node ids."""
    inv, ed = dict(inv or {}), dict(ed or {})
    inv_guidance = inv.pop("guidance", DEFAULTS["invert"]["guidance"])
    edit_guidance = ed.pop("guidance", DEFAULTS["edit"]["guidance"])
    start_step = ed.get("start_step", DEFAULTS["edit"]["start_step"])
    m, src = _link(g, "model", model), latent_link(g, source)
    sched = scheduler(g, m, steps)
    if start_step == 0:
        inv_sigmas = g.out(g.add("RFFlipSigmas", sigmas=sched))
    else:
        inv_sigmas = g.out(g.add("RFInversionSigmas", sigmas=sched, start_step=start_step))
    empty = g.add("FluxGuidance", conditioning=g.cond(comfy_harness.conditioning(seed=SOURCE_PROMPT)),
                  guidance=inv_guidance)
    i = advanced(g, m, g.out(empty), add_invert_sampler(g, **inv), inv_sigmas, src)
    prompt = g.add("FluxGuidance", conditioning=g.cond(comfy_harness.conditioning(seed=EDIT_PROMPT)),
                   guidance=edit_guidance)
    e = advanced(g, m, g.out(prompt), add_edit_sampler(g, g.out(i), **ed), sched, src)
    return i, e


# samplers to compare the pack's StochasticFluxSampler with: the SDE, its noise_scale 0 (an ODE), ComfyUI's euler
SAMPLERS = {
    "sde": ("StochasticFluxSampler", {"noise_scale": 1.0}),
    "ode": ("StochasticFluxSampler", {"noise_scale": 0.0}),
    "euler": ("KSamplerSelect", {"sampler_name": "euler"}),
}


def named_sampler(g: Graph, name: str) -> list:
    """A link to one of SAMPLERS."""
    node_id, inputs = SAMPLERS[name]
    return g.out(g.add(node_id, **inputs))


def sampled(g: Graph, model, latent, sampler, steps: int = 6, *, noise_seed: int, denoise: float = 1.0) -> str:
    """SamplerCustomAdvanced from RandomNoise(noise_seed) with the edit prompt on BasicScheduler(steps, denoise),
    as a user samples with a SAMPLER (a link); its node id."""
    m = _link(g, "model", model)
    return advanced(g, m, comfy_harness.conditioning(seed=EDIT_PROMPT), sampler, scheduler(g, m, steps, denoise),
                    latent, noise=g.out(g.add("RandomNoise", noise_seed=noise_seed)))


# --- the demo (workflows/scene_demo.json) ---------------------------------------------------------------------

DEMO = {"source": "a red solid circle at left on a plain white background",
        "edit": "a blue solid circle at left on a plain white background",
        "ed": {"stop_step": 14, "cfg": 3.0, "guidance": 0.0}}  # the edit's settings over DEFAULTS; negative: ""


def demo_caption(g: Graph, caption: str) -> list:
    """RFDemoCaption: a link to its CONDITIONING."""
    return g.out(g.add("RFDemoCaption", caption=caption))


def scene_demo(g: Graph, source: str = DEMO["source"], edit: str = DEMO["edit"], *, inv=None, ed=None,
               scale: int = 1) -> tuple[list, list]:
    """The chain of workflows/scene_demo.json: RFDemoScene(source) -> RFDemoImageToLatent -> invert_then_edit on
    RFDemoSceneModel (the empty caption inverts and is the edit's negative; DEMO["ed"], then ed, over DEFAULTS)
    -> RFDemoLatentToImage(scale) of the source and of the edit: links to those two IMAGEs."""
    model = g.out(g.add("RFDemoSceneModel"))
    latent = g.out(g.add("RFDemoImageToLatent", image=g.out(g.add("RFDemoScene", caption=source))))
    empty = demo_caption(g, "")
    _, e = invert_then_edit(g, model, latent, inv=inv, ed={**DEMO["ed"], "negative": empty, **(ed or {})},
                            src_cond=empty, edit_cond=demo_caption(g, edit))
    return tuple(g.out(g.add("RFDemoLatentToImage", samples=link, scale=scale)) for link in (latent, g.out(e)))


# --- running -------------------------------------------------------------------------------------------------


def run_nodes(runner, g: Graph, *outputs) -> tuple[Run, list[dict] | None]:
    """Captures each output (a node id: its output 0; or a link), runs the graph; the run and the captured LATENTs
    (None if it failed)."""
    names = [g.capture(o if is_link(o) else g.out(o)) for o in outputs]
    run = runner.run(g)
    outs = [CAPTURED.pop(n, None) for n in names]
    return run, (outs if run.success else None)


def run_ok(runner, g: Graph, *outputs, label: str = "") -> list[dict]:
    """run_nodes, asserting that the prompt ran (label: what the assertion message names first)."""
    run, outs = run_nodes(runner, g, *outputs)
    assert run.success, f"{label}: the prompt failed: {run.error}" if label else run.error
    return outs


def run_images(runner, g: Graph, *links) -> list[torch.Tensor]:
    """Captures each IMAGE link, runs the graph, asserting that it ran: the IMAGEs."""
    names = [g.capture_image(link) for link in links]
    run = runner.run(g)
    assert run.success, run.error
    return [CAPTURED.pop(n) for n in names]


def run_named(runner, g: Graph, outputs: dict) -> dict:
    """run_ok on named outputs: name -> the captured samples."""
    return {name: out["samples"] for name, out in zip(outputs, run_ok(runner, g, *outputs.values()))}


def run_invert(runner, model, latent, steps=None, *, cond=None, **over) -> dict:
    """add_invert alone on a new graph (the source prompt unless cond), run, asserting that it ran: its LATENT."""
    g = Graph()
    cond = comfy_harness.conditioning(seed=SOURCE_PROMPT) if cond is None else cond
    (inverted,) = run_ok(runner, g, add_invert(g, model, cond, latent, steps, **over))
    return inverted


def invert_and_edit(runner, model, source, steps=None, **chain) -> tuple[dict, dict]:
    """invert_then_edit on a new graph, run, asserting that it ran: (the inverted LATENT, the edited LATENT)."""
    g = Graph()
    inverted, edited = run_ok(runner, g, *invert_then_edit(g, model, source, steps, **chain))
    return inverted, edited
