"""Levers of the edit beyond the paper, each fed by the inversion's trace and costing no model evaluation.

aligned: step-level alignment (DirectEdit, ICML 2026; DNAEdit's ResOffset, NeurIPS 2025): the edit's step from
  t_{j+1} down to t_j evaluates the model at X + (Z_j - Z_{j+1}), where the inversion did, and adds the inversion's
  controller term c_j = (Z_{j+1} - Z_j) / (t_{j+1} - t_j) - u_j, so with the source prompt it retraces Z exactly.
MovingReference: DNAEdit's MVG: the controller pulls towards x_ref, moved each step (inside the mask, if any) by
  (sigma' - sigma)(v - u_j), the edit's and the inversion's velocities' difference (FlowEdit's idea); so eta 1
  returns the moved reference, not the source.
auto_mask: UniEdit-Flow (ICLR 2026): m = per image min-max of the channel mean of |v - u_j|, the edit kept to
  where the prompts disagree: the eta field 1 - m (1 - eta), with u_j the inversion's velocity (free).
With alignment, v carries c_j, so both compare it with u_j + c_j: the source path with the source prompt moves
nothing and masks nothing, at any gamma.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch

from . import fields
from .trace import InversionTrace

AGREE = 1e-4  # disagreements below this share of the velocity's mean magnitude are float rounding: agreement


def aligned(velocity: Callable, trace: InversionTrace) -> Callable:
    """The edit's model velocity under alignment, for Euler steps that start at a walk sigma."""

    def v(x: torch.Tensor, sigma: float) -> torch.Tensor:
        j = trace.step_of(sigma)
        z_j, z_next = trace.states[j], trace.states[j + 1]
        offset = trace.source_velocity(j, True) - trace.velocities[j]
        return velocity(x + (z_j - z_next).to(x.device), trace.reads[j]) + offset.to(x.device)

    return v


class MovingReference:
    """x_ref per edit step: y0 at the first, then x_ref + mask (sigma' - sigma)(v - u_j) after each step."""

    def __init__(self, y0: torch.Tensor, trace: InversionTrace, mask: Optional[torch.Tensor] = None,
                 aligned: bool = False):
        self.ref, self.trace, self.mask, self.aligned = y0, trace, mask, aligned

    def __call__(self, i: int) -> torch.Tensor:
        return self.ref

    def step(self, d: dict) -> None:
        """An integrate callback: moves the reference after step d["i"]."""
        u = self.trace.source_velocity(self.trace.step_of(d["sigma"]), self.aligned).to(d["v"].device)
        move = (d["sigma_next"] - d["sigma"]) * (d["v"] - u)
        self.ref = self.ref + (move if self.mask is None else self.mask * move)


def disagreement(v: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """m in [0, 1], (B, 1, *spatial): the channel mean of |v - u|, min-max normalised per image (a spread below
    AGREE times u's mean magnitude is not stretched to 1)."""
    d = (v - u).abs().mean(1, keepdim=True)
    flat = d.flatten(1)
    lo, hi = flat.min(1).values, flat.max(1).values
    floor = AGREE * u.abs().flatten(1).mean(1)
    shape = (-1, *([1] * (d.ndim - 1)))
    return (d - lo.view(shape)) / torch.maximum(hi - lo, floor).clamp_min(1e-12).view(shape)


def auto_mask(eta_at: list, trace: InversionTrace, sigmas: list, mask: Optional[torch.Tensor],
              aligned: bool = False) -> Callable:
    """eta_field(i, v): the step's eta on the model's own mask (times the painted mask, if any), 1 elsewhere."""

    def eta_field(i: int, v: torch.Tensor):
        m = disagreement(v, trace.source_velocity(trace.step_of(sigmas[i]), aligned).to(v.device))
        return fields.masked_eta(eta_at[i], m if mask is None else m * mask)

    return eta_field
