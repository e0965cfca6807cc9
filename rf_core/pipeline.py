"""RF-Inversion end to end on one sampling grid: invert (Algorithm 1), then edit (Algorithm 2).

Both take the SAMPLING grid (decreasing, sigma_0 = 1 ... sigma_N = 0) and a start step s: the inversion walks the
grid's tail [s, N] backwards from the image up to sigma_s, and the edit starts there (X_s = Y at sigma_s), the
paper's start time. One grid for both is what keeps gamma = eta = 0 a faithful reconstruction.

A plan holds the checked settings of one pass; run_inversion / run_edit take a plan and trust it, so a caller
that checks once (the nodes) can run a pass in parts (one per expert of a two-expert model, `steps`).
"""

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
from .noise import NoiseSampler
from .schedules import ETA_SCHEDULES, gamma_schedule, window_values
from .schemes import ORDERS, Callback, Velocity
from .solvers import forward_walk, reverse_walk

MODES = ("ode", "sde")


@dataclass(frozen=True)
class InversionPlan:
    """The walk up from sigma = 0 (increasing sigmas), gamma per step, the solver, and whether the network
    predicts x0 (then the first step reads it at sigma_1)."""

    sigmas: tuple
    gammas: tuple
    order: str = "euler"
    x0_network: bool = False

    @property
    def steps(self) -> int:
        return len(self.sigmas) - 1


@dataclass(frozen=True)
class EditPlan:
    """The sampling grid (decreasing sigmas), eta per step of it, the step the edit starts at, mode and solver."""

    sigmas: tuple
    etas: tuple
    start_step: int = 0
    mode: str = "ode"
    order: str = "euler"

    @property
    def steps(self) -> int:
        return len(self.sigmas) - 1


def check_start_step(start_step: int, steps: int) -> int:
    start_step = int(start_step)
    if not (0 <= start_step < steps):
        raise RFInputError(
            f"start_step ({start_step}) must be below steps ({steps}) and at least 0: set start_step to "
            f"{max(int(steps) - 1, 0)} or less (0 inverts all the way to noise)."
        )
    return start_step


def inversion_sigmas(sigmas: torch.Tensor, start_step: int = 0) -> torch.Tensor:
    """The walk of the inversion as a tensor: the sampling grid's tail from start_step, flipped."""
    grid = check_sigmas(sigmas, increasing=False)
    start = check_start_step(start_step, len(grid) - 1)
    return torch.flip(sigmas[start:], dims=(0,))


def inversion_plan(sigmas: torch.Tensor, *, gamma: float = 0.5, start_step: int = 0,
                   gamma_window: Optional[tuple[int, int]] = None, order: str = "euler",
                   x0_network: bool = False) -> InversionPlan:
    """The checked inversion of the sampling grid `sigmas` up to sigma_{start_step}; gamma only on the walk's
    steps gamma_window = [a, b) (counted from the image) when given."""
    grid = check_sigmas(sigmas, increasing=False)
    walk = grid[check_start_step(start_step, len(grid) - 1):][::-1]
    return _inversion_plan(walk, gamma, gamma_window, order, x0_network)


def walk_plan(walk: torch.Tensor, *, gamma: float = 0.5, order: str = "euler",
              x0_network: bool = False) -> InversionPlan:
    """The checked inversion on a walk given as it is (increasing sigmas, e.g. a flipped sampling grid)."""
    return _inversion_plan(check_sigmas(walk, increasing=True), gamma, None, order, x0_network)


def _inversion_plan(walk: list, gamma, gamma_window, order, x0_network) -> InversionPlan:
    check_option("order", order, ORDERS)
    n = len(walk) - 1
    a, b = gamma_window if gamma_window is not None else (0, n)
    return InversionPlan(tuple(walk), tuple(gamma_schedule(gamma, n, a, b)), order, bool(x0_network))


def edit_plan(sigmas: torch.Tensor, *, eta: float = 0.9, start_step: int = 0, stop_step: int = 7,
              eta_schedule: str = "constant", mode: str = "ode", order: str = "euler") -> EditPlan:
    """The checked edit on the sampling grid `sigmas`: from sigma_{start_step}, eta on [start_step, stop_step)."""
    grid = check_sigmas(sigmas, increasing=False)
    steps = len(grid) - 1
    start, stop = check_edit_window(start_step, stop_step, steps)
    eta = check_unit_interval("eta", eta)
    check_option("eta_schedule", eta_schedule, ETA_SCHEDULES)
    check_option("mode", mode, MODES)
    check_option("order", order, ORDERS)
    if mode == "sde" and order != "euler":
        raise RFInputError(
            f"mode 'sde' takes Euler-Maruyama steps only, but order is {order!r}: set order to euler, or mode to ode."
        )
    etas = window_values(eta, steps, start, stop, eta_schedule)
    return EditPlan(tuple(grid), tuple(etas), start, mode, order)


