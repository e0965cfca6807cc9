"""How tests/test_compat.py runs an inventory entry (compat_inventory): its tiny model, prompts and source, the
invert-then-edit chain (builders) with the entry's patch on the model or on both prompts, and the objects some
patches take (a LoRA file, a Flux ControlNet, a Redux style model)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import torch

import builders
import comfy_harness
import exact_model
from compat_inventory import EXACT
from executor import Graph
from seeded import randn

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"  # tests/_artifacts
STEPS = 6
ROUND_TRIP = ({"gamma": 0.0}, {"eta": 0.0, "stop_step": 1, "guidance": 0.0})  # RFInvert's, the edit's settings
EDIT = {"eta": 0.9, "stop_step": 2, "guidance": 0.0}  # a real edit, pulled towards the source on 2 of 6 steps
PAPER_EDIT = {"eta": 0.9, "stop_step": 7, "guidance": 0.0}  # the defaults' edit on 28 steps
ETA_ONE = {"eta": 1.0, "stop_step": STEPS, "guidance": 0.0}  # eta 1 on every step: the edit returns the source
CORE_FILES = ("nodes_model_advanced.py", "nodes_cfg.py", "nodes_apg.py", "nodes_mahiro.py", "nodes_fresca.py",
              "nodes_tcfg.py", "nodes_lumina2.py", "nodes_eps.py", "nodes_perpneg.py", "nodes_latent.py",
              "nodes_slg.py", "nodes_sd3.py", "nodes_easycache.py", "nodes_differential_diffusion.py", "nodes_nag.py",
              "nodes_rope.py", "nodes_chroma_radiance.py", "nodes_hidream_o1.py", "nodes_context_windows.py",
              "nodes_torch_compile.py", "nodes_hypertile.py", "nodes_freelunch.py", "nodes_model_downscale.py",
              "nodes_tomesd.py", "nodes_attention_multiply.py", "nodes_pag.py", "nodes_sag.py", "nodes_video_model.py",
              "nodes_edit_model.py", "nodes_hooks.py", "nodes_mask.py", "nodes_lt.py")
_MODELS: dict = {}


@dataclass
class Case:
    """An entry's model, its source LATENT and its prompts (source, edit, negative, second)."""

    model: object
    source: dict
    prompts: dict
    family: object = None  # the zoo family, None for the exact model and SD1.5


def model_of(name: str, zoo):
    """The tiny model an entry runs on, built once per session."""
    if name not in _MODELS:
        if name == EXACT:
            _MODELS[name] = exact_model.exact_flux(0)
        elif name == "SD1.5":
            _MODELS[name] = comfy_harness.tiny_sd15(seed=4)
        else:
            _MODELS[name] = zoo.BY_NAME[name].build(seed=1)
    return _MODELS[name]


def case_of(entry, zoo) -> Case:
    model = model_of(entry.model, zoo)
    if entry.model == EXACT:
        prompts = {k: exact_model.exact_conditioning(c) for k, c in
                   (("source", 0), ("edit", 1), ("negative", 2), ("second", 2))}
        return Case(model, {"samples": exact_model.source(model)}, prompts)
    if entry.model == "SD1.5":
        cond = comfy_harness.conditioning
        return Case(model, {"samples": randn((1, 4, 8, 8), 1)},
                    {"source": cond(seed=0), "edit": cond(seed=5), "negative": cond(seed=6), "second": cond(seed=7)})
    family = zoo.BY_NAME[entry.model]
    latent = family.latent(10)
    prompts = {k: family.conditioning(s, latent["samples"]) for k, s in
               (("source", 0), ("edit", 5), ("negative", 6), ("second", 7))}
    if entry.kind == "reference":  # the entry's node gives both passes the source as their one reference
        prompts = {k: [[c, {n: v for n, v in d.items() if n != "reference_latents"}] for c, d in p]
                   for k, p in prompts.items()}
    return Case(model, latent, prompts, family)


