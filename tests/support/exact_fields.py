"""Exact velocity fields for tests and studies: Gaussian-mixture data, where E[eps - x0 | x_sigma] is closed form.

Data x0 ~ sum_k pi_k N(mu_k, diag(var_k)) over any event shape, eps ~ N(0, I), x_sigma = (1 - sigma) x0 + sigma eps.
Given component k, x_sigma ~ N((1 - sigma) mu_k, diag(c_k)) with c_k = (1 - sigma)^2 var_k + sigma^2, and
  E[x0 | x, k]  = mu_k + (1 - sigma) var_k / c_k * (x - (1 - sigma) mu_k)
  E[eps | x, k] = sigma / c_k * (x - (1 - sigma) mu_k)
The mixture's posterior weights r_k(x) combine them. A "prompt" is a subset of components (a class); the
null prompt is the whole mixture. This is a perfect flow model: every error left is the solver's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch


@dataclass
class GaussianMixture:
    means: torch.Tensor  # (K, *event)
    variances: torch.Tensor  # (K, *event), > 0
    weights: Optional[torch.Tensor] = None  # (K,), sums to 1

    def __post_init__(self):
        self.means = self.means.to(torch.float64)
        self.variances = self.variances.to(torch.float64).expand_as(self.means).clone()
        k = self.means.shape[0]
        w = torch.full((k,), 1.0 / k, dtype=torch.float64) if self.weights is None else self.weights.to(torch.float64)
        self.weights = w / w.sum()
        if (self.variances <= 0).any():
            raise ValueError("variances must be positive")

    @property
    def event_shape(self) -> tuple[int, ...]:
        return tuple(self.means.shape[1:])

    def _select(self, classes: Optional[Sequence[int]]):
        idx = list(range(self.means.shape[0])) if classes is None else list(classes)
        return self.means[idx], self.variances[idx], self.weights[idx] / self.weights[idx].sum()

    def posterior(self, x: torch.Tensor, sigma: float, classes: Optional[Sequence[int]] = None):
        """E[x0 | x_sigma = x] and E[eps | x_sigma = x], float64, for a batch x of shape (B, *event)."""
        mu, var, w = self._select(classes)
        b = x.shape[0]
        xf = x.to(torch.float64).reshape(b, 1, -1)
        mu, var = mu.reshape(1, mu.shape[0], -1), var.reshape(1, var.shape[0], -1)
        s = float(sigma)
        c = (1.0 - s) ** 2 * var + s * s
        r = xf - (1.0 - s) * mu
        logp = -0.5 * ((r * r) / c + torch.log(c)).sum(-1) + torch.log(w)[None]
        post = torch.softmax(logp, dim=1)[..., None]
        e_x0 = ((mu + (1.0 - s) * var / c * r) * post).sum(1)
        e_eps = ((s / c * r) * post).sum(1)
        return e_x0.reshape(x.shape), e_eps.reshape(x.shape)

    def velocity(self, x: torch.Tensor, sigma: float, classes: Optional[Sequence[int]] = None) -> torch.Tensor:
        """The exact flow-model output v = E[eps - x0 | x_sigma = x], in x's dtype."""
        e_x0, e_eps = self.posterior(x, sigma, classes)
        return (e_eps - e_x0).to(x.dtype)

    def field(self, classes: Optional[Sequence[int]] = None):
        """A velocity callable (x, sigma) -> v for the rf_core solvers, conditioned on a class subset."""
        return lambda x, sigma: self.velocity(x, sigma, classes)

    def sample(self, n: int, generator: torch.Generator, classes: Optional[Sequence[int]] = None) -> torch.Tensor:
        mu, var, w = self._select(classes)
        k = torch.multinomial(w, n, replacement=True, generator=generator)
        z = torch.randn((n, *self.event_shape), generator=generator, dtype=torch.float64)
        return (mu[k] + var[k].sqrt() * z).to(torch.float32)

    def mean_cov(self, classes: Optional[Sequence[int]] = None):
        """Mean (D,) and covariance (D, D) of the data (flattened), float64."""
        mu, var, w = self._select(classes)
        mu, var = mu.reshape(mu.shape[0], -1), var.reshape(var.shape[0], -1)
        mean = (w[:, None] * mu).sum(0)
        d = mu - mean
        cov = torch.diag((w[:, None] * var).sum(0)) + (w[:, None, None] * d[:, :, None] * d[:, None, :]).sum(0)
        return mean, cov
