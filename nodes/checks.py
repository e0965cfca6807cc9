"""Node-level input checks: each error names the input to change. Shared by the nodes and the Sampler objects,
so the all-in-one nodes and the SAMPLER forms reject the same inputs with the same words."""

from __future__ import annotations

import hashlib
import logging
import math

import torch

import comfy.samplers

from ..rf_core import (
    RFInputError,
    check_edit_window,
    check_latent_pair,
    check_latent_values,
    check_sigmas,
    prepare_mask,
)
from . import latents
from .adapter import require_flow_model

INVERSION_KEY = "rf_inversion"  # extra key of RFInvert's LATENT: how the inversion was made
REFERENCE_NOISE_MASK = "the reference's noise_mask"  # how the errors name noise_masks set upstream
INVERTED_NOISE_MASK = "the inverted latent's noise_mask"


def latent_channels(model_patcher) -> int:
    return int(model_patcher.get_model_object("latent_format").latent_channels)


def check_latent_layout(model_patcher, name: str, samples: torch.Tensor) -> None:
    """samples has the model's latent layout (its latent_format's latent_dimensions): (B, C, H, W) for image models,
    (B, C, T, H, W) for video models, (B, C, L) for 1-D audio models (ACE-Step 1.5)."""
    dims = int(getattr(model_patcher.get_model_object("latent_format"), "latent_dimensions", 2))
    if samples.ndim != dims + 2:
        layout = {1: "(B, C, L), an audio latent", 2: "(B, C, H, W), an image latent",
                  3: "(B, C, T, H, W), a video latent"}.get(dims, f"{dims + 2}-D")
        raise RFInputError(
            f"{name} has shape {tuple(samples.shape)} but this model works on latents {layout}: give {name} a latent "
            "made for this model (its VAE, or its own empty-latent node)."
        )
    check_latent_channels(name, samples, latent_channels(model_patcher))


def check_latent_channels(name: str, samples: torch.Tensor, channels: int) -> None:
    if samples.shape[1] != channels:
        raise RFInputError(
            f"{name} has {samples.shape[1]} channels but this model works on {channels}-channel latents: encode "
            f"the image with this model's VAE ({channels} channels, e.g. the Flux or SD3 VAE), not one of another "
            "model family (SD1.5/SDXL latents have 4)."
        )


def check_flow_latent(model_patcher, name: str, samples) -> None:
    """The model samples by rectified flow and `samples` (a tensor, a NestedTensor or the list of its parts) is a
    finite, non-empty latent batch; its first part (LTX-2: the video) has the model's layout and channels."""
    require_flow_model(model_patcher)
    tensors = samples if isinstance(samples, list) else latents.parts(samples)
    check_latent_layout(model_patcher, name, tensors[0])
    for t in tensors:
        check_latent_values(name, t)


def check_edit_wiring(inverted: dict, reference: dict) -> None:
    """The reference is the source, not an inversion: RFInvert's record on it means a wiring mistake."""
    if inversion_info(reference) is None:
        return
    if inversion_info(inverted) is None:
        raise RFInputError(
            "inverted and reference are swapped: the reference is RFInvert's output and the inverted latent is not. "
            "connect RFInvert's output to 'inverted' and the source latent (the one RFInvert inverted, e.g. from "
            "VAEEncode) to 'reference'."
        )
    raise RFInputError(
        "the reference is an inverted latent (RFInvert's output), so the edit would pull towards noise: connect the "
        "source latent (the one RFInvert inverted, e.g. from VAEEncode) to 'reference'."
    )


def check_edit_inputs(model_patcher, info: dict | None, grid: torch.Tensor, start_step: int, stop_step: int,
                      inverted, reference, reference_name: str = "reference",
                      masks: dict | None = None, order: str = "euler") -> None:
    """What an edit needs before it runs. RFControlledSampler calls it before guider.sample loads the model, so a
    bad input fails at once; its Sampler object calls it again, for the SamplerCustomAdvanced form. masks maps an
    input's name to its mask (None where not connected). inverted and reference are tensors, NestedTensors or lists
    of their parts (nodes/latents.py); masks apply to the first part."""
    check_sigmas(grid, increasing=False)
    check_edit_window(start_step, stop_step, grid.numel() - 1)
    check_inversion_match(info, grid, start_step, order)
    inv = inverted if isinstance(inverted, list) else latents.parts(inverted)
    ref = reference if isinstance(reference, list) else latents.parts(reference)
    check_flow_latent(model_patcher, "inverted", inv)
    check_flow_latent(model_patcher, reference_name, ref)
    if len(inv) != len(ref):
        raise RFInputError(
            f"inverted is a latent of {len(inv)} part(s) but {reference_name} of {len(ref)} (LTX-2 latents are video "
            f"and audio, from LTXVConcatAVLatent): give {reference_name} the latent RFInvert inverted, in the same "
            "form."
        )
    for a, b in zip(inv, ref):
        check_latent_pair("inverted", a, reference_name, b)
    for name, mask in (masks or {}).items():
        edit_mask(name, mask, inv[0])


