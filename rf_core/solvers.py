"""RF-Inversion's controlled ODEs and SDEs (Rout et al., ICLR 2025), in ComfyUI's sigma convention.

Conventions (../shared/reference/rf-inversion.md):
  x_sigma = (1 - sigma) * x0 + sigma * eps, sigma = 1 is noise, sigma = 0 the image.
  velocity(x, sigma) -> v = E[eps - x0 | x_sigma = x]   (the flow model's raw output, "image to noise").
Each function checks its inputs, builds the Field of its equation (fields.py) and walks the grid with a scheme
(schemes.py). The state is float32 whatever the dtype of the inputs or of the model's output. Randomness only
enters through an explicit noise_sampler.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from . import fields as F
from .checks import RFInputError, check_latent_pair, check_option, check_sigmas, check_unit_interval, prepare_mask
from .schemes import SCHEMES, Callback, Field, NoiseSampler, Velocity, check_order, euler_maruyama, integrate, model_of

PerStep = Union[float, Sequence[float]]

# Where the controlled forward ODE reads the model's velocity for its step from the image at sigma = 0: "sigma0" is
# the paper's step; "sigma1" reads it at that step's end, for networks that predict x0 and divide by sigma.
FIRST_VELOCITY = ("sigma0", "sigma1")


def _per_step(name: str, value: PerStep, steps: int) -> list[float]:
    if isinstance(value, (int, float)):
        return [check_unit_interval(name, value)] * steps
    values = [check_unit_interval(name, v) for v in value]
    if len(values) != steps:
        raise RFInputError(f"{name} has {len(values)} per-step values but the schedule has {steps} steps.")
    return values


def _state(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to(torch.float32).clone()


def controlled_forward_ode(
    velocity: Velocity,
    y0: torch.Tensor,
    sigmas: torch.Tensor,
    y1: torch.Tensor,
    gamma: PerStep = 0.5,
    *,
    order: str = "euler",
    first_velocity: str = "sigma0",
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """Controlled forward ODE, Eq. 8 / Algorithm 1 of Rout et al. (2025): image y0 -> structured noise.

    sigmas increase (the sampling grid flipped). The field is u_hat = u + gamma_i (u_cond - u), with
    u = v(Y, sigma) (null prompt) and u_cond = (y1 - Y) / (1 - sigma); Euler's step is
    Y + (sigma_{i+1} - sigma_i) u_hat.
    gamma = 0 is plain ODE inversion; gamma = 1 lands on y1 when the grid ends at sigma = 1.
    order: euler (N model evaluations), midpoint (2N) or fireflow (N + 1); see schemes.py.
    first_velocity="sigma1" reads the model velocity of the step from sigma = 0 at its end, (y0, sigma_1), not at
    (y0, 0) (u_cond keeps sigma_0, so gamma = 1 still lands on y1): Y_1 = y0 + sigma_1 u_hat(v(y0, sigma_1)), the
    mirror of the reverse's last step X_0 = X_1 - sigma_1 v(X_1, sigma_1). For x0-predicting networks,
    v = (x - x0_hat) / sigma is 0/0 at sigma = 0 and multiplies the network's error by 1 / sigma just above it; at
    sigma_1 the step's error is the network's own x0 error, as in the reverse's last step.
    """
    check_sigmas(sigmas, increasing=True)
    check_latent_pair("y0", y0, "y1", y1)
    scheme = SCHEMES[check_order(order)]
    check_option("first_velocity", first_velocity, FIRST_VELOCITY)
    sig = [float(s) for s in sigmas]
    gammas = _per_step("gamma", gamma, len(sig) - 1)
    Y = _state(y0)
    target = y1.detach().to(device=Y.device, dtype=torch.float32)
    model = model_of(velocity)
    if first_velocity == "sigma1":
        model = _read_above_zero(model, sig)
    field = Field(
        model=model,
        velocity=lambda u, y, s, i: F.controlled_forward_velocity(u, y, target, s, gammas[i]),
    )
    return integrate(scheme, field, Y, sig, callback)


def _read_above_zero(model, sig: list):
    """The model read at sigma_1 where the walk asks for it at sigma = 0 (the first step of an increasing grid)."""
    return lambda x, s: model(x, sig[1] if s == 0.0 else s)


def _reverse_setup(x, sigmas, y0, eta, mask):
    """The checked inputs of a reverse process: float grid, state, source (or None) and eta field per step."""
    check_sigmas(sigmas, increasing=False)
    sig = [float(s) for s in sigmas]
    etas = _per_step("eta", eta, len(sig) - 1)
    X = _state(x)
    source = None
    if y0 is not None:
        check_latent_pair("x", x, "y0", y0)
        source = y0.detach().to(device=X.device, dtype=torch.float32)
    m = prepare_mask(mask, X)
    if source is None and (m is not None or any(e != 0.0 for e in etas)):
        raise RFInputError("eta and mask pull towards a source image: pass y0 (the reference latent).")
    return sig, X, source, [F.masked_eta(e, m) for e in etas]


def _reverse_field(velocity, source, eta_at, noise_sampler=None, c2: float = 1.0) -> Field:
    """Eq. 15's field (its exact Euler step to sigma = 0 included), with Eq. 17's SDE terms if noise is given."""
    noisy = noise_sampler is not None and c2 > 0.0
    return Field(
        model=model_of(velocity),
        velocity=lambda v, x, s, i: F.controlled_reverse_velocity(v, x, source, s, eta_at[i]),
        to_zero=lambda v, x, s, i: F.reverse_step_to_zero(F.x0_estimate(x, s, v), source, eta_at[i]),
        drift=lambda v, x, s, i: F.sde_drift(v, x, source, s, eta_at[i], c2),
        diffusion=lambda s, delta, i: F.sde_diffusion(s, delta, eta_at[i], c2),
        noise=noise_sampler if noisy else None,
    )


def controlled_reverse_ode(
    velocity: Velocity,
    x: torch.Tensor,
    sigmas: torch.Tensor,
    y0: torch.Tensor,
    eta: PerStep = 0.9,
    *,
    mask: Optional[torch.Tensor] = None,
    order: str = "euler",
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """Controlled reverse ODE, Eq. 15 / Algorithm 2 of Rout et al. (2025): structured noise -> edited image.

    sigmas decrease. The field is v_tilde = v_hat + eta_i (v_cond - v_hat), with v_hat = -v(X, sigma) (edit prompt)
    and v_cond = (y0 - X) / sigma; Euler's step is X + (sigma_i - sigma_{i+1}) v_tilde, and to sigma = 0
    lerp(x0_hat, y0, eta_i). eta = 1 on every step returns y0; a mask (1 = edit) keeps eta = 1 outside it.
    order: euler (N model evaluations), midpoint (2N) or fireflow (N + 1); see schemes.py.
    """
    scheme = SCHEMES[check_order(order)]
    sig, X, source, eta_at = _reverse_setup(x, sigmas, y0, eta, mask)
    return integrate(scheme, _reverse_field(velocity, source, eta_at), X, sig, callback)


def controlled_reverse_sde(
    velocity: Velocity,
    x: torch.Tensor,
    sigmas: torch.Tensor,
    y0: torch.Tensor,
    eta: PerStep = 0.9,
    *,
    noise_sampler: NoiseSampler,
    mask: Optional[torch.Tensor] = None,
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """Controlled reverse SDE, Eq. 17 of Rout et al. (2025), exact sigma form, Euler-Maruyama.

    X <- X + delta [(1 - eta)(-2 v - X / (1 - sigma_i)) + eta (y0 - X) / sigma_i]
           + sqrt(2 (1 - eta) sigma_i delta / (1 - sigma_i)) xi,      delta = sigma_i - sigma_{i+1}.
    A step from sigma = 1 (where 1 / (1 - sigma) is infinite) and the last step to sigma = 0 are controlled
    ODE steps (Eq. 15): no noise is added on the final step, which lands on the (controlled) x0 estimate.
    """
    sig, X, source, eta_at = _reverse_setup(x, sigmas, y0, eta, mask)
    return integrate(euler_maruyama, _reverse_field(velocity, source, eta_at, noise_sampler), X, sig, callback)


def stochastic_sampler(
    velocity: Velocity,
    x: torch.Tensor,
    sigmas: torch.Tensor,
    *,
    noise_sampler: NoiseSampler,
    noise_scale: float = 1.0,
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """Rectified-SDE sampler, Eq. 22 with the score of Eq. 23 of Rout et al. (2025), for plain generation.

    noise_scale c scales the diffusion coefficient: g^2 = c^2 * 2 sigma / (1 - sigma). Every c keeps the
    model's marginals; c = 1 is the paper's Eq. 22, c = 0 the deterministic probability-flow ODE.
    """
    c = check_unit_interval("noise_scale", noise_scale)
    sig, X, _, eta_at = _reverse_setup(x, sigmas, None, 0.0, None)
    field = _reverse_field(velocity, None, eta_at, noise_sampler, c * c)
    return integrate(euler_maruyama, field, X, sig, callback)
