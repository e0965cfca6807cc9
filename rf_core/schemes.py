"""Solver schemes: each is a step over a Field, never a copy of the field's maths (k-diffusion's style).

A Field pairs the model (one network evaluation, the flow velocity v at a point) with the controlled velocity as
an explicit function of (v, state, sigma, step). A scheme decides where the model runs and how the velocities
combine; every time it needs the field at a point, the controller is evaluated fresh at that point's state.

  euler     x' = x + h f(x, sigma)                                   N model evaluations for N steps
  midpoint  x_m = x + (h/2) f(x, sigma); x' = x + h f(x_m, sigma_m)   2N (RK2; RF-Solver's update is the same)
  fireflow  the midpoint step, its first model evaluation reused     N + 1 (Deng et al., 2024, "FireFlow")
            from the previous step's midpoint (fresh only at step 0)
Here h = |sigma' - sigma| (a step in the walk's own paper time) and sigma_m = (sigma + sigma') / 2. The SDE is
integrated by euler_maruyama only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch

from .fields import x0_estimate
from .noise import NoiseSampler

Velocity = Callable[[torch.Tensor, float], torch.Tensor]
Callback = Callable[[dict], None]

ORDERS = ("euler", "midpoint", "fireflow")


@dataclass(frozen=True)
class Field:
    """model(x, sigma): one model evaluation, as float32 on x's device. velocity(v, x, sigma, i): the controlled
    velocity of step i given the model's output v at (x, sigma). to_zero(v, x, sigma, i), where the field has
    one: Euler's step from sigma to 0 in closed form (Eq. 15). drift / diffusion / noise: the SDE's terms."""

    model: Callable[[torch.Tensor, float], torch.Tensor]
    velocity: Callable[[torch.Tensor, torch.Tensor, float, int], torch.Tensor]
    to_zero: Optional[Callable[[torch.Tensor, torch.Tensor, float, int], torch.Tensor]] = None
    drift: Optional[Callable[[torch.Tensor, torch.Tensor, float, int], torch.Tensor]] = None
    diffusion: Optional[Callable[[float, float, int], object]] = None
    noise: Optional[NoiseSampler] = None


def model_of(velocity: Velocity) -> Callable[[torch.Tensor, float], torch.Tensor]:
    """The model evaluation a Field holds: velocity(x, sigma), as float32 on x's device."""
    return lambda x, sigma: velocity(x, sigma).to(device=x.device, dtype=torch.float32)


def _euler_update(field: Field, v, x, s: float, s_next: float, i: int) -> torch.Tensor:
    if s_next == 0.0 and field.to_zero is not None:
        return field.to_zero(v, x, s, i)
    return x + abs(s_next - s) * field.velocity(v, x, s, i)


def _midpoint_update(field: Field, v, x, s: float, s_next: float, i: int):
    s_mid = 0.5 * (s + s_next)
    x_mid = x + abs(s_mid - s) * field.velocity(v, x, s, i)
    v_mid = field.model(x_mid, s_mid)
    return x + abs(s_next - s) * field.velocity(v_mid, x_mid, s_mid, i), v_mid


def euler(field: Field, x, s: float, s_next: float, i: int, carry=None):
    """Euler: x + h f(x, sigma). Returns (x', the model's output at x, carry for the next step)."""
    v = field.model(x, s)
    return _euler_update(field, v, x, s, s_next, i), v, None


def midpoint(field: Field, x, s: float, s_next: float, i: int, carry=None):
    """Explicit midpoint (RK2): the field at x, then at the half step; two model evaluations."""
    v = field.model(x, s)
    x_next, _ = _midpoint_update(field, v, x, s, s_next, i)
    return x_next, v, None


def fireflow(field: Field, x, s: float, s_next: float, i: int, carry=None):
    """FireFlow (Deng et al., 2024): the midpoint step with the model's output at x taken from the previous step's
    midpoint (carry); one model evaluation per step after the first. The controller is evaluated fresh at x."""
    v = field.model(x, s) if carry is None else carry
    x_next, v_mid = _midpoint_update(field, v, x, s, s_next, i)
    return x_next, v, v_mid


def euler_maruyama(field: Field, x, s: float, s_next: float, i: int, carry=None):
    """Euler-Maruyama over the SDE's drift and diffusion (Eq. 17 / 22). A step from sigma = 1 (where 1 / (1 - sigma)
    is infinite) and the step to sigma = 0 are the ODE field's Euler steps: no noise on the last step."""
    v = field.model(x, s)
    if field.noise is None or not adds_noise(s, s_next):
        return _euler_update(field, v, x, s, s_next, i), v, None
    delta = s - s_next
    xi = field.noise(s).to(device=x.device, dtype=torch.float32)
    return x + delta * field.drift(v, x, s, i) + field.diffusion(s, delta, i) * xi, v, None


def adds_noise(s: float, s_next: float) -> bool:
    """Whether a reverse SDE step from s to s_next draws noise: not from sigma = 1 (an ODE step) nor to sigma = 0."""
    return s < 1.0 and s_next > 0.0


SCHEMES = {"euler": euler, "midpoint": midpoint, "fireflow": fireflow}


def integrate(scheme, field: Field, x: torch.Tensor, sigmas: list, steps: range,
              callback: Optional[Callback] = None) -> torch.Tensor:
    """Walks the grid's steps (i from sigmas[i] to sigmas[i + 1]) with one scheme; the callback gets each step's
    index, state and the model's x0 estimate there."""
    carry = None
    for i in steps:
        s, s_next = sigmas[i], sigmas[i + 1]
        x_next, v, carry = scheme(field, x, s, s_next, i, carry)
        if callback is not None:
            callback({"i": i, "x": x, "sigma": s, "sigma_next": s_next, "denoised": x0_estimate(x, s, v)})
        x = x_next
    return x