def edit_masks(mask, inverted: dict, reference_noise_mask: torch.Tensor | None = None) -> dict:
    """The edit's masks by the names its errors use: the mask input, the noise_mask carried by the inverted latent
    (set on RFInvert's source) and, for the all-in-one node, the reference's noise_mask. All of them act in the
    controller only; none is handed to the model."""
    masks = {"mask": mask, INVERTED_NOISE_MASK: inverted.get("noise_mask")}
    if reference_noise_mask is not None:
        masks[REFERENCE_NOISE_MASK] = reference_noise_mask
    return masks


def check_mask_not_read_as_timesteps(model_wrap, denoise_mask: torch.Tensor | None, sampler: str) -> None:
    """In the SAMPLER forms SamplerCustomAdvanced hands latent_image's noise_mask to the guider, and a model that
    reads it as per-token timesteps (its conditioning then carries a denoise_mask: LTXV, LTX-2, Wan 2.2 TI2V) would
    see the outside as clean while RF-Inversion keeps it at the step's noise level: refused, with the fix."""
    if denoise_mask is None:
        return
    conds = getattr(model_wrap, "conds", None) or {}
    if not any("denoise_mask" in c.get("model_conds", {}) for group in conds.values() for c in group):
        return
    raise RFInputError(
        f"latent_image carries a noise_mask (SetLatentNoiseMask), which SamplerCustomAdvanced hands to this model "
        f"({type(model_wrap.model_patcher.model).__name__}), and this model turns it into per-token timesteps "
        "(timestep 0 outside the mask, as LTXV, LTX-2 and Wan 2.2 do for image-to-video) while RF-Inversion keeps "
        "the outside at the step's noise level: remove SetLatentNoiseMask before SamplerCustomAdvanced and connect "
        f"the mask to {sampler}'s mask input, or use RFInvert and RFControlledSampler, which take the noise_mask "
        "without handing it to the model."
    )


def check_cfg(cfg: float, negative) -> float:
    """cfg is a finite scale, and a scale other than 1 has a negative prompt to act on."""
    cfg = float(cfg)
    if not math.isfinite(cfg):
        raise RFInputError(f"cfg must be a finite number, got {cfg}: set cfg to 1 (off) or a scale up to 100.")
    if negative is None and cfg != 1.0:
        raise RFInputError(
            f"cfg is {cfg} but no negative conditioning is connected: connect a negative prompt, or set cfg to 1."
        )
    return cfg


