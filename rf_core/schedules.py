"""Per-step strengths: eta_i (Algorithm 2), gamma_i (Algorithm 1)."""

from __future__ import annotations

import math

import torch

from .checks import RFInputError, check_option, check_unit_interval, check_window

ETA_SCHEDULES = ("constant", "linear_decrease", "power_decay", "linear_increase")  # also gamma's
EXPERTS = ("both", "high_noise", "low_noise")


def eta_schedule(eta: float, steps: int, start: int, stop: int, kind: str = "constant",
                 power: float = 2.0) -> list[float]:
    """eta_i on [start, stop), k = i - start, L = stop - start: eta times 1, 1 - k/L, (1 - k/L)^power, (k+1)/L."""
    eta = check_unit_interval("eta", eta)
    start, stop = check_window("eta step window", start, stop, steps)
    check_option("eta_schedule", kind, ETA_SCHEDULES)
    if kind == "power_decay" and not (power > 0 and math.isfinite(power)):
        raise RFInputError(f"power for power_decay must be a positive number, got {power}.")
    return window_values(eta, steps, start, stop, kind, power)


def window_values(value: float, steps: int, start: int, stop: int, kind: str = "constant",
                  power: float = 2.0) -> list[float]:
    out = [0.0] * steps
    for i in range(start, stop):
        out[i] = value * _trend(kind, i - start, stop - start, power)
    return out


def _trend(kind: str, k: int, length: int, power: float) -> float:
    frac = 1.0 - k / length
    return {"constant": 1.0, "linear_decrease": frac, "power_decay": frac**power,
            "linear_increase": (k + 1) / length}[kind]


def gamma_schedule(gamma: float, steps: int, start: int = 0, stop: int | None = None,
                   kind: str = "constant") -> list[float]:
    """gamma_i per inversion step from the image, shaped as eta's on [start, stop), 0 outside."""
    gamma = check_unit_interval("gamma", gamma)
    start, stop = check_window("gamma acts on the inversion's steps [gamma_start, gamma_stop)", start,
                               steps if stop is None else stop, steps, "gamma_start", "gamma_stop")
    check_option("gamma_schedule", kind, ETA_SCHEDULES)
    return window_values(gamma, steps, start, stop, kind)


def flip_sigmas(sigmas: torch.Tensor) -> torch.Tensor:
    return torch.flip(sigmas, dims=(0,))


def expert_steps(sigmas: torch.Tensor, boundary: float, expert: str) -> tuple[int, int]:
    """Steps [a, b) of an expert: high_noise where sigma >= boundary, low_noise the rest."""
    check_option("expert", expert, EXPERTS)
    starts = [float(s) for s in sigmas[:-1]]
    n = len(starts)
    if expert == "both":
        return 0, n
    high = [i for i, s in enumerate(starts) if s >= float(boundary)]
    if not high:
        return (0, 0) if expert == "high_noise" else (0, n)
    a, b = high[0], high[-1] + 1  # head or tail of a monotone grid
    if expert == "high_noise":
        return a, b
    return (b, n) if a == 0 else (0, a)
