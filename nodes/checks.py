"""Node-level input checks: each error names the input to change. Shared by the nodes and the Sampler objects,
so the all-in-one nodes and the SAMPLER forms reject the same inputs with the same words."""

from __future__ import annotations

import torch

import comfy.samplers
import comfy.utils

from ..rf_core import RFInputError, check_edit_window, check_sigmas
from .adapter import require_flow_model

INVERSION_KEY = "rf_inversion"  # extra key of RFInvert's LATENT: how the inversion was made


def latent_channels(model_patcher) -> int:
    return int(model_patcher.get_model_object("latent_format").latent_channels)


def check_latent_channels(name: str, samples: torch.Tensor, channels: int) -> None:
    if samples.ndim < 4:
        raise RFInputError(f"{name} must be a latent batch (B, C, H, W), got shape {tuple(samples.shape)}.")
    if samples.shape[1] != channels:
        raise RFInputError(
            f"{name} has {samples.shape[1]} channels but this model works on {channels}-channel latents: encode "
            f"the image with this model's VAE ({channels} channels, e.g. the Flux or SD3 VAE), not one of another "
            "model family (SD1.5/SDXL latents have 4)."
        )


def check_flow_latent(model_patcher, name: str, samples: torch.Tensor) -> None:
    """The model samples by rectified flow and `samples` is a latent batch with its channel count."""
    require_flow_model(model_patcher)
    check_latent_channels(name, samples, latent_channels(model_patcher))


def check_edit_inputs(model_patcher, info: dict | None, grid: torch.Tensor, start_step: int, stop_step: int,
                      inverted: torch.Tensor, reference: torch.Tensor, reference_name: str = "reference",
                      order: str = "euler") -> None:
    """What an edit needs before it runs. RFControlledSampler calls it before guider.sample loads the model, so a
    bad input fails at once; its Sampler object calls it again, for the SamplerCustomAdvanced form."""
    check_edit_window(start_step, stop_step, grid.numel() - 1)
    check_inversion_match(info, grid, start_step, order)
    check_flow_latent(model_patcher, "inverted", inverted)
    check_flow_latent(model_patcher, reference_name, reference)
    check_reference_batch(inverted, reference)


def check_reference_batch(inverted: torch.Tensor, reference: torch.Tensor) -> None:
    """reference (y0) must be one image or one per inverted image, with the same C, H, W."""
    if reference.shape[1:] != inverted.shape[1:]:
        raise RFInputError(
            f"reference latent has shape {tuple(reference.shape)} but the inverted latent has "
            f"{tuple(inverted.shape)}: use the source latent that was inverted (same size and model)."
        )
    if reference.shape[0] not in (1, inverted.shape[0]):
        raise RFInputError(
            f"reference has a batch of {reference.shape[0]} but the inverted latent has {inverted.shape[0]}: "
            f"give one reference image, or one per inverted image ({inverted.shape[0]})."
        )


def sampling_grid(model_patcher, steps: int, sigmas: torch.Tensor | None) -> torch.Tensor:
    """The sampling grid sigma_0 = 1 > ... > sigma_N = 0: the model's own ("simple", as BasicScheduler) or given."""
    steps = int(steps)
    if sigmas is None:
        sampling = model_patcher.get_model_object("model_sampling")
        grid = comfy.samplers.calculate_sigmas(sampling, "simple", steps).cpu()
    else:
        grid = sigmas.detach().cpu()
        if grid.ndim != 1 or grid.numel() - 1 != steps:
            raise RFInputError(
                f"the sigmas input has {grid.numel() - 1} steps but steps is {steps}: set steps to "
                f"{grid.numel() - 1} (the connected sigmas decide the grid), or disconnect sigmas."
            )
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
            f"{info['steps']} (or re-run RFInvert with {steps} steps). Inversion and edit must use one grid."
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


def prepare_spatial_mask(mask: torch.Tensor | None, x: torch.Tensor, name: str = "mask") -> torch.Tensor | None:
    """A MASK ((H, W) or (B or 1, H, W), any size) resized to the latent like ComfyUI's prepare_mask: (Bm, 1, h, w).

    The size is interpolated (an image-sized mask is normal); the batch is not: it must be 1 or x's batch.
    """
    if mask is None:
        return None
    m = mask.detach().to(torch.float32)
    if m.ndim == 4 and m.shape[1] == 1:
        m = m[:, 0]
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3:
        raise RFInputError(f"{name} must be a MASK of shape (H, W) or (B, H, W), got {tuple(mask.shape)}.")
    if x.ndim == 4:
        if m.shape[0] not in (1, x.shape[0]):
            raise RFInputError(
                f"{name} has a batch of {m.shape[0]} but the latent has {x.shape[0]}: give one mask, or one per image."
            )
        out = comfy.utils.reshape_mask(m, (m.shape[0], 1, *x.shape[2:]))
    else:  # video latents (B, C, T, H, W): a MASK batch is frames, as in ComfyUI's prepare_mask
        out = comfy.utils.reshape_mask(m, (1, 1, *x.shape[2:]))
    return out.to(x.device)  # bilinear weights are convex: values stay in the mask's range (checked in rf_core)
