"""The controlled ODEs and SDEs: public functions check, walks trust."""

from __future__ import annotations

import logging
from typing import Callable, Optional, Sequence, Union

import torch

from . import fields
from .checks import RFInputError, check_latent_pair, check_mask, check_option, check_sigmas, check_unit_interval
from .noise import NoiseSampler
from .schemes import ORDERS, SCHEMES, Callback, Field, Velocity, chained, euler_maruyama, integrate, model_of

PerStep = Union[float, Sequence[float]]
logger = logging.getLogger(__name__)


def forward_walk(velocity: Velocity, y0: torch.Tensor, y1: torch.Tensor, sigmas: list, gammas: Sequence[float],
                 order: str, steps: range, x0_network: bool = False,
                 callback: Optional[Callback] = None) -> torch.Tensor:
    """Eq. 8 up `sigmas` from y0."""
    model = _FiniteReads(model_of(velocity), sigmas[1], x0_network)
    target = y1.detach().to(device=y0.device, dtype=torch.float32)
    field = Field(model=model,
                  velocity=lambda u, y, s, i: fields.controlled_forward_velocity(u, y, target, s, gammas[i]))
    return integrate(SCHEMES[order], field, _state(y0), sigmas, steps, model.noting(callback))


class _FiniteReads:
    """The model, read at sigma_1 for 0 if it predicts x0 or is not finite there; refused if not finite."""

    def __init__(self, model, sigma_1: float, x0_network: bool):
        self.model, self.sigma_1, self.zero_read = model, sigma_1, sigma_1 if x0_network else 0.0

    def __call__(self, x: torch.Tensor, s: float) -> torch.Tensor:
        if s == 0.0 and self.zero_read == 0.0:
            v = self.model(x, s)
            if bool(torch.isfinite(v).all()):
                return v
            logger.warning("RF-Inversion: the network's output at sigma = 0 is not finite (it divides by sigma, as "
                           "an x0-predicting network does), so the inversion reads its first step at sigma_1 = %.4g.",
                           self.sigma_1)
            self.zero_read = self.sigma_1
        read = self.zero_read if s == 0.0 else s
        return _finite(self.model(x, read), read)

    def noting(self, callback: Optional[Callback]) -> Optional[Callback]:
        """The callback, told in d["read"] where the model was read."""
        if callback is None:
            return None
        return lambda d: callback({**d, "read": self.zero_read if d["sigma"] == 0.0 else d["sigma"]})


def _finite(v: torch.Tensor, sigma: float) -> torch.Tensor:
    if not bool(torch.isfinite(v).all()):
        raise RFInputError(f"the network's output at sigma = {sigma:.4g} is not finite (NaN or infinite), so the "
                           "inversion (Eq. 8) cannot go on.", "velocity_not_finite")
    return v


def reverse_walk(velocity: Velocity, x: torch.Tensor, y0: Optional[torch.Tensor], sigmas: list,
                 etas: Sequence[float], order: str, steps: range, mask: Optional[torch.Tensor] = None,
                 noise: Optional[NoiseSampler] = None, c2: float = 1.0, callback: Optional[Callback] = None,
                 reference: Optional[Callable] = None, eta_field: Optional[Callable] = None,
                 on_step: Optional[Callback] = None) -> torch.Tensor:
    """Eq. 15 down `sigmas` from x; with noise, Eq. 17 (c2 scales the diffusion); the rest from levers.py."""
    X = _state(x)
    source = None if y0 is None else y0.detach().to(device=X.device, dtype=torch.float32)
    mask = None if mask is None else mask.to(device=X.device, dtype=torch.float32)
    eta_at = [fields.masked_eta(e.to(X.device) if torch.is_tensor(e) else e, mask) for e in etas]
    ref = reference or (lambda i: source)
    eta = eta_field or (lambda i, v: eta_at[i])
    field = Field(
        model=model_of(velocity),
        velocity=lambda v, x_, s, i: fields.controlled_reverse_velocity(v, x_, ref(i), s, eta(i, v)),
        to_zero=lambda v, x_, s, i: fields.reverse_step_to_zero(fields.x0_estimate(x_, s, v), ref(i), eta(i, v)),
        drift=lambda v, x_, s, i: fields.sde_drift(v, x_, source, s, eta_at[i], c2),
        diffusion=lambda s, delta, i: fields.sde_diffusion(s, delta, eta_at[i], c2),
        noise=noise if c2 > 0.0 else None,
    )
    scheme = euler_maruyama if noise is not None else SCHEMES[order]
    return integrate(scheme, field, X, sigmas, steps, chained(on_step, callback))


