"""Per-step controller strengths (eta_i of Algorithm 2, gamma_i of Algorithm 1) and sigma grids."""

from __future__ import annotations

import math

import torch

from .checks import RFInputError, check_option, check_unit_interval, check_window

ETA_SCHEDULES = ("constant", "linear_decrease", "power_decay")
EXPERTS = ("both", "high_noise", "low_noise")


def eta_schedule(
    eta: float, steps: int, start: int, stop: int, kind: str = "constant", power: float = 2.0
) -> list[float]:
    """eta_i for steps i = 0..steps-1: active on [start, stop), 0 outside.

    Inside the window, with k = i - start and L = stop - start:
      constant         eta
      linear_decrease  eta * (1 - k / L)
      power_decay      eta * (1 - k / L) ** power   (the official code's decaying eta, on the window)
    The first active step always gets the full eta, and a one-step window never divides by zero.
    """
    eta = check_unit_interval("eta", eta)
    start, stop = check_window("eta step window", start, stop, steps, "start", "stop")
    check_option("eta_schedule", kind, ETA_SCHEDULES)
    if kind == "power_decay" and not (power > 0 and math.isfinite(power)):
        raise RFInputError(f"power for power_decay must be a positive number, got {power}.")
    out = [0.0] * steps
    length = stop - start
    for i in range(start, stop):
        frac = 1.0 - (i - start) / length
        if kind == "constant":
            out[i] = eta
        elif kind == "linear_decrease":
            out[i] = eta * frac
        else:
            out[i] = eta * frac**power
    return out


def gamma_schedule(gamma: float, steps: int, start: int = 0, stop: int | None = None) -> list[float]:
    """gamma_i for the inversion's steps i = 0..steps-1: gamma on [start, stop), 0 outside."""
    gamma = check_unit_interval("gamma", gamma)
    stop = steps if stop is None else stop
    start, stop = check_window("gamma step window", start, stop, steps)
    return [gamma if start <= i < stop else 0.0 for i in range(steps)]


def flux_time_shift(t: torch.Tensor, mu: float) -> torch.Tensor:
    """Flux's shifted schedule sigma(t) = e^mu / (e^mu + (1/t - 1)), with sigma(0) = 0 and sigma(1) = 1."""
    t = t.to(torch.float64)
    out = math.exp(mu) / (math.exp(mu) + (1.0 / t.clamp_min(1e-300) - 1.0))
    return torch.where(t <= 0, torch.zeros_like(t), out)


def flux_sigmas(steps: int, mu: float = 1.15) -> torch.Tensor:
    """The sampling grid sigma_0 = 1 > ... > sigma_N = 0 on Flux's shifted clock (float32)."""
    if steps < 1:
        raise RFInputError(f"steps must be at least 1, got {steps}.")
    t = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)
    return flux_time_shift(t, mu).to(torch.float32)


def flip_sigmas(sigmas: torch.Tensor) -> torch.Tensor:
    """The same grid walked the other way (image -> noise), exactly: no value is altered."""
    return torch.flip(sigmas, dims=(0,))


def expert_steps(sigmas: torch.Tensor, boundary: float, expert: str) -> tuple[int, int]:
    """The steps [a, b) of a grid (either direction) one expert of a two-expert model serves (Wan 2.2 A14B): a step
    is the high-noise expert's when it starts at sigma >= boundary, the low-noise expert's otherwise; "both" is
    every step. The high-noise steps are the head of a sampling grid and the tail of an inversion grid."""
    check_option("expert", expert, EXPERTS)
    starts = [float(s) for s in sigmas[:-1]]
    n = len(starts)
    if expert == "both":
        return 0, n
    high = [i for i, s in enumerate(starts) if s >= float(boundary)]
    if not high:
        return (0, 0) if expert == "high_noise" else (0, n)
    a, b = high[0], high[-1] + 1  # contiguous on a monotone grid: its head (sampling) or its tail (inversion)
    if expert == "high_noise":
        return a, b
    return (b, n) if a == 0 else (0, a)
