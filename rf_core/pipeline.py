"""Invert up to sigma_s and edit down on one grid, as checked plans that run in parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch

from .checks import (
    RFInputError,
    check_latent_pair,
    check_mask,
    check_option,
    check_sigmas,
    check_unit_interval,
    check_window,
)
from .levers import MovingReference, aligned, auto_mask
from .noise import NoiseSampler
from .schedules import ETA_SCHEDULES, expert_steps, gamma_schedule, window_values
from .schemes import ORDERS, Callback, Velocity, chained
from .solvers import forward_walk, reverse_walk
from .trace import InversionTrace

MODES = ("ode", "sde")
REFERENCES = ("fixed", "moving")


@dataclass(frozen=True)
class InversionPlan:
    sigmas: tuple
    gammas: tuple
    order: str = "euler"
    x0_network: bool = False

    @property
    def steps(self) -> int:
        return len(self.sigmas) - 1


@dataclass(frozen=True)
class EditPlan:
    sigmas: tuple
    etas: tuple
    start_step: int = 0
    mode: str = "ode"
    order: str = "euler"
    align: bool = False
    reference: str = "fixed"
    auto_mask: bool = False

    @property
    def needs_trace(self) -> bool:
        return self.align or self.reference != "fixed" or self.auto_mask

    @property
    def steps(self) -> int:
        return len(self.sigmas) - 1


def check_start_step(start_step: int, steps: int) -> int:
    start_step = int(start_step)
    if not (0 <= start_step < steps):
        raise RFInputError(f"start_step ({start_step}) must be below steps ({steps}) and at least 0: set start_step "
                           f"to {max(int(steps) - 1, 0)} or less.")
    return start_step


def inversion_sigmas(sigmas: torch.Tensor, start_step: int = 0) -> torch.Tensor:
    """The sampling grid from start_step, flipped."""
    grid = check_sigmas(sigmas, increasing=False)
    start = check_start_step(start_step, len(grid) - 1)
    return torch.flip(sigmas[start:], dims=(0,))


def inversion_plan(sigmas: torch.Tensor, *, gamma: float = 0.5, start_step: int = 0,
                   gamma_window: Optional[tuple[int, int]] = None, gamma_schedule: str = "constant",
                   order: str = "euler", x0_network: bool = False) -> InversionPlan:
    """Up to sigma_{start_step}; gamma on the walk's steps gamma_window (from the image; default all)."""
    grid = check_sigmas(sigmas, increasing=False)
    walk = grid[check_start_step(start_step, len(grid) - 1):][::-1]
    return _inversion_plan(walk, gamma, gamma_window, order, x0_network, gamma_schedule)


def walk_plan(walk: torch.Tensor, *, gamma: float = 0.5, gamma_window: Optional[tuple[int, int]] = None,
              gamma_schedule: str = "constant", order: str = "euler", x0_network: bool = False) -> InversionPlan:
    """The inversion on an increasing walk as given."""
    return _inversion_plan(check_sigmas(walk, increasing=True), gamma, gamma_window, order, x0_network, gamma_schedule)


def _inversion_plan(walk: list, gamma, gamma_window, order, x0_network, kind="constant") -> InversionPlan:
    check_option("order", order, ORDERS)
    n = len(walk) - 1
    a, b = gamma_window if gamma_window is not None else (0, n)
    return InversionPlan(tuple(walk), tuple(gamma_schedule(gamma, n, a, b, kind)), order, bool(x0_network))


def edit_plan(sigmas: torch.Tensor, *, eta: float = 0.9, start_step: int = 0, stop_step: int = 7,
              eta_schedule: str = "constant", mode: str = "ode", order: str = "euler", align: bool = False,
              reference: str = "fixed", auto_mask: bool = False) -> EditPlan:
    grid = check_sigmas(sigmas, increasing=False)
    steps = len(grid) - 1
    start, stop = check_edit_window(start_step, stop_step, steps)
    eta = check_unit_interval("eta", eta)
    check_option("eta_schedule", eta_schedule, ETA_SCHEDULES)
    check_option("mode", mode, MODES)
    check_option("order", order, ORDERS)
    if mode == "sde" and order != "euler":
        raise RFInputError(f"mode 'sde' takes Euler-Maruyama steps only, but order is {order!r}: set order to "
                           "euler, or mode to ode.")
    check_levers(mode, order, bool(align), check_option("reference", reference, REFERENCES), bool(auto_mask))
    etas = window_values(eta, steps, start, stop, eta_schedule)
    return EditPlan(tuple(grid), tuple(etas), start, mode, order, bool(align), reference, bool(auto_mask))


def check_levers(mode: str, order: str, align: bool, reference: str, auto_mask: bool) -> None:
    if align and (mode, order) != ("ode", "euler"):
        raise RFInputError(f"align retraces the inversion's Euler steps, but mode is {mode!r} and order {order!r}: "
                           "set mode to ode and order to euler, or align off.")
    if mode == "sde" and (reference != "fixed" or auto_mask):
        raise RFInputError("the moving reference and the auto mask act on the ODE: set mode to ode, or them off.")