def check_edit_window(start_step: int, stop_step: int, steps: int) -> tuple[int, int]:
    """The edit's start step and its eta window [start_step, stop_step) on a grid of `steps` steps."""
    start_step = check_start_step(start_step, steps)
    if int(stop_step) > steps:
        quarter = min(max(round(steps / 4), start_step + 1), steps)  # the default 7 of 28 is a quarter
        raise RFInputError(
            f"stop_step ({int(stop_step)}) is beyond steps ({steps}): set stop_step to {quarter} (a quarter of the "
            f"steps, like the default 7 of 28) or any value from {start_step + 1} to {steps}."
        )
    return check_window(
        "eta is active on the steps [start_step, stop_step); set eta to 0 to switch the controller off",
        start_step, stop_step, steps, "start_step", "stop_step",
    )


def run_inversion(velocity: Velocity, y0: torch.Tensor, y1: torch.Tensor, plan: InversionPlan, *,
                  steps: Optional[Sequence[int]] = None, callback: Optional[Callback] = None) -> torch.Tensor:
    """The controlled forward ODE (Eq. 8) of a plan from y0 (the state at the first of `steps`, default all)."""
    steps = range(plan.steps) if steps is None else range(*steps)
    return forward_walk(velocity, y0, y1, list(plan.sigmas), plan.gammas, plan.order, steps, plan.x0_network,
                        callback)


def run_edit(velocity: Velocity, x: torch.Tensor, y0: torch.Tensor, plan: EditPlan, *,
             mask: Optional[torch.Tensor] = None, noise: Optional[NoiseSampler] = None,
             steps: Optional[Sequence[int]] = None, callback: Optional[Callback] = None) -> torch.Tensor:
    """The controlled reverse ODE (Eq. 15) or SDE (Eq. 17) of a plan from x, the state at the first of `steps`
    (default [start_step, N)); the SDE's noise comes from `noise`."""
    steps = range(plan.start_step, plan.steps) if steps is None else range(*steps)
    return reverse_walk(velocity, x, y0, list(plan.sigmas), plan.etas, plan.order, steps, mask,
                        noise if plan.mode == "sde" else None, callback=callback)


def invert(velocity: Velocity, y0: torch.Tensor, sigmas: torch.Tensor, y1: torch.Tensor, *,
           callback: Optional[Callback] = None, **settings) -> torch.Tensor:
    """RF-Inversion's controlled forward ODE (Eq. 8) from the image y0 up to sigma_{start_step} of the sampling grid
    sigmas; settings as inversion_plan (gamma, start_step, gamma_window, order, x0_network)."""
    plan = inversion_plan(sigmas, **settings)
    check_latent_pair("y0", y0, "y1", y1)
    return run_inversion(velocity, y0, y1, plan, callback=callback)


def edit(velocity: Velocity, x: torch.Tensor, y0: torch.Tensor, sigmas: torch.Tensor, *,
         mask: Optional[torch.Tensor] = None, noise_sampler: Optional[NoiseSampler] = None,
         callback: Optional[Callback] = None, **settings) -> torch.Tensor:
    """RF-Inversion's controlled reverse process (Eq. 15 ODE or Eq. 17 SDE) from x, the inversion's state at
    sigma_{start_step}, to 0; settings as edit_plan (eta, start_step, stop_step, eta_schedule, mode, order);
    mask (1 = edit) of shape (1 or B, 1, *x.shape[2:])."""
    plan = edit_plan(sigmas, **settings)
    check_latent_pair("x", x, "y0", y0)
    if mask is not None:
        check_mask(mask, x)
    if plan.mode == "sde" and noise_sampler is None:
        raise RFInputError("mode 'sde' needs a noise_sampler (a seed): randomness is an explicit input.")
    return run_edit(velocity, x, y0, plan, mask=mask, noise=noise_sampler, callback=callback)
