"""Input checks for rf_core. Every error says what to change."""

from __future__ import annotations

import math

import torch


class RFInputError(ValueError):
    """A user-facing input problem; the message says how to fix it."""


def check_unit_interval(name: str, value: float) -> float:
    value = float(value)
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise RFInputError(f"{name} must be in [0, 1], got {value}. Set {name} between 0 (off) and 1 (full strength).")
    return value


def check_window(
    name: str, start: int, stop: int, steps: int, start_name: str = "start", stop_name: str = "stop"
) -> tuple[int, int]:
    """A step window [start, stop) inside 0..steps; the error names the input to change."""
    start, stop, steps = int(start), int(stop), int(steps)
    if steps < 1:
        raise RFInputError(f"steps must be at least 1, got {steps}.")
    if 0 <= start < stop <= steps:
        return start, stop
    if start < 0:
        problem = f"{start_name} ({start}) must be 0 or more: raise {start_name}"
    elif stop > steps:
        problem = f"{stop_name} ({stop}) is beyond steps ({steps}): set {stop_name} to at most {steps}"
    else:
        problem = f"{start_name} ({start}) must be below {stop_name} ({stop}): raise {stop_name} or lower {start_name}"
    raise RFInputError(f"{problem} ({name}: need 0 <= start < stop <= steps).")


def check_sigmas(sigmas: torch.Tensor, increasing: bool) -> torch.Tensor:
    """A 1-D sigma grid in [0, 1], strictly monotone in the expected direction."""
    if not isinstance(sigmas, torch.Tensor) or sigmas.ndim != 1:
        raise RFInputError("sigmas must be a 1-D tensor of noise levels (ComfyUI SIGMAS).")
    if sigmas.numel() < 2:
        raise RFInputError(f"sigmas needs at least 2 values (1 step), got {sigmas.numel()}.")
    s = sigmas.detach().to("cpu", torch.float64)
    if not torch.isfinite(s).all() or s.min() < 0 or s.max() > 1:
        raise RFInputError(
            "sigmas must lie in [0, 1] (rectified-flow noise levels: 1 is noise, 0 the image); "
            f"got min {s.min().item():.4g}, max {s.max().item():.4g}. Use the schedule of a flow model (Flux, SD3)."
        )
    d = s[1:] - s[:-1]
    if increasing and not (d > 0).all():
        raise RFInputError(
            "inversion sigmas must increase strictly from the image (0) towards noise (1). "
            "Flip the sampling schedule (RFFlipSigmas), do not pass it as it is."
        )
    if not increasing and not (d < 0).all():
        raise RFInputError(
            "sampling sigmas must decrease strictly from noise (1) towards the image (0); "
            "pass the model's sampling schedule (e.g. BasicScheduler), not a flipped one."
        )
    return sigmas


def check_latent_pair(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """b must broadcast to a: same shape, or batch 1 with the same remaining dims."""
    if a.shape[1:] != b.shape[1:] or b.shape[0] not in (1, a.shape[0]):
        raise RFInputError(
            f"{name_b} has shape {tuple(b.shape)} but {name_a} has {tuple(a.shape)}: they must match "
            f"(batch {a.shape[0]} or 1). Use latents of the same size and model family."
        )


def prepare_mask(mask: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
    """Reshape a spatial mask to broadcast over x's channels (and frames, and batch).

    Accepts (H, W), (B or 1, H, W) or an already broadcastable (B or 1, 1, [1,] H, W) mask whose H, W equal
    the latent's last two dims. Values must lie in [0, 1]: 1 = edit here, 0 = keep the source.
    """
    if mask is None:
        return None
    hw = tuple(x.shape[-2:])
    if tuple(mask.shape[-2:]) != hw:
        raise RFInputError(
            f"mask is {tuple(mask.shape[-2:])} (H, W) but the latent is {hw}: resize the mask to the latent's "
            "spatial size (the nodes do this from an image-sized MASK)."
        )
    m = mask.detach().to(device=x.device, dtype=torch.float32)
    if m.ndim == 2:
        m = m[None]
    if m.ndim == 3:
        m = m.reshape(m.shape[0], *([1] * (x.ndim - 3)), *hw)
    if m.ndim != x.ndim or any(d != 1 for d in m.shape[1:-2]) or m.shape[0] not in (1, x.shape[0]):
        raise RFInputError(
            f"mask of shape {tuple(mask.shape)} does not fit a latent of shape {tuple(x.shape)}: give one mask "
            f"(H, W) or one per batch item ({x.shape[0]}, H, W)."
        )
    if m.min() < 0 or m.max() > 1 or not torch.isfinite(m).all():
        raise RFInputError("mask values must lie in [0, 1] (1 = edit, 0 = keep the source).")
    return m