COND_FIELDS = {"ConditioningCombine": (("source", 0.5), ("second", 0.5))}  # exact fields of prompt tools


def on_prompt(g: Graph, patch, cond_link, case: Case) -> list:
    """A conditioning patch on one prompt; a patch of two prompts gets the case's second prompt too."""
    if len(inspect.signature(patch).parameters) == 3:
        return patch(g, cond_link, g.cond(case.prompts["second"]))
    return patch(g, cond_link)


def chain(runner, case: Case, patch=None, where: str = "model", inv=None, ed=None, negative=None, steps=STEPS):
    """RFInvert -> RFControlledSampler with the patch on the model (where="model") or on both prompts
    ("conditioning"); negative: the edit's cfg with the negative prompt. (inverted, edited) LATENTs. A round trip
    (ed is ROUND_TRIP's) edits on the source prompt: the same field both ways, a reconstruction."""
    g = Graph()
    m = g.model(case.model)
    src = g.cond(case.prompts["source"])
    edit = src if ed == ROUND_TRIP[1] else g.cond(case.prompts["edit"])
    if patch is not None and where == "model":
        m = patch(g, m)
    if patch is not None and where == "conditioning":
        src = on_prompt(g, patch, src, case)
        edit = src if ed == ROUND_TRIP[1] else on_prompt(g, patch, edit, case)
    nodes = builders.invert_then_edit(g, m, case.source, steps, inv=inv, ed=with_negative(case, ed, negative),
                                      src_cond=src, edit_cond=edit)
    return tuple(builders.run_ok(runner, g, *nodes))


def with_negative(case: Case, ed, negative) -> dict:
    """The edit's settings, with the negative prompt at cfg `negative` unless it is None."""
    ed = dict(ed or {})
    if negative is not None:
        ed.update(negative=case.prompts["negative"], cfg=negative)
    return ed


def edit_only(runner, case: Case, inverted: dict, patch=None, ed=None, negative=None, steps=STEPS,
              cond_patch=None) -> dict:
    """The edit alone, from an inverted LATENT, with the patch on the model (cond_patch: on its prompt)."""
    g = Graph()
    m = g.model(case.model) if patch is None else patch(g, g.model(case.model))
    cond = g.cond(case.prompts["edit"])
    if cond_patch is not None:
        cond = on_prompt(g, cond_patch, cond, case)
    e = builders.add_edit(g, m, cond, inverted, case.source, steps, **with_negative(case, ed, negative))
    (edited,) = builders.run_ok(runner, g, e)
    return edited


def invert_run(runner, case: Case, cond, patch=None):
    """RFInvert alone with a conditioning link made by cond(g) and the patch on the model; the executor's Run."""
    g = Graph()
    m = g.model(case.model) if patch is None else patch(g, g.model(case.model))
    i = builders.add_invert(g, m, cond(g), case.source, STEPS)
    run, _ = builders.run_nodes(runner, g, i)
    return run


_SEEN: dict = {}


def evaluations(case: Case):
    """The exact model's network evaluations since the last call (None for other models)."""
    if case.family is not None or not isinstance(case.model.get_model_object("diffusion_model"),
                                                 exact_model.ExactNet):
        return None
    total = exact_model.net(case.model).evaluations
    since, _SEEN[id(case.model)] = total - _SEEN.get(id(case.model), 0), total
    return since


# --- objects some patches take ---------------------------------------------------------------------------------


def flux_lora(model) -> dict:
    """A LoRA state dict for the tiny Flux: the first double block's image attention."""
    return tiny_lora(model, "double_blocks.0.img_attn")


