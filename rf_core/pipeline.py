"""RF-Inversion end to end on one sampling grid: invert (Algorithm 1), then edit (Algorithm 2).

Both take the SAMPLING grid sigmas (decreasing, sigma_0 = 1 ... sigma_N = 0) and a start step s: the inversion
walks the same grid backwards from the image up to sigma_s, and the edit starts there (X_s = Y at sigma_s),
the paper's start time. Using one grid for both is what keeps gamma = eta = 0 a faithful reconstruction.
"""

from __future__ import annotations

from typing import Optional

import torch

from .checks import RFInputError, check_option, check_sigmas, check_window
from .schedules import eta_schedule, flip_sigmas, gamma_schedule
from .schemes import Callback, NoiseSampler, Velocity, adds_noise, check_sde_order
from .solvers import controlled_forward_ode, controlled_reverse_ode, controlled_reverse_sde

MODES = ("ode", "sde")


def check_start_step(start_step: int, steps: int) -> int:
    start_step = int(start_step)
    if not (0 <= start_step < steps):
        raise RFInputError(
            f"start_step ({start_step}) must be below steps ({steps}) and at least 0: set start_step to "
            f"{max(int(steps) - 1, 0)} or less (0 inverts all the way to noise)."
        )
    return start_step


def check_edit_window(start_step: int, stop_step: int, steps: int) -> tuple[int, int]:
    """The edit's start step and its eta window [start_step, stop_step) on a grid of `steps` steps."""
    start_step = check_start_step(start_step, steps)
    if int(stop_step) > steps:
        # the default stop_step 7 of 28 steps is a quarter of the schedule: suggest the same share of these steps
        quarter = min(max(round(steps / 4), start_step + 1), steps)
        raise RFInputError(
            f"stop_step ({int(stop_step)}) is beyond steps ({steps}): set stop_step to {quarter} (a quarter of the "
            f"steps, like the default 7 of 28) or any value from {start_step + 1} to {steps}."
        )
    return check_window(
        "eta is active on the steps [start_step, stop_step); set eta to 0 to switch the controller off",
        start_step, stop_step, steps, "start_step", "stop_step",
    )


def inversion_sigmas(sigmas: torch.Tensor, start_step: int = 0) -> torch.Tensor:
    """The grid the inversion walks: sigma_N = 0 up to sigma_s, i.e. the sampling grid's tail, flipped."""
    check_sigmas(sigmas, increasing=False)
    start_step = check_start_step(start_step, len(sigmas) - 1)
    return flip_sigmas(sigmas[start_step:])


def invert(
    velocity: Velocity,
    y0: torch.Tensor,
    sigmas: torch.Tensor,
    y1: torch.Tensor,
    *,
    gamma: float = 0.5,
    start_step: int = 0,
    gamma_window: Optional[tuple[int, int]] = None,
    order: str = "euler",
    first_velocity: str = "sigma0",
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """RF-Inversion's controlled forward ODE (Eq. 8) from the image y0 up to sigma_{start_step} of the grid.

    gamma_window=(a, b) applies gamma only on the inversion's steps [a, b) (counted from the image side).
    order: "euler", "midpoint" or "fireflow" (rf_core.ORDERS); the edit must use the same one.
    first_velocity as in controlled_forward_ode.
    """
    fwd = inversion_sigmas(sigmas, start_step)
    n = len(fwd) - 1
    a, b = gamma_window if gamma_window is not None else (0, n)
    gammas = gamma_schedule(gamma, n, a, b)
    return controlled_forward_ode(velocity, y0, fwd, y1, gammas, order=order, first_velocity=first_velocity,
                                  callback=callback)


def edit(
    velocity: Velocity,
    x: torch.Tensor,
    y0: torch.Tensor,
    sigmas: torch.Tensor,
    *,
    eta: float = 0.9,
    start_step: int = 0,
    stop_step: int = 7,
    eta_kind: str = "constant",
    mode: str = "ode",
    mask: Optional[torch.Tensor] = None,
    noise_sampler: Optional[NoiseSampler] = None,
    order: str = "euler",
    segment: Optional[tuple[int, int]] = None,
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """RF-Inversion's controlled reverse process (Eq. 15 ODE or Eq. 17 SDE) from sigma_{start_step} to 0.

    x is the inversion's state at sigma_{start_step}; eta is active on the steps [start_step, stop_step).
    order: "euler", "midpoint" or "fireflow" for the ODE (the inversion's); the SDE takes Euler-Maruyama steps only.
    segment=(a, b) runs only the grid's steps [a, b) (those from start_step on), from x, the state at the first of
    them: one expert's share (expert_steps) of a model of two experts. Two segments in a row give the single run:
    the eta schedule is the full grid's, and the SDE skips the noise the earlier steps drew.
    """
    check_sigmas(sigmas, increasing=False)
    check_option("mode", mode, MODES)
    steps = len(sigmas) - 1
    start_step, stop_step = check_edit_window(start_step, stop_step, steps)
    etas = eta_schedule(eta, steps, start_step, stop_step, eta_kind)
    first, end = (start_step, steps) if segment is None else (max(int(segment[0]), start_step), int(segment[1]))
    if first >= end:
        return x.detach().to(torch.float32).clone()
    if mode == "sde" and noise_sampler is not None:
        s = [float(a) for a in sigmas]
        for i in range(sum(adds_noise(a, b) for a, b in zip(s[start_step:first], s[start_step + 1:first + 1]))):
            noise_sampler(i)  # the draws of the steps before the segment
    etas, tail = etas[first:end], sigmas[first:end + 1]
    if mode == "ode":
        return controlled_reverse_ode(velocity, x, tail, y0, etas, mask=mask, order=order, callback=callback)
    if mode == "sde":
        if noise_sampler is None:
            raise RFInputError("mode 'sde' needs a noise_sampler (a seed): randomness is an explicit input.")
        check_sde_order(order)
    return controlled_reverse_sde(velocity, x, tail, y0, etas, noise_sampler=noise_sampler, mask=mask, callback=callback)