def _state(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to(torch.float32).clone()


def per_step(name: str, value: PerStep, steps: int) -> list[float]:
    if isinstance(value, (int, float)):
        return [check_unit_interval(name, value)] * steps
    values = [check_unit_interval(name, v) for v in value]
    if len(values) != steps:
        raise RFInputError(f"{name} has {len(values)} per-step values but the schedule has {steps} steps.")
    return values


def controlled_forward_ode(velocity: Velocity, y0: torch.Tensor, sigmas: torch.Tensor, y1: torch.Tensor,
                           gamma: PerStep = 0.5, *, order: str = "euler", x0_network: bool = False,
                           callback: Optional[Callback] = None) -> torch.Tensor:
    """Controlled forward ODE (Eq. 8, Algorithm 1) up increasing sigmas: gamma 1 lands on y1."""
    sig = check_sigmas(sigmas, increasing=True)
    check_latent_pair("y0", y0, "y1", y1)
    check_option("order", order, ORDERS)
    gammas = per_step("gamma", gamma, len(sig) - 1)
    return forward_walk(velocity, y0, y1, sig, gammas, order, range(len(sig) - 1), x0_network, callback)


def _reverse_inputs(x, sigmas, y0, eta, mask) -> tuple[list, list]:
    sig = check_sigmas(sigmas, increasing=False)
    etas = per_step("eta", eta, len(sig) - 1)
    if y0 is not None:
        check_latent_pair("x", x, "y0", y0)
    elif mask is not None or any(e != 0.0 for e in etas):
        raise RFInputError("eta and mask pull towards a source image: pass y0 (the reference latent).")
    if mask is not None:
        check_mask(mask, x)
    return sig, etas


def controlled_reverse_ode(velocity: Velocity, x: torch.Tensor, sigmas: torch.Tensor, y0: Optional[torch.Tensor],
                           eta: PerStep = 0.9, *, mask: Optional[torch.Tensor] = None, order: str = "euler",
                           callback: Optional[Callback] = None) -> torch.Tensor:
    """Controlled reverse ODE (Eq. 15, Algorithm 2) down decreasing sigmas: eta 1 returns y0."""
    check_option("order", order, ORDERS)
    sig, etas = _reverse_inputs(x, sigmas, y0, eta, mask)
    return reverse_walk(velocity, x, y0, sig, etas, order, range(len(sig) - 1), mask, callback=callback)


def controlled_reverse_sde(velocity: Velocity, x: torch.Tensor, sigmas: torch.Tensor, y0: Optional[torch.Tensor],
                           eta: PerStep = 0.9, *, noise_sampler: NoiseSampler, mask: Optional[torch.Tensor] = None,
                           callback: Optional[Callback] = None) -> torch.Tensor:
    """Controlled reverse SDE (Eq. 17, sigma form) by Euler-Maruyama."""
    sig, etas = _reverse_inputs(x, sigmas, y0, eta, mask)
    return reverse_walk(velocity, x, y0, sig, etas, "euler", range(len(sig) - 1), mask, noise_sampler,
                        callback=callback)


def stochastic_sampler(velocity: Velocity, x: torch.Tensor, sigmas: torch.Tensor, *, noise_sampler: NoiseSampler,
                       noise_scale: float = 1.0, callback: Optional[Callback] = None) -> torch.Tensor:
    """Rectified-SDE sampler (Eq. 22); noise_scale c scales g^2 = 2 sigma / (1 - sigma) by c^2."""
    c = check_unit_interval("noise_scale", noise_scale)
    sig = check_sigmas(sigmas, increasing=False)
    n = len(sig) - 1
    return reverse_walk(velocity, x, None, sig, [0.0] * n, "euler", range(n), None, noise_sampler, c * c, callback)
