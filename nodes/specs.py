"""Where the inputs enter: each pass checked once into an rf_core plan, before the model loads or in sample()."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from dataclasses import dataclass

import torch

from .. import rf_core
from . import latents, masks, record
from .inputs import ETA_STEP, MAX_STEPS
from .models import (check_batchable, check_flow_model, check_latent_layout, check_velocity_at_sigma0,
                     distilled_name, predicts_x0, steps_limit_hint)

INVERTED_NOISE_MASK = "the inverted latent's noise_mask"  # names of upstream noise_masks in errors
REFERENCE_NOISE_MASK = "the reference's noise_mask"


@dataclass(frozen=True)
class EditSpec:
    plan: rf_core.EditPlan
    mask: torch.Tensor | None  # (1 or B, 1, *spatial) of the latent's first part; 1 = edit
    info: dict | None  # the inversion record, if the inverted latent has one
    trace: rf_core.InversionTrace | None = None  # the inversion's trace, where the plan's levers read it
    ladder: rf_core.EditLadder | None = None  # an edit ladder's rungs; plan is then the setting given


@contextlib.contextmanager
def comfy_terms(patcher, sigmas: torch.Tensor, walk: bool = False):
    """rf_core's errors plus ComfyUI advice (the steps limit, RFFlipSigmas, the model whose network failed)."""
    try:
        yield
    except rf_core.RFInputError as e:
        hint = ""
        if e.rule == "sigmas_repeat":
            hint = steps_limit_hint(patcher, sigmas.numel() - 1)
        elif e.rule == "sigmas_direction" and walk:
            hint = "Connect RFFlipSigmas (or RFInversionSigmas) before SamplerCustomAdvanced's sigmas."
        elif e.rule == "velocity_not_finite":
            hint = (f"The model is {type(patcher.model).__name__}: check its weights and weight_dtype (fp16 overflows "
                    "in some models: load it in bf16 or default) and any patch or LoRA on it.")
        if not hint:
            raise
        raise rf_core.RFInputError(f"{e} {hint}") from None


def check_source(patchers: list, name: str, tensors: list[torch.Tensor]) -> None:
    """Rectified-flow models, and a latent of their layout with finite values."""
    for p in patchers:
        check_flow_model(p)
        check_latent_layout(p, name, tensors)
    latents.check_values(name, tensors)


def inversion_plan(patchers: list, sigmas: torch.Tensor, source: list[torch.Tensor], *, walk: bool,
                   name: str = "latent", gamma_start: int = 0, gamma_stop: int = MAX_STEPS,
                   **settings) -> rf_core.InversionPlan:
    """On the sampling grid, or with walk on the walk itself; patchers[0] takes the first step. gamma_stop past
    the walk's last step (the nodes' default) means to the last step."""
    check_source(patchers, name, source)
    check_velocity_at_sigma0(patchers[0])
    build = rf_core.walk_plan if walk else rf_core.inversion_plan
    walk_steps = sigmas.numel() - 1 - (0 if walk else int(settings.get("start_step", 0)))
    window = (int(gamma_start), min(int(gamma_stop), max(walk_steps, 1)))
    with comfy_terms(patchers[0], sigmas, walk):
        plan = build(sigmas, x0_network=predicts_x0(patchers[0]), gamma_window=window, **settings)
    warn_few_steps(patchers[0], plan.steps if walk else sigmas.numel() - 1, plan.order)
    return plan


def warn_few_steps(patcher, steps: int, order: str) -> None:
    """On the console: what to expect, and to try, from a distilled model or a grid too short to invert."""
    name = distilled_name(patcher)
    if name is not None:
        logging.warning("RF-Inversion: %s is a step-distilled model: it is trained to jump to the image in a few "
                        "large steps, not to be walked back, and users report that its inversion fails whatever the "
                        "steps. Expect weak or lost likeness; for faithful edits, invert and edit with the "
                        "undistilled model (e.g. Flux.1 dev).", name)
    reason = rf_core.few_steps_reason(steps, order)
    if reason is not None:
        logging.warning("RF-Inversion: %s Step-distilled models (Flux schnell, Z-Image Turbo, lightning LoRAs) ask "
                        "for such few steps, and users report that their inversion fails whatever the steps. Set the "
                        "same steps and order on RFInvert and the edit.", reason)


