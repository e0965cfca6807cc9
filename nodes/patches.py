"""Core patches a pass leaves out, logged: CFG-stage functions without a negative prompt (ComfyUI hands them
zeros), step caches in the inversion (sigma rises). README, Compatibility."""

from __future__ import annotations

import contextlib
import logging
import math

import comfy.model_patcher
import comfy.samplers

from ..rf_core import RFInputError

CFG_STAGE = ("sampler_cfg_function", "sampler_pre_cfg_function", "sampler_post_cfg_function",
             "sampler_calc_cond_batch_function")
CFG_WRAPPERS = ("CFGOverride",)  # wrappers that set the guider's cfg per step
CACHE_KEYS = {"easycache": "EasyCache", "lazycache": "LazyCache"}  # the caches' wrapper keys -> their nodes
CACHE_PATCHES = {"KV_Attn_Input": "FluxKVCache", "FluxKVCache": "FluxKVCache"}  # its attention and input patches
UNREAD = {"denoise_mask_function": "the pack applies masks in its controller, where a grey mask value pulls partly"}
NO_NEGATIVE = ("CFG-stage patches combine the prompt with a negative prompt, which this pass does not have (an edit "
               "uses them with a negative prompt and cfg above 1)")
SIGMA_RISES = "step caches reuse earlier steps as if sigma fell, and the inversion walks sigma up"
AT_SIGMA0 = ("CFG-stage patches work on a denoised prediction at sigma > 0 (RescaleCFG divides by sigma), so the "
             "step from sigma = 0 combines the prompts by plain CFG")


def node_of(patch) -> str:
    """The core node a patch comes from: its defining class, else its own name."""
    qualname = getattr(patch, "__qualname__", None) or type(patch).__qualname__
    return qualname.split(".<locals>")[0].split(".")[0]


def hands_a_negative(guider, model_options: dict) -> bool:
    """Whether the guider's CFG stage gets a negative prediction (ComfyUI hands it zeros otherwise)."""
    if not (getattr(guider, "conds", None) or {}).get("negative"):
        return False
    skips_at_one = (type(guider).predict_noise is comfy.samplers.CFGGuider.predict_noise
                    or hasattr(guider, "uncond_model_patcher"))  # CFGGuider, DualModelGuider
    at_one = math.isclose(float(getattr(guider, "cfg", 1.0)), 1.0)
    return not (skips_at_one and at_one and not model_options.get("disable_cfg1_optimization", False))


def drop_cfg_functions(options: dict) -> list[str]:
    """Pops the CFG-stage functions; their nodes."""
    found = []
    for key in CFG_STAGE:
        value = options.pop(key, None)
        found += [node_of(f) for f in (value if isinstance(value, list) else [value] if value else [])]
    return found


def _drop_cfg_stage(options: dict) -> list[str]:
    """Pops the CFG-stage functions and per-step cfg wrappers; their nodes."""
    return drop_cfg_functions(options) + _drop_wrappers(options, lambda key, fn: node_of(fn) in CFG_WRAPPERS)


def _drop_wrappers(options: dict, match) -> list[str]:
    """Removes the wrappers match(key, fn) picks; their nodes."""
    found = []
    for by_key in options.get("transformer_options", {}).get("wrappers", {}).values():
        for key, fns in list(by_key.items()):
            dropped = [fn for fn in fns if match(key, fn)]
            found += [CACHE_KEYS.get(key) or node_of(fn) for fn in dropped]
            by_key[key] = [fn for fn in fns if not match(key, fn)]
    return found


def _drop_caches(options: dict) -> list[str]:
    """Removes the step caches; their nodes."""
    found = _drop_wrappers(options, lambda key, fn: key in CACHE_KEYS)
    patches = options.get("transformer_options", {}).get("patches", {})
    for name, items in patches.items():
        found += [CACHE_PATCHES[node_of(p)] for p in items if node_of(p) in CACHE_PATCHES]
        patches[name] = [p for p in items if node_of(p) not in CACHE_PATCHES]
    return found


def _drop_unread(options: dict) -> list[tuple[str, str]]:
    """Pops the functions no pass calls (denoise mask); (node, why) each."""
    return [(node_of(options.pop(key)), why) for key, why in UNREAD.items() if key in options]


def without(guider, model_options: dict, inversion: bool) -> tuple[dict, list[tuple[str, str]]]:
    """model_options without what the pass cannot run; (node, why) for each left out."""
    options = comfy.model_patcher.create_model_options_clone(model_options)
    off = [] if hands_a_negative(guider, options) else [(n, NO_NEGATIVE) for n in _drop_cfg_stage(options)]
    if inversion:
        off += [(n, SIGMA_RISES) for n in _drop_caches(options)]
    return options, off + _drop_unread(options)


def say(off: list[tuple[str, str]], pass_name: str) -> None:
    """Logs one line per reason, naming its nodes."""
    for why in dict.fromkeys(w for _, w in off):
        names = ", ".join(dict.fromkeys(n for n, w in off if w == why))
        logging.info("RF-Inversion: the %s runs without %s: %s.", pass_name, names, why)


@contextlib.contextmanager
def pass_options(guider, extra_args: dict, pass_name: str, inversion: bool):
    """extra_args for one pass; the guider's own model_options (PREDICT_NOISE wrappers) alike, restored after."""
    options, off = without(guider, extra_args["model_options"], inversion)
    say(off, pass_name)
    own = guider.model_options
    guider.model_options = without(guider, own, inversion)[0]
    try:
        yield dict(extra_args, model_options=options)
    finally:
        guider.model_options = own


def check_inversion_hooks(conds: dict) -> None:
    """Refuses hook keyframes: they advance only as sigma falls."""
    for group in conds.values():
        for c in group or []:
            hooks = getattr(c.get("hooks"), "hooks", None) or []
            if any(len(getattr(getattr(h, "hook_keyframe", None), "keyframes", [])) > 1 for h in hooks):
                raise RFInputError(
                    "the inversion's conditioning has hooks with keyframes (SetHookKeyframes), which ComfyUI moves "
                    "only as sigma falls, and the inversion walks sigma up: give RFInvert a conditioning whose hooks "
                    "have one keyframe (or none), and keep the keyframes on the edit's.")