def tiny_lora(model, prefix: str, rank: int = 2, seed: int = 11) -> dict:
    """A LoRA state dict (ComfyUI's diffusion_model.<name>.lora_up/down keys) of rank `rank` for every linear
    weight of a tiny model whose name starts with prefix."""
    out = {}
    net = model.get_model_object("diffusion_model")
    for name, p in sorted(net.named_parameters()):
        if name.startswith(prefix) and name.endswith(".weight") and p.ndim == 2:
            key = "diffusion_model." + name[: -len(".weight")]
            out[key + ".lora_up.weight"] = randn((p.shape[0], rank), seed, 0.5)
            out[key + ".lora_down.weight"] = randn((rank, p.shape[1]), seed + 1, 0.5)
    return out


def flux_controlnet(seed: int = 12):
    """A tiny Flux ControlNet (ComfyUI's ControlNetFlux in its ControlNet object), seeded random weights."""
    import comfy.controlnet
    import comfy.ldm.flux.controlnet
    import comfy.model_management as mm
    import comfy.ops

    config = comfy_harness.flux_unet_config()
    config.pop("image_model")
    net = comfy.ldm.flux.controlnet.ControlNetFlux(operations=comfy.ops.disable_weight_init, **config)
    comfy_harness.randomize(net, seed, 0.2)
    return comfy.controlnet.ControlNet(net, load_device=mm.get_torch_device(), extra_conds=["y", "guidance"])


def redux(seed: int = 13):
    """A tiny Redux style model (ComfyUI's ReduxImageEncoder in its StyleModel) and a CLIP vision output for it."""
    import comfy.clip_vision
    import comfy.ldm.flux.redux
    import comfy.sd

    encoder = comfy.ldm.flux.redux.ReduxImageEncoder(redux_dim=8, txt_in_features=comfy_harness.CONTEXT_DIM)
    comfy_harness.randomize(encoder, seed, 0.2)
    vision = comfy.clip_vision.Output()
    vision["last_hidden_state"] = randn((1, 3, 8), seed + 1)
    return comfy.sd.StyleModel(encoder), vision


def control_image() -> torch.Tensor:
    """An IMAGE of the tiny latents' pixel size (64 x 64)."""
    return torch.rand((1, 64, 64, 3), generator=torch.Generator().manual_seed(14))


def reference_latent(g: Graph, cond_link, case: Case) -> list:
    """ReferenceLatent of the case's source on a prompt."""
    return g.out(g.add("ReferenceLatent", conditioning=cond_link, latent=g.latent(**case.source)))


# --- hooks -----------------------------------------------------------------------------------------------------


def _hook_lora(g: Graph) -> list:
    from compat_inventory import LORA_NAME

    return g.out(g.add("CreateHookLora", lora_name=LORA_NAME, strength_model=1.0, strength_clip=1.0))


def _with_hooks(g: Graph, cond_link, hooks) -> list:
    return g.out(g.add("ConditioningSetProperties", cond_NEW=cond_link, strength=1.0, set_cond_area="default",
                       hooks=hooks))


def hooked(g: Graph, cond_link) -> list:
    """The prompt with the tiny LoRA as a hook (CreateHookLora, ConditioningSetProperties), no keyframes."""
    return _with_hooks(g, cond_link, _hook_lora(g))


def keyframed_hooks(g: Graph, cond_link) -> list:
    """The same hook at strength 1 until 50 % of the steps, then 0 (two keyframes, SetHookKeyframes)."""
    first = g.out(g.add("CreateHookKeyframe", strength_mult=1.0, start_percent=0.0))
    both = g.out(g.add("CreateHookKeyframe", strength_mult=0.0, start_percent=0.5, prev_hook_kf=first))
    return _with_hooks(g, cond_link, g.out(g.add("SetHookKeyframes", hooks=_hook_lora(g), hook_kf=both)))


# --- ranges by sigma ---------------------------------------------------------------------------------------------


def _codes(c_concat, c_crossattn, *args, **kwargs) -> frozenset:
    return frozenset(int(round(float(v))) for v in c_crossattn[:, 0, 0])


def _controlled(c_concat, c_crossattn, control, *args, **kwargs) -> bool:
    return control is not None