def flowedit_plan(patchers: list, sigmas: torch.Tensor, source: list[torch.Tensor], **settings) -> rf_core.FlowEditPlan:
    """FlowEdit's plan (settings as rf_core.flowedit_plan) for a source latent of the models' layout."""
    check_source(patchers, "latent", source)
    with comfy_terms(patchers[0], sigmas):
        return rf_core.flowedit_plan(sigmas, **settings)


def edit_spec(patchers: list, sigmas: torch.Tensor, inverted: list[torch.Tensor], references: list[torch.Tensor],
              edit_masks: dict, info: dict | None, boundary: float | None, reference_name: str = "reference",
              **settings) -> EditSpec:
    """settings as rf_core.edit_plan; boundary None for one model."""
    for p in patchers:
        check_flow_model(p)
    with comfy_terms(patchers[0], sigmas):
        plan = rf_core.edit_plan(sigmas, **settings)
    record.check_matches(info, sigmas, plan.start_step, plan.order, boundary)
    check_source(patchers, "inverted", inverted)
    check_source(patchers, reference_name, references)
    if len(inverted) != len(references):
        raise rf_core.RFInputError(f"inverted has {len(inverted)} part(s) but {reference_name} {len(references)} "
                                   f"(LTX-2: video and audio): give {reference_name} the latent RFInvert inverted.")
    for a, b in zip(inverted, references):
        rf_core.check_latent_pair("inverted", a, reference_name, b)
    return EditSpec(plan, masks.edit_mask(edit_masks, inverted[0]), info, edit_trace(plan, info))


def edit_trace(plan: rf_core.EditPlan, info: dict | None) -> rf_core.InversionTrace | None:
    """The trace RFInvert kept (keep_trace), keyed by the edit's own sigmas, where the plan's align needs it."""
    if not plan.needs_trace:
        return None
    trace = None if info is None else info.get("trace")
    if trace is None:
        raise rf_core.RFInputError(
            "align reads the inversion's path, which this inverted latent does not carry: turn keep_trace on in "
            "RFInvert and connect its output to inverted (RFInvertSampler cannot keep it), or turn align off.")
    walk = tuple(plan.sigmas[plan.start_step:][::-1])
    if not trace.complete() or len(trace.sigmas) != len(walk):
        raise rf_core.RFInputError(f"the inverted latent's trace does not cover this edit's steps: invert with the "
                                   "same steps and start_step, keep_trace on, or turn align off.")
    return dataclasses.replace(trace, sigmas=walk)  # record.check_matches has checked the grids agree (1e-6)


def ladder_spec(patchers: list, sigmas: torch.Tensor, inverted: list[torch.Tensor], reference: list[torch.Tensor],
                edit_masks: dict, info: dict | None, boundary: float | None, *, sweep: str, rungs: int,
                **settings) -> EditSpec:
    """edit_spec with the ladder's rungs; eta rungs on the eta input's resolution."""
    for p in patchers:
        check_batchable(p)
    spec = edit_spec(patchers, sigmas, inverted, reference, edit_masks, info, boundary, **settings)
    ladder = rf_core.edit_ladder(sigmas, sweep=sweep, rungs=rungs, resolution=ETA_STEP, **settings)
    return dataclasses.replace(spec, ladder=ladder)


def check_mask_not_read_as_timesteps(model_wrap, denoise_mask: torch.Tensor | None, sampler: str) -> None:
    """LTXV and Wan 2.2 TI2V read a noise_mask as per-token timesteps."""
    if denoise_mask is None:
        return
    conds = getattr(model_wrap, "conds", None) or {}
    if not any("denoise_mask" in c.get("model_conds", {}) for group in conds.values() for c in group):
        return
    raise rf_core.RFInputError(
        f"latent_image's noise_mask reaches {type(model_wrap.model_patcher.model).__name__}, which reads it as "
        f"per-token timesteps: connect the mask to {sampler}'s mask input instead, or use RFInvert and "
        "RFControlledSampler."
    )
