"""The inversion record: how RFInvert made its output LATENT, kept under one key of it, so the edit can refuse a
grid, start step, solver or expert split other than the inversion's, and say when an edit model's reference
latents differ from the inversion's."""

from __future__ import annotations

import hashlib
import logging

import torch

from ..rf_core import RFInputError

KEY = "rf_inversion"


def make(grid: torch.Tensor, start_step: int, order: str, boundary: float | None, conditioning) -> dict:
    """The record of an inversion on the sampling grid `grid` (boundary None for one model)."""
    return {"sigmas": grid.clone(), "start_step": int(start_step), "order": order, "boundary": boundary,
            "reference_latents": reference_fingerprints(d for _, d in conditioning)}


def read(latent: dict) -> dict | None:
    info = latent.get(KEY)
    return info if isinstance(info, dict) else None


def check_matches(info: dict | None, grid: torch.Tensor, start_step: int, order: str,
                  boundary: float | None) -> None:
    """The edit walks the inversion's grid with its solver and expert split, and starts where it stopped."""
    if info is None:
        return
    if info["order"] != order:
        raise RFInputError(
            f"the inverted latent was made with order {info['order']} but this edit uses order {order}: set order to "
            f"{info['order']} (or re-run RFInvert with order {order}). Inversion and edit must use one solver."
        )
    inv_steps, steps = info["sigmas"].numel() - 1, grid.numel() - 1
    if inv_steps != steps:
        raise RFInputError(
            f"the inverted latent was made with {inv_steps} steps but this edit uses {steps}: set steps to "
            f"{inv_steps} (where sigmas are connected, connect the same SIGMAS as RFInvert's), or re-run RFInvert "
            f"with {steps} steps. Inversion and edit must use one grid."
        )
    if info["start_step"] != int(start_step):
        raise RFInputError(
            f"the inverted latent stops at start_step {info['start_step']} but this edit has start_step "
            f"{start_step}: set start_step to {info['start_step']} (or re-run RFInvert with start_step {start_step})."
        )
    inv = info["sigmas"].detach().cpu().to(torch.float64)
    if not torch.allclose(inv, grid.detach().cpu().to(torch.float64), rtol=0, atol=1e-6):
        raise RFInputError(
            "the inverted latent was made on a different sigma schedule than this edit uses: connect the same "
            "SIGMAS to RFInvert and to the edit (or to neither), and use the same model (its shift sets the grid)."
        )
    if info["boundary"] != boundary:
        raise RFInputError(
            f"the inverted latent was made with {_experts(info['boundary'])} but this edit runs "
            f"{_experts(boundary)}: give both nodes the same model_low_noise and boundary."
        )


def _experts(boundary: float | None) -> str:
    return "one model" if boundary is None else f"two experts switching at sigma {boundary}"


def reference_fingerprints(cond_dicts) -> list[str]:
    """What identifies the reference latents of a conditioning (ReferenceLatent, TextEncodeQwenImageEdit, Flux.2's
    reference images): one 'shape sha256-prefix' per latent, in order."""
    out = []
    for d in cond_dicts:
        for lat in d.get("reference_latents") or []:
            data = lat.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
            out.append(f"{tuple(lat.shape)} {hashlib.sha256(data).hexdigest()[:12]}")
    return out


def warn_reference_mismatch(info: dict | None, cond_dicts) -> None:
    """An edit model reads its reference latents in the conditioning: an edit with other ones than the inversion's
    reconstructs worse. Not refused (it may be on purpose): said on the console, naming both and the fix."""
    if info is None:
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