def _two_ranges(g: Graph, case: Case, node: str) -> list:
    """Prompt A (code 1) on steps 0-50 %, prompt B (code 2) on 50-100 %, combined (exact model)."""
    def ranged(code, start, end):
        cond = g.cond(exact_model.exact_conditioning(code))
        if node == "ConditioningSetTimestepRange":
            return g.out(g.add(node, conditioning=cond, start=start, end=end))
        steps = g.out(g.add("ConditioningTimestepsRange", start_percent=start, end_percent=end))
        return g.out(g.add(node, cond_NEW=cond, strength=1.0, set_cond_area="default", timesteps=steps))

    return g.out(g.add("ConditioningCombine", conditioning_1=ranged(1, 0.0, 0.5), conditioning_2=ranged(2, 0.5, 1.0)))


def _control(g: Graph, case: Case, cond_link, start: float, end: float) -> list:
    applied = g.add("ControlNetApplyAdvanced", positive=cond_link, negative=g.cond(case.prompts["negative"]),
                    control_net=g.obj("control_net", flux_controlnet()), image=g.obj("image", control_image()),
                    strength=1.0, start_percent=start, end_percent=end)
    return g.out(applied)


def timed_calls(runner, case: Case, entry):
    """Each model call of RFInvert and of the edit alone as (pass, sigma, what it saw), and what it should have
    seen at a sigma: the prompts of the ranges (exact model) or whether the ControlNet ran (0.2-0.6)."""
    from family_runs import recording_clone

    sampling = case.model.get_model_object("model_sampling")
    if entry.node == "ControlNetApplyAdvanced":
        lo, hi = sampling.percent_to_sigma(0.6), sampling.percent_to_sigma(0.2)
        prompt, what = (lambda g: _control(g, case, g.cond(case.prompts["source"]), 0.2, 0.6)), _controlled
        expected = lambda s: lo <= s <= hi  # noqa: E731  (ComfyUI's rule: inside [sigma(end), sigma(start)])
    else:
        mid = sampling.percent_to_sigma(0.5)
        prompt, what = (lambda g: _two_ranges(g, case, entry.node)), _codes
        expected = lambda s: frozenset(c for c, on in ((1, s >= mid), (2, s <= mid)) if on)  # noqa: E731
    log: list = []
    g = Graph()
    i = builders.add_invert(g, recording_clone(case.model, log, "inversion", what), prompt(g), case.source, STEPS)
    e = builders.add_edit(g, recording_clone(case.model, log, "edit", what), prompt(g), g.out(i), case.source,
                          STEPS, **EDIT)
    builders.run_ok(runner, g, e)
    return log, expected


# --- the SAMPLER forms under a guider ------------------------------------------------------------------------------


def guider(g: Graph, name: str, m, case: Case) -> list:
    """One of core's guiders on the case's prompts: cfg 3 with the negative where it takes one."""
    p, n = (g.cond(case.prompts[k]) for k in ("source", "negative"))
    inputs = {
        "BasicGuider": dict(conditioning=p),
        "CFGGuider": dict(positive=p, negative=n, cfg=3.0),
        "DualCFGGuider": dict(cond1=p, cond2=g.cond(case.prompts["edit"]), negative=n, cfg_conds=3.0,
                              cfg_cond2_negative=2.0, style="regular"),
        "PerpNegGuider": dict(positive=p, negative=n, empty_conditioning=g.cond(case.prompts["edit"]), cfg=3.0,
                              neg_scale=1.0),
        "DualModelGuider": dict(positive=p, cfg=3.0, model_negative=m, negative=n),
    }[name]
    return g.out(g.add(name, model=m, **inputs))


