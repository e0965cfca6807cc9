"""RF-Inversion's controlled ODEs and SDEs (Rout et al., ICLR 2025), in ComfyUI's sigma convention.

Conventions (../shared/reference/rf-inversion.md):
  x_sigma = (1 - sigma) * x0 + sigma * eps, sigma = 1 is noise, sigma = 0 the image.
  velocity(x, sigma) -> v = E[eps - x0 | x_sigma = x]   (the flow model's raw output, "image to noise").
Each sampler is a small stateless function over (velocity, x, sigmas, ...). The state is float32 whatever the
dtype of the inputs or of the model's output. Randomness only enters through an explicit noise_sampler.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import torch

from .checks import RFInputError, check_latent_pair, check_sigmas, check_unit_interval, prepare_mask

Velocity = Callable[[torch.Tensor, float], torch.Tensor]
Callback = Callable[[dict], None]
NoiseSampler = Callable[[int], torch.Tensor]
PerStep = Union[float, Sequence[float]]

# Where the controlled forward ODE reads the model's velocity for its first step (from the image at sigma_0 = 0):
# "sigma0" is the paper's Euler step; "sigma1" reads it at sigma_1, for networks that predict x0 and divide by sigma.
FIRST_VELOCITY = ("sigma0", "sigma1")


def _per_step(name: str, value: PerStep, steps: int) -> list[float]:
    if isinstance(value, (int, float)):
        return [check_unit_interval(name, value)] * steps
    values = [check_unit_interval(name, v) for v in value]
    if len(values) != steps:
        raise RFInputError(f"{name} has {len(values)} per-step values but the schedule has {steps} steps.")
    return values


def _model_sigma(s: float, s_next: float, first_velocity: str) -> float:
    """The sigma at which a step from s reads the model: s, or its end for a step from 0 if first_velocity is
    "sigma1"."""
    return s_next if s == 0.0 and first_velocity == "sigma1" else s


def adds_noise(s: float, s_next: float) -> bool:
    """Whether a reverse SDE step from s to s_next draws noise: not from sigma = 1 (an ODE step) nor to sigma = 0."""
    return s < 1.0 and s_next > 0.0


def _check_order(order: int) -> int:
    if order not in (1, 2):
        raise RFInputError(f"order must be 1 (Euler) or 2 (midpoint), got {order}.")
    return order


def _state(x: torch.Tensor) -> torch.Tensor:
    return x.detach().to(torch.float32).clone()


def _v(velocity: Velocity, x: torch.Tensor, sigma: float) -> torch.Tensor:
    return velocity(x, sigma).to(device=x.device, dtype=torch.float32)


def _emit(callback: Optional[Callback], i: int, x: torch.Tensor, s: float, s_next: float, denoised: torch.Tensor):
    if callback is not None:
        callback({"i": i, "x": x, "sigma": s, "sigma_next": s_next, "denoised": denoised})


def controlled_forward_ode(
    velocity: Velocity,
    y0: torch.Tensor,
    sigmas: torch.Tensor,
    y1: torch.Tensor,
    gamma: PerStep = 0.5,
    *,
    order: int = 1,
    first_velocity: str = "sigma0",
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """Controlled forward ODE, Eq. 8 / Algorithm 1 of Rout et al. (2025): image y0 -> structured noise.

    sigmas increase (the sampling grid flipped). Per step i: u = v(Y, sigma_i) (null prompt),
    u_cond = (y1 - Y) / (1 - sigma_i), u_hat = u + gamma_i (u_cond - u), Y <- Y + (sigma_{i+1} - sigma_i) u_hat.
    gamma = 0 is plain ODE inversion; gamma = 1 lands exactly on y1 when the grid ends at sigma = 1.
    order=2 takes the midpoint (in sigma) of each step: two model evaluations per step.
    first_velocity="sigma1" reads the model velocity of a step from sigma = 0 at its end, (y0, sigma_1), not at (y0, 0)
    (u_cond keeps sigma_0, so gamma = 1 still lands on y1): Y_1 = y0 + sigma_1 u_hat(v(y0, sigma_1)), the mirror of
    the reverse's last step X_0 = X_1 - sigma_1 v(X_1, sigma_1). For x0-predicting networks, v = (x - x0_hat) / sigma
    is 0/0 at sigma = 0 and multiplies the network's error by 1 / sigma just above it; at sigma_1 the step's error
    is the network's own x0 error, as in the reverse's last step.
    """
    check_sigmas(sigmas, increasing=True)
    check_latent_pair("y0", y0, "y1", y1)
    order = _check_order(order)
    if first_velocity not in FIRST_VELOCITY:
        raise RFInputError(f"first_velocity must be one of {', '.join(FIRST_VELOCITY)}, got {first_velocity!r}.")
    sig = [float(s) for s in sigmas]
    gammas = _per_step("gamma", gamma, len(sig) - 1)
    Y = _state(y0)
    target = y1.detach().to(device=Y.device, dtype=torch.float32)

    def field(Y: torch.Tensor, s: float, g: float, s_model: float):
        u = _v(velocity, Y, s_model)
        u_hat = u if g == 0.0 else u + g * ((target - Y) / (1.0 - s) - u)
        return u_hat, u

    for i, (s, s_next) in enumerate(zip(sig[:-1], sig[1:])):
        u_hat, u = field(Y, s, gammas[i], _model_sigma(s, s_next, first_velocity))
        _emit(callback, i, Y, s, s_next, Y - s * u)
        if order == 2:
            s_mid = 0.5 * (s + s_next)
            u_hat, _ = field(Y + (s_mid - s) * u_hat, s_mid, gammas[i], s_mid)
        Y = Y + (s_next - s) * u_hat
    return Y


def _eta_field(eta_i: float, mask: Optional[torch.Tensor]):
    """The effective eta: eta_i inside the mask, 1 outside it (the controller keeps pulling to the source)."""
    if mask is None:
        return eta_i
    return 1.0 - mask * (1.0 - eta_i)


def _eta_active(eta) -> bool:
    return not (isinstance(eta, float) and eta == 0.0)


def controlled_reverse_ode(
    velocity: Velocity,
    x: torch.Tensor,
    sigmas: torch.Tensor,
    y0: torch.Tensor,
    eta: PerStep = 0.9,
    *,
    mask: Optional[torch.Tensor] = None,
    order: int = 1,
    callback: Optional[Callback] = None,
) -> torch.Tensor:
    """Controlled reverse ODE, Eq. 15 / Algorithm 2 of Rout et al. (2025): structured noise -> edited image.

    sigmas decrease. Per step i: v_hat = -v(X, sigma_i) (edit prompt), v_cond = (y0 - X) / sigma_i,
    v_tilde = v_hat + eta_i (v_cond - v_hat), X <- X + (sigma_i - sigma_{i+1}) v_tilde.
    eta = 1 on every step returns y0; a mask (1 = edit) keeps eta = 1 outside it.
    """
    return _controlled_reverse(velocity, x, sigmas, y0, eta, mask=mask, order=order, callback=callback)


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
    return _controlled_reverse(
        velocity, x, sigmas, y0, eta, mask=mask, order=1, callback=callback, noise_sampler=noise_sampler
    )


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
    return _controlled_reverse(
        velocity, x, sigmas, None, 0.0, order=1, callback=callback, noise_sampler=noise_sampler, noise_scale=c
    )


def _controlled_reverse(
    velocity: Velocity,
    x: torch.Tensor,
    sigmas: torch.Tensor,
    y0: Optional[torch.Tensor],
    eta: PerStep,
    *,
    mask: Optional[torch.Tensor] = None,
    order: int = 1,
    callback: Optional[Callback] = None,
    noise_sampler: Optional[NoiseSampler] = None,
    noise_scale: float = 1.0,
) -> torch.Tensor:
    check_sigmas(sigmas, increasing=False)
    order = _check_order(order)
    if noise_sampler is not None and order != 1:
        raise RFInputError("the SDE is integrated with Euler-Maruyama only: use order 1 with mode 'sde'.")
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
    c2 = noise_scale * noise_scale

    def field(X: torch.Tensor, s: float, eta_i):
        """The controlled ODE velocity v_tilde of Eq. 15, and the model's v."""
        v = _v(velocity, X, s)
        v_tilde = -v
        if _eta_active(eta_i):
            v_tilde = v_tilde + eta_i * ((source - X) / s - v_tilde)
        return v_tilde, v

    for i, (s, s_next) in enumerate(zip(sig[:-1], sig[1:])):
        eta_i = _eta_field(etas[i], m)
        delta = s - s_next
        v_tilde, v = field(X, s, eta_i)
        _emit(callback, i, X, s, s_next, X - s * v)
        stochastic = noise_sampler is not None and c2 > 0.0 and adds_noise(s, s_next)
        if stochastic:
            # Eq. 17 (c = 1) / Eq. 22 (eta = 0): drift (1 - eta)(-(1 + c^2) v - c^2 X / (1 - s)) + eta v_cond.
            keep = 1.0 - eta_i
            drift = keep * (-(1.0 + c2) * v - c2 * X / (1.0 - s))
            if _eta_active(eta_i):
                drift = drift + eta_i * (source - X) / s
            std = (keep * (2.0 * c2 * s * delta / (1.0 - s))) ** 0.5 if isinstance(keep, float) else (
                (keep * (2.0 * c2 * s * delta / (1.0 - s))).sqrt()
            )
            xi = noise_sampler(i).to(device=X.device, dtype=torch.float32)
            X = X + delta * drift + std * xi
            continue
        if order == 1 and s_next == 0.0:
            # Eq. 15's Euler step to sigma = 0 is (1 - eta) x0_hat + eta y0 with x0_hat = X - sigma_i v. As a lerp it
            # lands bit for bit on the source where eta = 1 (outside a mask too) and on x0_hat where eta = 0.
            x0_hat = X - s * v
            X = torch.lerp(x0_hat, source, eta_i) if _eta_active(eta_i) else x0_hat
            continue
        if order == 2:
            s_mid = 0.5 * (s + s_next)
            v_tilde, _ = field(X + (s - s_mid) * v_tilde, s_mid, eta_i)
        X = X + delta * v_tilde
    return X
