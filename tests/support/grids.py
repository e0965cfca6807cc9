"""Sampling grids for tests and studies: Flux's shifted clock, as ComfyUI's ModelSamplingFlux gives it."""

from __future__ import annotations

import math

import torch


def flux_time_shift(t: torch.Tensor, mu: float) -> torch.Tensor:
    """Flux's shifted schedule sigma(t) = e^mu / (e^mu + (1/t - 1)), with sigma(0) = 0 and sigma(1) = 1."""
    t = t.to(torch.float64)
    out = math.exp(mu) / (math.exp(mu) + (1.0 / t.clamp_min(1e-300) - 1.0))
    return torch.where(t <= 0, torch.zeros_like(t), out)


def flux_sigmas(steps: int, mu: float = 1.15) -> torch.Tensor:
    """The sampling grid sigma_0 = 1 > ... > sigma_N = 0 on Flux's shifted clock (float32)."""
    t = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    return flux_time_shift(t, mu).to(torch.float32)
