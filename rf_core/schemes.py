"""Solver steps over a Field (model plus controller), h = |sigma' - sigma|; evaluations for N steps:
euler N, midpoint (RK2, RF-Solver's) 2N, fireflow N + 1.
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
    """The model, step i's controlled velocity, and the SDE's terms."""

    model: Callable[[torch.Tensor, float], torch.Tensor]
    velocity: Callable[[torch.Tensor, torch.Tensor, float, int], torch.Tensor]
    to_zero: Optional[Callable[[torch.Tensor, torch.Tensor, float, int], torch.Tensor]] = None
    drift: Optional[Callable[[torch.Tensor, torch.Tensor, float, int], torch.Tensor]] = None
    diffusion: Optional[Callable[[float, float, int], object]] = None
    noise: Optional[NoiseSampler] = None


def model_of(velocity: Velocity) -> Callable[[torch.Tensor, float], torch.Tensor]:
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
    """x + h f(x, sigma); returns (x', the model's output at x, carry)."""
    v = field.model(x, s)
    return _euler_update(field, v, x, s, s_next, i), v, None


def midpoint(field: Field, x, s: float, s_next: float, i: int, carry=None):
    """Explicit midpoint (RK2)."""
    v = field.model(x, s)
    x_next, _ = _midpoint_update(field, v, x, s, s_next, i)
    return x_next, v, None


def fireflow(field: Field, x, s: float, s_next: float, i: int, carry=None):
    """FireFlow (Deng et al., 2024): midpoint reusing the last midpoint's output."""
    v = field.model(x, s) if carry is None else carry
    x_next, v_mid = _midpoint_update(field, v, x, s, s_next, i)
    return x_next, v, v_mid


def euler_maruyama(field: Field, x, s: float, s_next: float, i: int, carry=None):
    """Euler-Maruyama (Eq. 17 / 22)."""
    v = field.model(x, s)
    if field.noise is None or not adds_noise(s, s_next):
        return _euler_update(field, v, x, s, s_next, i), v, None
    delta = s - s_next
    xi = field.noise(s).to(device=x.device, dtype=torch.float32)
    return x + delta * field.drift(v, x, s, i) + field.diffusion(s, delta, i) * xi, v, None


def adds_noise(s: float, s_next: float) -> bool:
    return s < 1.0 and s_next > 0.0


SCHEMES = {"euler": euler, "midpoint": midpoint, "fireflow": fireflow}


def chained(first: Optional[Callback], second: Optional[Callback]) -> Optional[Callback]:
    if first is None or second is None:
        return first or second
    return lambda d: (first(d), second(d))


def integrate(scheme, field: Field, x: torch.Tensor, sigmas: list, steps: range,
              callback: Optional[Callback] = None) -> torch.Tensor:
    carry = None
    for i in steps:
        s, s_next = sigmas[i], sigmas[i + 1]
        x_next, v, carry = scheme(field, x, s, s_next, i, carry)
        if callback is not None:
            callback({"i": i, "x": x, "v": v, "sigma": s, "sigma_next": s_next, "denoised": x0_estimate(x, s, v)})
        x = x_next
    return x
