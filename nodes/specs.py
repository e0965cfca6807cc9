"""Where the inputs enter: each pass is checked once here and becomes a checked spec (an rf_core plan, plus the
edit's mask and the inversion record). The all-in-one nodes build it before guider.sample loads the model; the
SAMPLER forms build it in sample(), where SamplerCustomAdvanced hands them the sigmas and the latent."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch

from .. import rf_core
from . import latents, masks, record
from .models import check_flow_model, check_latent_layout, check_velocity_at_sigma0, predicts_x0, steps_limit_hint

INVERTED_NOISE_MASK = "the inverted latent's noise_mask"  # how the errors name noise_masks set upstream
REFERENCE_NOISE_MASK = "the reference's noise_mask"


@dataclass(frozen=True)
class EditSpec:
    plan: rf_core.EditPlan
    mask: torch.Tensor | None  # (1 or B, 1, *spatial) of the latent's first part; 1 = edit
    info: dict | None  # the inversion record, if the inverted latent has one


@contextlib.contextmanager
def comfy_terms(patcher, sigmas: torch.Tensor, walk: bool = False):
    """rf_core's grid errors with the ComfyUI advice that fits: a grid that repeats sigmas has more steps than the
    model has noise levels (say its limit); a SAMPLER form's walk that does not increase needs RFFlipSigmas."""
    try:
        yield
    except rf_core.RFInputError as e:
        hint = ""
        if e.rule == "sigmas_repeat":
            hint = steps_limit_hint(patcher, sigmas.numel() - 1)
        elif e.rule == "sigmas_direction" and walk:
            hint = ("Connect RFFlipSigmas (or RFInversionSigmas) between BasicScheduler and SamplerCustomAdvanced's "
                    "sigmas.")
        if not hint:
            raise
        raise rf_core.RFInputError(f"{e} {hint}") from None


def check_source(patchers: list, name: str, tensors: list[torch.Tensor]) -> None:
    """Each model is a rectified flow and the latent (its parts) has its layout, finite values and an item."""
    for p in patchers:
        check_flow_model(p)
        check_latent_layout(p, name, tensors[0])
    latents.check_values(name, tensors)


def inversion_plan(patchers: list, sigmas: torch.Tensor, source: list[torch.Tensor], *, walk: bool,
                   name: str = "latent", **settings) -> rf_core.InversionPlan:
    """The checked inversion: `sigmas` is the sampling grid (settings: gamma, start_step, order) or, with walk,
    the walk itself (increasing, the SAMPLER form). patchers[0] takes the step from sigma = 0."""
    check_source(patchers, name, source)
    check_velocity_at_sigma0(patchers[0])
    build = rf_core.walk_plan if walk else rf_core.inversion_plan
    with comfy_terms(patchers[0], sigmas, walk):
        return build(sigmas, x0_network=predicts_x0(patchers[0]), **settings)


def edit_spec(patchers: list, sigmas: torch.Tensor, inverted: list[torch.Tensor], reference: list[torch.Tensor],
              edit_masks: dict, info: dict | None, boundary: float | None, reference_name: str = "reference",
              **settings) -> EditSpec:
    """The checked edit on the sampling grid: settings as rf_core.edit_plan; edit_masks maps each mask's name to
    its MASK (None where not connected); boundary is the expert split (None for one model)."""
    for p in patchers:
        check_flow_model(p)
    with comfy_terms(patchers[0], sigmas):
        plan = rf_core.edit_plan(sigmas, **settings)
    record.check_matches(info, sigmas, plan.start_step, plan.order, boundary)
    check_source(patchers, "inverted", inverted)
    check_source(patchers, reference_name, reference)
    if len(inverted) != len(reference):
        raise rf_core.RFInputError(
            f"inverted is a latent of {len(inverted)} part(s) but {reference_name} of {len(reference)} (LTX-2 latents "
            f"are video and audio, from LTXVConcatAVLatent): give {reference_name} the latent RFInvert inverted, in "
            "the same form."
        )
    for a, b in zip(inverted, reference):
        rf_core.check_latent_pair("inverted", a, reference_name, b)
    return EditSpec(plan, masks.edit_mask(edit_masks, inverted[0]), info)


def check_mask_not_read_as_timesteps(model_wrap, denoise_mask: torch.Tensor | None, sampler: str) -> None:
    """SamplerCustomAdvanced hands latent_image's noise_mask to the guider, and a model that reads it as per-token
    timesteps (LTXV, LTX-2, Wan 2.2 TI2V) would see the outside as clean while RF-Inversion keeps it noisy."""
    if denoise_mask is None:
        return
    conds = getattr(model_wrap, "conds", None) or {}
    if not any("denoise_mask" in c.get("model_conds", {}) for group in conds.values() for c in group):
        return
    raise rf_core.RFInputError(
        f"latent_image carries a noise_mask (SetLatentNoiseMask), which SamplerCustomAdvanced hands to this model "
        f"({type(model_wrap.model_patcher.model).__name__}), and this model turns it into per-token timesteps "
        "(timestep 0 outside the mask, as LTXV, LTX-2 and Wan 2.2 do for image-to-video) while RF-Inversion keeps "
        "the outside at the step's noise level: remove SetLatentNoiseMask before SamplerCustomAdvanced and connect "
        f"the mask to {sampler}'s mask input, or use RFInvert and RFControlledSampler, which take the noise_mask "
        "without handing it to the model."
    )
