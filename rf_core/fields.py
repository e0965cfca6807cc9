"""The velocity fields, one equation per function.

Each is d/dt in its walk's direction (t = sigma up, 1 - sigma down): a step is x + |sigma' - sigma| f. Each takes
the model's output v at its point, so the scheme decides where the model runs.
"""

from __future__ import annotations

from typing import Optional, Union

import torch

Eta = Union[float, torch.Tensor]  # or a per-element field


def active(strength: Eta) -> bool:
    """Only a plain 0.0 strength is off."""
    return not (isinstance(strength, float) and strength == 0.0)


def x0_estimate(x: torch.Tensor, sigma: float, v: torch.Tensor) -> torch.Tensor:
    return x - sigma * v


def controlled_forward_velocity(u: torch.Tensor, y: torch.Tensor, y1: torch.Tensor, sigma: float,
                                gamma: float) -> torch.Tensor:
    """Eq. 8: u_hat = u + gamma (u_cond - u), u_cond = (y1 - Y) / (1 - sigma)."""
    if not active(gamma):
        return u
    return u + gamma * ((y1 - y) / (1.0 - sigma) - u)


def controlled_reverse_velocity(v: torch.Tensor, x: torch.Tensor, y0: Optional[torch.Tensor], sigma: float,
                                eta: Eta) -> torch.Tensor:
    """Eq. 15: v_tilde = v_hat + eta (v_cond - v_hat), v_hat = -v, v_cond = (y0 - X) / sigma."""
    v_hat = -v
    if not active(eta):
        return v_hat
    return v_hat + eta * ((y0 - x) / sigma - v_hat)


def reverse_step_to_zero(x0_hat: torch.Tensor, y0: Optional[torch.Tensor], eta: Eta) -> torch.Tensor:
    """Eq. 15's Euler step to sigma = 0, lerp(x0_hat, y0, eta): exactly y0 where eta = 1."""
    return torch.lerp(x0_hat, y0, eta) if active(eta) else x0_hat


def sde_drift(v: torch.Tensor, x: torch.Tensor, y0: Optional[torch.Tensor], sigma: float, eta: Eta,
              c2: float = 1.0) -> torch.Tensor:
    """Eq. 17's drift: (1 - eta)(-(1 + c^2) v - c^2 X / (1 - sigma)) + eta (y0 - X) / sigma."""
    drift = (1.0 - eta) * (-(1.0 + c2) * v - c2 * x / (1.0 - sigma))
    if active(eta):
        drift = drift + eta * (y0 - x) / sigma
    return drift


def sde_diffusion(sigma: float, delta: float, eta: Eta, c2: float = 1.0) -> Eta:
    """Eq. 17's noise scale: sqrt(2 c^2 (1 - eta) sigma delta / (1 - sigma))."""
    var = (1.0 - eta) * (2.0 * c2 * sigma * delta / (1.0 - sigma))
    return var**0.5 if isinstance(var, float) else var.sqrt()


def masked_eta(eta: float, mask: Optional[torch.Tensor]) -> Eta:
    """eta inside the mask (1 = edit), 1 outside."""
    if mask is None:
        return eta
    return 1.0 - mask * (1.0 - eta)