def edit_mask(name: str, mask: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
    """One of the edit's masks at the latent's size (rf_core's normaliser, ComfyUI's convention); an empty one is
    refused: it would return the reference unchanged."""
    m = prepare_mask(mask, x, name)
    if m is None:
        return None
    if not (mask > 0).any():
        raise RFInputError(
            f"{name} is empty (all 0), so nothing would be edited: paint the region to edit in the Mask Editor "
            "(right-click the image in Load Image, Open in MaskEditor, save), or disconnect the mask to edit the "
            "whole image. An image without an alpha channel gives Load Image an empty mask."
        )
    if not (m > 0).any():
        raise RFInputError(
            f"{name} has a painted region smaller than one latent pixel ({tuple(x.shape[-2:])} latent for a "
            f"{tuple(mask.shape[-2:])} mask), so nothing would be edited: paint a larger region."
        )
    return m


def model_noise_levels(model_patcher) -> int | None:
    """How many noise levels the model's sigma table has (ModelSamplingDiscreteFlow: 1000, Flux: 10000): the most
    steps its 'simple' schedule gives without repeating a sigma. None if the model keeps no table."""
    table = getattr(model_patcher.get_model_object("model_sampling"), "sigmas", None)
    return int(table.numel()) if isinstance(table, torch.Tensor) else None


def check_steps_for_model(model_patcher, steps: int) -> None:
    levels = model_noise_levels(model_patcher)
    if levels is not None and int(steps) > levels:
        kinds = type(model_patcher.get_model_object("model_sampling")).__mro__
        kind = next((k.__name__ for k in kinds if k.__name__.startswith("ModelSampling") and k.__name__ != "ModelSampling"),
                    kinds[0].__name__)  # ComfyUI's sampling object is a class built from e.g. ModelSamplingDiscreteFlow
        raise RFInputError(
            f"steps ({int(steps)}) is more than this model has noise levels ({levels} noise levels, {kind}): set "
            f"steps to {levels} or fewer (its 'simple' schedule would repeat sigmas)."
        )


def check_model_grid(model_patcher, sigmas: torch.Tensor) -> None:
    """A grid handed to a Sampler object: a repeated sigma there is too many steps for the model; say its limit."""
    s = sigmas.detach().cpu()
    if s.ndim == 1 and s.numel() > 1 and (s[1:] == s[:-1]).any():
        check_steps_for_model(model_patcher, s.numel() - 1)


def sampling_grid(model_patcher, steps: int, sigmas: torch.Tensor | None) -> torch.Tensor:
    """The sampling grid sigma_0 = 1 > ... > sigma_N = 0: the model's own ("simple", as BasicScheduler) with `steps`
    steps, or the connected sigmas, which then decide the step count (steps is not used)."""
    if sigmas is None:
        check_steps_for_model(model_patcher, steps)
        sampling = model_patcher.get_model_object("model_sampling")
        grid = comfy.samplers.calculate_sigmas(sampling, "simple", int(steps)).cpu()
    else:
        grid = sigmas.detach().cpu()
    check_sigmas(grid, increasing=False)
    return grid


def inversion_info(latent: dict) -> dict | None:
    info = latent.get(INVERSION_KEY)
    return info if isinstance(info, dict) else None


def check_inversion_match(info: dict | None, grid: torch.Tensor, start_step: int, order: str = "euler") -> None:
    """The edit must walk the grid the inversion walked, with its solver, and start where it stopped."""
    if info is None:
        return
    if info.get("order", "euler") != order:
        raise RFInputError(
            f"the inverted latent was made with order {info.get('order')} but this edit uses order {order}: set "
            f"order to {info.get('order')} (or re-run RFInvert with order {order}). Inversion and edit must use one "
            "solver."
        )
    steps = grid.numel() - 1
    if int(info["steps"]) != steps:
        raise RFInputError(
            f"the inverted latent was made with {info['steps']} steps but this edit uses {steps}: set steps to "
            f"{info['steps']} (where sigmas are connected, connect the same SIGMAS as RFInvert's), or re-run RFInvert "
            f"with {steps} steps. Inversion and edit must use one grid."
        )
    if int(info["start_step"]) != int(start_step):
        raise RFInputError(
            f"the inverted latent stops at start_step {info['start_step']} but this edit has start_step "
            f"{start_step}: set start_step to {info['start_step']} (or re-run RFInvert with start_step {start_step})."
        )
    inv = info["sigmas"].detach().cpu().to(torch.float64)
    if inv.shape != grid.shape or not torch.allclose(inv, grid.detach().cpu().to(torch.float64), rtol=0, atol=1e-6):
        raise RFInputError(
            "the inverted latent was made on a different sigma schedule than this edit uses: connect the same "
            "SIGMAS to RFInvert and to the edit (or to neither), and use the same model (its shift sets the grid)."
        )


def reference_fingerprints(cond_dicts) -> list[str]:
    """What identifies the reference latents of a conditioning (ReferenceLatent, TextEncodeQwenImageEdit, Flux.2's
    reference images: its entries' reference_latents): one 'shape sha256-prefix' per latent, in order."""
    out = []
    for d in cond_dicts:
        for lat in d.get("reference_latents") or []:
            data = lat.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
            out.append(f"{tuple(lat.shape)} {hashlib.sha256(data).hexdigest()[:12]}")
    return out


def warn_reference_mismatch(info: dict | None, cond_dicts) -> None:
    """An edit model (Flux Kontext, Qwen-Image-Edit, Flux.2) reads its reference latents in the conditioning, so the
    edit's positive conditioning should carry the ones RFInvert's did, or the reconstruction suffers. Not refused:
    a user may invert without the image condition on purpose; said on the console, naming both and the fix."""
    if info is None or "reference_latents" not in info:
        return
    inverted, edit = list(info["reference_latents"]), reference_fingerprints(cond_dicts)
    if inverted == edit:
        return
    logging.warning(
        "RF-Inversion: the edit's conditioning carries reference latents %s but the inversion's carried %s: an edit "
        "model (Flux Kontext, Qwen-Image-Edit, Flux.2) inverted with another image condition than the edit's "
        "reconstructs the source worse. Give RFInvert's conditioning the same reference latents (the same "
        "ReferenceLatent / TextEncodeQwenImageEdit with the encoded source image) as the edit's, unless you wired it "
        "so on purpose.", edit or "none", inverted or "none",
    )
