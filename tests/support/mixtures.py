"""What the rf_core tests run on: Gaussian mixtures (exact_fields.GaussianMixture, a "perfect model") of the
tests' latent shape, a wrapper that counts a velocity's evaluations, and the measures the tests compare with.
The module fixtures gm and y0 (tests/conftest.py) build a mixture and its samples from a module's GM_SEED."""

from __future__ import annotations

import torch

from exact_fields import GaussianMixture
from seeded import gen

LATENT = (2, 4, 8, 8)  # (B, C, H, W): small image latents
ORDERS = ("euler", "midpoint", "fireflow")  # the solver names rf_core must offer (pinned here, not read from it)
EVENT = LATENT[1:]


def mixture(event=EVENT, k: int = 3, seed: int = 0, spread: float = 1.0, var_range=(0.1, 0.4)) -> GaussianMixture:
    """A K-component diagonal mixture with smooth (not tiny) variances: the exact flow is smooth in sigma."""
    g = gen(seed)
    means = spread * torch.randn((k, *event), generator=g)
    lo, hi = var_range
    variances = lo + (hi - lo) * torch.rand((k, *event), generator=g)
    return GaussianMixture(means, variances)


def class_mixture(event=EVENT, seed: int = 0, sep: float = 1.5, var: float = 0.15) -> GaussianMixture:
    """Two "classes": components 0, 1 are class A (around +m), 2, 3 class B (around -m)."""
    g = gen(seed)
    m = torch.randn(event, generator=g)
    m = sep * m / m.abs().mean()
    jitter = 0.3 * torch.randn((4, *event), generator=g)
    means = torch.stack([m, m, -m, -m]) + jitter
    return GaussianMixture(means, torch.full((4, *event), var))


CLASS_A = [0, 1]
CLASS_B = [2, 3]


class Counting:
    """Wraps a velocity: counts evaluations and records the sigmas (as given) it is called with."""

    def __init__(self, velocity):
        self.velocity = velocity
        self.sigmas: list[float] = []

    @property
    def n(self) -> int:
        return len(self.sigmas)

    def __call__(self, x, sigma):
        self.sigmas.append(sigma)
        return self.velocity(x, sigma)


def class_log_odds(gm: GaussianMixture, x: torch.Tensor, a, b) -> torch.Tensor:
    """log p(x | class b) - log p(x | class a) at sigma = 0, per batch item (float64)."""

    def loglik(classes):
        mu, var, w = gm._select(classes)
        xf = x.to(torch.float64).reshape(x.shape[0], 1, -1)
        mu, var = mu.reshape(1, mu.shape[0], -1), var.reshape(1, var.shape[0], -1)
        lp = -0.5 * (((xf - mu) ** 2) / var + torch.log(2 * torch.pi * var)).sum(-1) + torch.log(w)[None]
        return torch.logsumexp(lp, dim=1)

    return loglik(b) - loglik(a)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a.double() - b.double()).norm() / b.double().norm())


def x0_network(gm: GaussianMixture, error: float = 0.0, classes=None):
    """The velocity an x0-predicting network returns, (x - x0_hat) / sigma (Chroma Radiance x0, Z-Image pixel space),
    with x0_hat = E[x0 | x] + error * tanh(x): the network's own x0 error. Not finite at sigma = 0, as theirs."""

    def velocity(x, sigma):
        e_x0, _ = gm.posterior(x, sigma, classes)
        x0_hat = e_x0 + error * torch.tanh(x.to(torch.float64))
        return ((x.to(torch.float64) - x0_hat) / torch.tensor(float(sigma), dtype=torch.float64)).to(x.dtype)

    return velocity
