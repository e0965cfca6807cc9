"""Edit levers beyond the paper, fed by the inversion's trace at no model evaluation: aligned (DirectEdit;
DNAEdit's ResOffset), MovingReference (DNAEdit's MVG), auto_mask (UniEdit-Flow). Under alignment the last two
compare v with u_j + c_j, so the source prompt moves and masks nothing."""

from __future__ import annotations

from typing import Callable, Optional

import torch

from . import fields
from .trace import InversionTrace

AGREE = 1e-4  # spreads below this share of |u|'s mean are rounding


def aligned(velocity: Callable, trace: InversionTrace) -> Callable:
    """The step from t_{j+1} reads the model at X + (Z_j - Z_{j+1}) and adds c_j, retracing Z (Euler steps)."""

    def v(x: torch.Tensor, sigma: float) -> torch.Tensor:
        j = trace.step_of(sigma)
        z_j, z_next = trace.states[j], trace.states[j + 1]
        offset = trace.source_velocity(j, True) - trace.velocities[j]
        return velocity(x + (z_j - z_next).to(x.device), trace.reads[j]) + offset.to(x.device)

    return v


class MovingReference:
    """x_ref per edit step: y0, then + mask (sigma' - sigma)(v - u_j) after each."""

    def __init__(self, y0: torch.Tensor, trace: InversionTrace, mask: Optional[torch.Tensor] = None,
                 aligned: bool = False):
        self.ref, self.trace, self.mask, self.aligned = y0, trace, mask, aligned

    def __call__(self, i: int) -> torch.Tensor:
        return self.ref

    def step(self, d: dict) -> None:
        """An integrate callback."""
        u = self.trace.source_velocity(self.trace.step_of(d["sigma"]), self.aligned).to(d["v"].device)
        move = (d["sigma_next"] - d["sigma"]) * (d["v"] - u)
        self.ref = self.ref + (move if self.mask is None else self.mask * move)


def disagreement(v: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """m in [0, 1], (B, 1, *spatial): the channel mean of |v - u|, min-max per image."""
    d = (v - u).abs().mean(1, keepdim=True)
    flat = d.flatten(1)
    lo, hi = flat.min(1).values, flat.max(1).values
    floor = AGREE * u.abs().flatten(1).mean(1)
    shape = (-1, *([1] * (d.ndim - 1)))
    return (d - lo.view(shape)) / torch.maximum(hi - lo, floor).clamp_min(1e-12).view(shape)


def auto_mask(eta_at: list, trace: InversionTrace, sigmas: list, mask: Optional[torch.Tensor],
              aligned: bool = False) -> Callable:
    """eta_field(i, v): eta on the disagreement (times mask), 1 elsewhere."""

    def eta_field(i: int, v: torch.Tensor):
        m = disagreement(v, trace.source_velocity(trace.step_of(sigmas[i]), aligned).to(v.device))
        return fields.masked_eta(eta_at[i], m if mask is None else m * mask)

    return eta_field
