"""The inversion record in RFInvert's LATENT: what the edit must match."""

from __future__ import annotations

import hashlib
import logging

import torch

from ..rf_core import RFInputError

KEY = "rf_inversion"


def make(grid: torch.Tensor, start_step: int, order: str, boundary: float | None, conditioning, seed: int,
         trace=None) -> dict:
    """boundary: None for one model; seed: the one the conditioning saw (noise augmentation reads it);
    trace: an rf_core.InversionTrace (keep_trace)."""
    return {"sigmas": grid.clone(), "start_step": int(start_step), "order": order, "boundary": boundary,
            "reference_latents": reference_fingerprints(d for _, d in conditioning), "seed": int(seed), "trace": trace}


def read(latent: dict) -> dict | None:
    info = latent.get(KEY)
    return info if isinstance(info, dict) else None


def model_seed(info: dict | None, seed: int) -> int:
    """The inversion's seed, so a conditioning that reads it matches in both passes."""
    return int(info["seed"]) if info is not None and "seed" in info else int(seed)


def check_matches(info: dict | None, grid: torch.Tensor, start_step: int, order: str,
                  boundary: float | None) -> None:
    """The edit uses the inversion's grid, solver, expert split and start_step."""
    if info is None:
        return
    made_with = "was made with"
    for name, made, used, said, verb, fix in (
        ("order", info["order"], order, "order {}", made_with, ""),
        ("steps", info["sigmas"].numel() - 1, grid.numel() - 1, "{} steps", made_with,
         ", or connect the same SIGMAS to both"),
        ("start_step", info["start_step"], int(start_step), "start_step {}", "stops at", ""),
        ("boundary", info["boundary"], boundary, "boundary {} (None: one model)", made_with,
         ", and the same model_low_noise"),
    ):
        if made != used:
            raise RFInputError(f"the inverted latent {verb} {said.format(made)} but this edit uses "
                               f"{said.format(used)}: set {name} to {made} on both nodes{fix}.")
    inv = info["sigmas"].detach().cpu().to(torch.float64)
    if not torch.allclose(inv, grid.detach().cpu().to(torch.float64), rtol=0, atol=1e-6):
        raise RFInputError("the inverted latent was made on a different sigma schedule: connect the same SIGMAS "
                           "(and model shift) to RFInvert and the edit.")


def reference_fingerprints(cond_dicts) -> list[str]:
    """One 'shape sha256-prefix' per reference latent of a conditioning."""
    out = []
    for d in cond_dicts:
        for lat in d.get("reference_latents") or []:
            data = lat.detach().to("cpu", torch.float32).contiguous().numpy().tobytes()
            out.append(f"{tuple(lat.shape)} {hashlib.sha256(data).hexdigest()[:12]}")
    return out


def warn_reference_mismatch(info: dict | None, cond_dicts) -> None:
    """Other reference latents reconstruct worse: said, not refused."""
    if info is None:
        return
    inverted, edit = list(info["reference_latents"]), reference_fingerprints(cond_dicts)
    if inverted == edit:
        return
    logging.warning("RF-Inversion: the edit's reference latents %s differ from the inversion's %s, so the source "
                    "reconstructs worse. Give RFInvert's conditioning the same reference latents as the edit's.",
                    edit or "none", inverted or "none")
