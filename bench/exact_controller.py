"""The exact controller step (integrating factor), tried as a solver option in the exact-model study (bench only).

The controller terms of Eq. 8 and Eq. 15 are linear in the state, so with the model's velocity frozen over a step
they integrate in closed form, at no extra model evaluation:
  reverse, eta in [0, 1]:  X' = y0 + (X - y0) (s'/s)^eta + v s'^eta (s'^(1-eta) - s^(1-eta))
  forward, gamma in [0, 1]: Y' = y1 + (Y - y1) r^gamma + u (1 - t')^gamma ((1 - t)^(1-gamma) - (1 - t')^(1-gamma)),
                            r = (1 - t') / (1 - t)
euler_exact freezes the model's velocity at the step's start; fireflow_exact takes fireflow's two velocities (the
reused one to reach the midpoint, the midpoint's one for the whole step), each integrated exactly from X. Both run on
rf_core's own Field plumbing (schemes.integrate), with the same grids and windows as rf_core.invert / rf_core.edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from rf_core import eta_schedule, flip_sigmas, gamma_schedule
from rf_core.schemes import integrate, model_of


def exact_forward_step(u, y, y1, t: float, t_next: float, gamma: float):
    """Eq. 8 from t to t' with u frozen, in closed form (integrating factor (1 - t)^-gamma)."""
    if gamma == 0.0:
        return y + (t_next - t) * u
    r, a, b = (1.0 - t_next) / (1.0 - t), 1.0 - t, 1.0 - t_next
    return y1 + (y - y1) * r**gamma + u * b**gamma * (a ** (1 - gamma) - b ** (1 - gamma))


def exact_reverse_step(v, x, y0, s: float, s_next: float, eta):
    """Eq. 15 from sigma to sigma' with v frozen, in closed form (integrating factor sigma^-eta)."""
    if isinstance(eta, float) and eta == 0.0:
        return x + (s_next - s) * v
    return y0 + (x - y0) * (s_next / s) ** eta + v * s_next**eta * (s_next ** (1 - eta) - s ** (1 - eta))


@dataclass(frozen=True)
class ExactField:
    model: Callable
    advance: Callable  # (m, x, sigma, sigma', i) -> the state at sigma' with the model's output m frozen


def euler_exact(field, x, s, s_next, i, carry=None):
    m = field.model(x, s)
    return field.advance(m, x, s, s_next, i), m, None


def fireflow_exact(field, x, s, s_next, i, carry=None):
    m = field.model(x, s) if carry is None else carry
    x_mid = field.advance(m, x, s, 0.5 * (s + s_next), i)
    m_mid = field.model(x_mid, 0.5 * (s + s_next))
    return field.advance(m_mid, x, s, s_next, i), m, m_mid


SCHEMES = {"euler": euler_exact, "fireflow": fireflow_exact}


def invert_exact(velocity, y0, sigmas, y1, *, gamma: float, order: str):
    """rf_core.invert (start step 0) with the exact controller step."""
    fwd = [float(s) for s in flip_sigmas(sigmas)]
    gammas = gamma_schedule(gamma, len(fwd) - 1)
    y1 = y1.to(torch.float32)
    field = ExactField(model_of(velocity), lambda u, y, t, t2, i: exact_forward_step(u, y, y1, t, t2, gammas[i]))
    return integrate(SCHEMES[order], field, y0.detach().to(torch.float32).clone(), fwd, range(len(fwd) - 1))


def edit_exact(velocity, x, y0, sigmas, *, eta: float, stop_step: int, order: str):
    """rf_core.edit (mode ode, start step 0, constant eta on [0, stop_step)) with the exact controller step."""
    sig = [float(s) for s in sigmas]
    etas = eta_schedule(eta, len(sig) - 1, 0, stop_step)
    y0 = y0.to(torch.float32)
    field = ExactField(model_of(velocity), lambda v, z, s, s2, i: exact_reverse_step(v, z, y0, s, s2, etas[i]))
    return integrate(SCHEMES[order], field, x.detach().to(torch.float32).clone(), sig, range(len(sig) - 1))