def sampler_forms(runner, case: Case, guider_name: str, inv=None, ed=None, patch=None, steps=STEPS):
    """RFInvertSampler then RFControlledSamplerSampler in SamplerCustomAdvanced, both under one guider (of the
    model with the patch)."""
    g = Graph()
    m = g.model(case.model) if patch is None else patch(g, g.model(case.model))
    src = g.latent(**case.source)
    sched = builders.scheduler(g, m, steps)
    gd = guider(g, guider_name, m, case)
    off = g.out(g.add("DisableNoise"))
    i = g.add("SamplerCustomAdvanced", noise=off, guider=gd, sampler=builders.add_invert_sampler(g, **(inv or {})),
              sigmas=g.out(g.add("RFFlipSigmas", sigmas=sched)), latent_image=src)
    e = g.add("SamplerCustomAdvanced", noise=off, guider=gd, sampler=builders.add_edit_sampler(g, g.out(i), **(ed or {})),
              sigmas=sched, latent_image=src)
    return tuple(builders.run_ok(runner, g, i, e))


def exact_field(case: Case, *weighted):
    """sum w * v(prompt) of the exact model's velocities, (prompt key, w) pairs: a guided field."""
    gm = exact_model.net(case.model).gm
    codes = {k: int(round(float(case.prompts[k][0][0][0, 0, 0]))) for k, _ in weighted}
    return lambda x, s: sum(w * gm.velocity(x, s, exact_model.CLASSES[codes[k]]) for k, w in weighted)


GUIDED = {  # the field each guider of sampler_forms makes on the exact model (weights sum to 1)
    "BasicGuider": (("source", 1.0),),
    "CFGGuider": (("negative", -2.0), ("source", 3.0)),
    "DualModelGuider": (("negative", -2.0), ("source", 3.0)),
    "DualCFGGuider": (("negative", -1.0), ("edit", -1.0), ("source", 3.0)),
}


def exact_round_trip(case: Case, grid: torch.Tensor, up=None, down=None) -> torch.Tensor:
    """ROUND_TRIP with rf_core on exact fields (default: the source prompt's both ways) on the grid the nodes
    used: what the exact model's round trip must equal, whatever a patch did to the grid."""
    import rf_core

    up = up or exact_field(case, ("source", 1.0))
    down = down or up
    fmt = case.model.get_model_object("latent_format")
    y0 = fmt.process_in(case.source["samples"].float())
    x = rf_core.invert(up, y0, grid, torch.zeros_like(y0), gamma=ROUND_TRIP[0]["gamma"])
    out = rf_core.edit(down, x, y0, grid, eta=ROUND_TRIP[1]["eta"], start_step=0,
                       stop_step=ROUND_TRIP[1]["stop_step"])
    return fmt.process_out(out)


def without_cache(case: Case, entry) -> Case:
    """The case on the model the cache node patches less its cache: FluxKVCache also sets Flux's reference
    method to index_timestep_zero (an object patch, kept in both passes), so its unpatched twin has that too."""
    if entry.node != "FluxKVCache":
        return case
    twin = case.model.clone()
    twin.add_object_patch("diffusion_model.params.default_ref_method", "index_timestep_zero")
    return Case(twin, case.source, case.prompts, case.family)


def generation_change(runner, case: Case, patch, steps: int) -> float:
    """How far a patch moves a plain generation (core euler through SamplerCustomAdvanced, seed 3, the edit
    prompt) from the one without it: what the patch costs outside RF-Inversion, for comparison."""
    from mixtures import rel_err

    outs = []
    for p in (None, patch):
        g = Graph()
        m = g.model(case.model) if p is None else p(g, g.model(case.model))
        sampler = builders.named_sampler(g, "euler")
        guider = g.add("BasicGuider", model=m, conditioning=g.cond(case.prompts["edit"]))
        node = g.add("SamplerCustomAdvanced", noise=g.out(g.add("RandomNoise", noise_seed=3)), guider=g.out(guider),
                     sampler=sampler, sigmas=builders.scheduler(g, m, steps), latent_image=g.latent(**case.source))
        outs.append(builders.run_ok(runner, g, node)[0]["samples"])
    return rel_err(outs[1], outs[0])
