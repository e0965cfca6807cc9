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


def check_sigma_steps(sigmas: torch.Tensor) -> torch.Tensor:
    """A schedule of at least one step: a 1-D tensor of 2 or more noise levels."""
    if not isinstance(sigmas, torch.Tensor) or sigmas.ndim != 1:
        raise RFInputError("sigmas must be a 1-D tensor of noise levels (ComfyUI SIGMAS).")
    if sigmas.numel() < 2:
        raise RFInputError(
            f"sigmas needs at least 2 values (1 step), got {sigmas.numel()}: connect a schedule of 1 or more "
            "steps (e.g. BasicScheduler)."
        )
    return sigmas


def check_sigmas(sigmas: torch.Tensor, increasing: bool) -> torch.Tensor:
    """A 1-D sigma grid in [0, 1], strictly monotone in the expected direction."""
    check_sigma_steps(sigmas)
    s = sigmas.detach().to("cpu", torch.float64)
    if not torch.isfinite(s).all() or s.min() < 0 or s.max() > 1:
        raise RFInputError(
            "sigmas must lie in [0, 1] (rectified-flow noise levels: 1 is noise, 0 the image); "
            f"got min {s.min().item():.4g}, max {s.max().item():.4g}. Use the schedule of a flow model (Flux, SD3)."
        )
    d = s[1:] - s[:-1]
    if (d == 0).any():
        i = int((d == 0).nonzero()[0])
        raise RFInputError(
            f"sigmas repeat the noise level {s[i].item():.6g} (steps {i} and {i + 1}): the schedule has more steps "
            "than its model has noise levels (a 'simple' schedule then repeats values). Use fewer steps."
        )
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


def check_option(name: str, value: str, options) -> str:
    """value is one of the named options (a combo input); the error lists them."""
    if value not in options:
        raise RFInputError(f"{name} must be one of {', '.join(options)}, got {value!r}.")
    return value


def check_latent_values(name: str, x: torch.Tensor) -> None:
    """A latent batch with at least one item and finite values (a NaN or inf would silently spread everywhere)."""
    if x.numel() == 0:
        raise RFInputError(
            f"{name} is empty (shape {tuple(x.shape)}): give a latent with at least one image (batch size 1 or more)."
        )
    if not torch.isfinite(x).all():
        raise RFInputError(
            f"{name} contains NaN or infinite values: encode the image again (VAEEncode) or check the node that "
            f"made {name}."
        )


def check_latent_pair(name_a: str, a: torch.Tensor, name_b: str, b: torch.Tensor) -> None:
    """b must broadcast to a: same shape, or batch 1 with the same remaining dims."""
    if a.shape[1:] != b.shape[1:] or b.shape[0] not in (1, a.shape[0]):
        raise RFInputError(
            f"{name_b} has shape {tuple(b.shape)} but {name_a} has {tuple(a.shape)}: they must match (batch "
            f"{'1' if a.shape[0] == 1 else f'{a.shape[0]} or 1'}). Give one {name_b}, or one per {name_a} item, of "
            "the same size and model family."
        )


def _row_layout(m: torch.Tensor) -> torch.Tensor | None:
    """A mask over time for a 1-D latent: (L,), (1, L), (Bm, 1, L) or SetLatentNoiseMask's (Bm, 1, 1, L) as
    (Bm, 1, L), the layout ComfyUI's reshape_mask resizes for 1-D latents; None if it has more than one row."""
    m = m.reshape(1, 1, -1) if m.ndim == 1 else (m[None] if m.ndim == 2 else m)
    if m.ndim > 4 or any(d != 1 for d in m.shape[1:-1]):
        return None
    return m.reshape(m.shape[0], 1, m.shape[-1])


def _mask_layout(m: torch.Tensor, x_ndim: int) -> torch.Tensor | None:
    """ComfyUI's mask layout: (Bm, 1, H, W) for image latents, (Bm, 1, F, H, W) for video latents, (Bm, 1, L) for
    1-D (audio) latents; None if none."""
    if x_ndim == 3:
        return _row_layout(m)
    if m.ndim < 2 or m.ndim > x_ndim or (m.ndim == 4 and m.shape[1] != 1) or (m.ndim == 5 and m.shape[1] != 1):
        return None
    if x_ndim == 4:  # a MASK's leading dim is images
        return m.reshape(-1, 1, *m.shape[-2:])
    if x_ndim == 5 and m.ndim < 5:  # a MASK's leading dim is frames (ComfyUI's video noise_mask)
        return m.reshape(1, 1, -1, *m.shape[-2:])
    return m if x_ndim == 5 else None


def prepare_mask(mask: torch.Tensor | None, x: torch.Tensor, name: str = "mask") -> torch.Tensor | None:
    """The one mask normaliser: any mask that broadcasts to (B, 1, *spatial) of x in ComfyUI's convention.

    For an image latent (B, C, H, W) the mask is (H, W), (Bm, H, W) or (Bm, 1, H, W): its batch is images. For a
    video latent (B, C, T, H, W) a mask of up to 4 dims ((H, W), (F, H, W), (F, 1, H, W)) is frames, and a 5-D one
    is (Bm, 1, F, H, W). For a 1-D latent (B, C, L) (audio) it is one row over time: (L,), (1, L), (Bm, 1, L) or
    (Bm, 1, 1, L). Any size is resized to the latent's (linear / bilinear / trilinear, as ComfyUI resizes a
    noise_mask); the batch Bm must be 1 or B. Values must lie in [0, 1]: 1 = edit here, 0 = keep the source.
    Returns a float32 (Bm, 1, *spatial) tensor on x's device.
    """
    if mask is None:
        return None
    spatial = tuple(x.shape[2:])
    m = mask.detach().to(device=x.device, dtype=torch.float32)
    m = _mask_layout(m, x.ndim) if m.numel() > 0 else None
    if m is None:
        kind = {5: "(H, W), (frames, H, W) or (B, 1, frames, H, W)",
                3: "(L,), (1, L) or (B, 1, L), one row over time,"}.get(x.ndim, "(H, W), (B, H, W) or (B, 1, H, W)")
        raise RFInputError(
            f"{name} of shape {tuple(mask.shape)} does not fit a latent of shape {tuple(x.shape)}: give a MASK "
            f"{kind}, one for all or one per image ({x.shape[0]})."
        )
    if m.shape[0] not in (1, x.shape[0]):
        raise RFInputError(
            f"{name} has a batch of {m.shape[0]} but the latent has {x.shape[0]}: give one mask, or one per image."
        )
    if not torch.isfinite(m).all() or m.min() < 0 or m.max() > 1:
        raise RFInputError(f"{name} values must lie in [0, 1] (1 = edit, 0 = keep the source).")
    if tuple(m.shape[2:]) != spatial:
        mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[len(spatial)]
        m = torch.nn.functional.interpolate(m, size=spatial, mode=mode)
    return m