def check_edit_window(start_step: int, stop_step: int, steps: int) -> tuple[int, int]:
    start_step = check_start_step(start_step, steps)
    if int(stop_step) > steps:
        quarter = min(max(round(steps / 4), start_step + 1), steps)
        raise RFInputError(f"stop_step ({int(stop_step)}) is beyond steps ({steps}): set stop_step to {quarter} (a "
                           f"quarter, like 7 of 28) or any value from {start_step + 1} to {steps}.")
    return check_window("eta acts on [start_step, stop_step)", start_step, stop_step, steps, "start_step", "stop_step")


def edit_expert_steps(plan: EditPlan, boundary: float, expert: str) -> tuple[int, int]:
    """An expert's steps [a, b), by where each reads the model: its start, or under align its end."""
    reads = plan.sigmas[1:] + (0.0,) if plan.align else plan.sigmas
    return expert_steps(torch.tensor(reads, dtype=torch.float64), boundary, expert)


def run_inversion(velocity: Velocity, y0: torch.Tensor, y1: torch.Tensor, plan: InversionPlan, *,
                  steps: Optional[Sequence[int]] = None, callback: Optional[Callback] = None,
                  trace: Optional[InversionTrace] = None) -> torch.Tensor:
    """Eq. 8 over `steps` (default all) from y0; a trace records them."""
    steps = range(plan.steps) if steps is None else range(*steps)
    keep = None if trace is None else trace.record
    y = forward_walk(velocity, y0, y1, list(plan.sigmas), plan.gammas, plan.order, steps, plan.x0_network,
                     chained(keep, callback))
    if trace is not None and steps.stop == plan.steps:
        trace.finish(y)
    return y


def edit_levers(plan: EditPlan, y0: torch.Tensor, trace: Optional[InversionTrace],
                mask: Optional[torch.Tensor] = None) -> dict:
    """The moving reference and auto mask, made once per edit and shared by its parts."""
    lever = {}
    if plan.reference == "moving":
        ref = MovingReference(y0.detach().to(torch.float32), trace, mask, plan.align)
        lever.update(reference=ref, on_step=ref.step)
    if plan.auto_mask:
        lever["eta_field"] = auto_mask(list(plan.etas), trace, list(plan.sigmas), mask, plan.align)
    return lever


def run_edit(velocity: Velocity, x: torch.Tensor, y0: torch.Tensor, plan: EditPlan, *,
             mask: Optional[torch.Tensor] = None, noise: Optional[NoiseSampler] = None,
             steps: Optional[Sequence[int]] = None, callback: Optional[Callback] = None,
             trace: Optional[InversionTrace] = None, levers: Optional[dict] = None) -> torch.Tensor:
    """Eq. 15 / 17 over `steps` from x; levers: edit_levers' result."""
    steps = range(plan.start_step, plan.steps) if steps is None else range(*steps)
    user = None if mask is None else mask.to(x.device, torch.float32)
    if plan.align:
        velocity = aligned(velocity, trace)
    if levers is None:
        levers = edit_levers(plan, y0.to(x.device), trace, user)
    return reverse_walk(velocity, x, y0, list(plan.sigmas), plan.etas, plan.order, steps, mask,
                        noise if plan.mode == "sde" else None, callback=callback, **levers)


def invert(velocity: Velocity, y0: torch.Tensor, sigmas: torch.Tensor, y1: torch.Tensor, *,
           callback: Optional[Callback] = None, trace: Optional[InversionTrace] = None, **settings) -> torch.Tensor:
    """Algorithm 1 from y0; settings as inversion_plan; a trace is filled in."""
    plan = inversion_plan(sigmas, **settings)
    check_latent_pair("y0", y0, "y1", y1)
    if trace is not None:
        trace.sigmas = plan.sigmas
    return run_inversion(velocity, y0, y1, plan, callback=callback, trace=trace)


def edit(velocity: Velocity, x: torch.Tensor, y0: torch.Tensor, sigmas: torch.Tensor, *,
         mask: Optional[torch.Tensor] = None, noise_sampler: Optional[NoiseSampler] = None,
         callback: Optional[Callback] = None, trace: Optional[InversionTrace] = None, **settings) -> torch.Tensor:
    """Algorithm 2 from the inverted x to 0; mask: 1 = edit."""
    plan = edit_plan(sigmas, **settings)
    check_latent_pair("x", x, "y0", y0)
    if mask is not None:
        check_mask(mask, x)
    if plan.mode == "sde" and noise_sampler is None:
        raise RFInputError("mode 'sde' needs a noise_sampler (a seed): randomness is an explicit input.")
    if plan.needs_trace and (trace is None or tuple(trace.sigmas) != tuple(plan.sigmas[plan.start_step:][::-1])):
        raise RFInputError("align, the moving reference and the auto mask read the inversion's trace: invert on the "
                           "same grid and start_step with a trace (invert(..., trace=InversionTrace(...))).")
    return run_edit(velocity, x, y0, plan, mask=mask, noise=noise_sampler, callback=callback, trace=trace)
