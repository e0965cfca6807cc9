"""Input checks, each rule once."""

from __future__ import annotations

import math

import torch


class RFInputError(ValueError):
    """An input error saying its fix; `rule` keys callers' advice."""

    def __init__(self, message: str, rule: str | None = None):
        super().__init__(message)
        self.rule = rule


def check_unit_interval(name: str, value: float) -> float:
    value = float(value)
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise RFInputError(f"{name} must be in [0, 1], got {value}. Set {name} between 0 (off) and 1 (full strength).")
    return value


def check_option(name: str, value: str, options) -> str:
    if value not in options:
        raise RFInputError(f"{name} must be one of {', '.join(options)}, got {value!r}.")
    return value


def check_window(name: str, start: int, stop: int, steps: int, start_name: str = "start",
                 stop_name: str = "stop") -> tuple[int, int]:
    start, stop, steps = int(start), int(stop), int(steps)
    if 0 <= start < stop <= steps:
        return start, stop
    if start < 0:
        problem = f"{start_name} ({start}) must be 0 or more: raise {start_name}"
    elif stop > steps:
        problem = f"{stop_name} ({stop}) is beyond steps ({steps}): set {stop_name} to at most {steps}"
    else:
        problem = f"{start_name} ({start}) must be below {stop_name} ({stop}): raise {stop_name} or lower {start_name}"
    raise RFInputError(f"{problem} ({name}: need 0 <= start < stop <= steps).")


def check_steps(sigmas: torch.Tensor) -> torch.Tensor:
    if not isinstance(sigmas, torch.Tensor) or sigmas.ndim != 1:
        raise RFInputError("sigmas must be a 1-D tensor of noise levels.")
    if sigmas.numel() < 2:
        raise RFInputError(f"sigmas needs at least 2 values (1 step), got {sigmas.numel()}: give a grid of 1 or more steps.")
    return sigmas


def check_sigmas(sigmas: torch.Tensor, increasing: bool) -> list[float]:
    """A strictly monotone grid in [0, 1], as floats."""
    s = check_steps(sigmas).detach().to("cpu", torch.float64)
    if not torch.isfinite(s).all() or s.min() < 0 or s.max() > 1:
        raise RFInputError(
            f"sigmas must lie in [0, 1] (1 is noise, 0 the image), got min {s.min().item():.4g}, max "
            f"{s.max().item():.4g}: use a rectified-flow model's schedule."
        )
    d = s[1:] - s[:-1]
    if (d == 0).any():
        i = int((d == 0).nonzero()[0])
        raise RFInputError(
            f"sigmas repeat the noise level {s[i].item():.6g} (steps {i} and {i + 1}): use fewer steps.",
            "sigmas_repeat",
        )
    if increasing and not (d > 0).all():
        raise RFInputError("inversion sigmas must increase strictly from the image (0) towards noise (1). "
                           "Flip the sampling schedule, do not pass it as it is.", "sigmas_direction")
    if not increasing and not (d < 0).all():
        raise RFInputError("sampling sigmas must decrease strictly from noise (1) towards the image (0): "
                           "pass the sampling schedule, not a flipped one.", "sigmas_direction")
    return [float(v) for v in sigmas.detach().cpu()]


def check_latent_pair(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    if a.shape[1:] != b.shape[1:] or b.shape[0] not in (1, a.shape[0]):
        raise RFInputError(
            f"{name_b} has shape {tuple(b.shape)} but {name_a} has {tuple(a.shape)}: they must match, with batch 1 "
            f"or one per {name_a} item."
        )


def check_mask(mask: torch.Tensor, x: torch.Tensor, name: str = "mask") -> None:
    want = (1, *x.shape[2:])
    if mask.ndim != x.ndim or tuple(mask.shape[1:]) != want:
        raise RFInputError(f"{name} of shape {tuple(mask.shape)} does not fit a latent of shape {tuple(x.shape)}: "
                           f"give (1 or {x.shape[0]}, {', '.join(map(str, want))}).")
    if mask.shape[0] not in (1, x.shape[0]):
        raise RFInputError(
            f"{name} has a batch of {mask.shape[0]} but the latent has {x.shape[0]}: give one mask, or one per image."
        )
    if not torch.isfinite(mask).all() or mask.min() < 0 or mask.max() > 1:
        raise RFInputError(f"{name} values must lie in [0, 1] (1 = edit, 0 = keep the source).")
