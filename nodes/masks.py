"""ComfyUI's MASK layouts (images, video frames, audio rows) as rf_core's edit mask, resized as ComfyUI does."""

from __future__ import annotations

import torch

from ..rf_core import RFInputError, check_mask
from .latents import pack

_KINDS = {5: "(H, W), (frames, H, W) or (B, 1, frames, H, W)", 3: "(L,), (1, L) or (B, 1, L), one row over time,"}


def _row_layout(m: torch.Tensor) -> torch.Tensor | None:
    m = m.reshape(1, 1, -1) if m.ndim == 1 else (m[None] if m.ndim == 2 else m)
    if m.ndim > 4 or any(d != 1 for d in m.shape[1:-1]):
        return None
    return m.reshape(m.shape[0], 1, m.shape[-1])


def _layout(m: torch.Tensor, x_ndim: int) -> torch.Tensor | None:
    """The mask as (Bm, 1, *spatial), or None if its layout does not fit."""
    if x_ndim == 3:
        return _row_layout(m)
    if m.ndim < 2 or m.ndim > x_ndim or (m.ndim in (4, 5) and m.shape[1] != 1):
        return None
    if x_ndim == 4:  # a MASK's leading dim is images
        return m.reshape(-1, 1, *m.shape[-2:])
    if x_ndim == 5 and m.ndim < 5:  # a MASK's leading dim is frames (ComfyUI's video noise_mask)
        return m.reshape(1, 1, -1, *m.shape[-2:])
    return m if x_ndim == 5 else None


def latent_mask(name: str, mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """One MASK at x's size; refuses an empty one (it would return the source unchanged)."""
    m = mask.detach().to(device=x.device, dtype=torch.float32)
    m = _layout(m, x.ndim) if m.numel() > 0 else None
    if m is None:
        raise RFInputError(
            f"{name} of shape {tuple(mask.shape)} does not fit a latent of shape {tuple(x.shape)}: give a MASK "
            f"{_KINDS.get(x.ndim, '(H, W), (B, H, W) or (B, 1, H, W)')}, one for all or one per image ({x.shape[0]})."
        )
    check_mask(m, torch.empty((x.shape[0], 1, *m.shape[2:]), device="meta"), name)  # batch and values, unresized
    spatial = tuple(x.shape[2:])
    if tuple(m.shape[2:]) != spatial:
        m = torch.nn.functional.interpolate(m, size=spatial, mode={1: "linear", 2: "bilinear", 3: "trilinear"}[len(spatial)])
    if not (mask > 0).any():
        raise RFInputError(f"{name} is empty (all 0), so nothing would be edited: paint the region in the Mask "
                           "Editor, or disconnect the mask to edit everywhere.")
    if not (m > 0).any():
        raise RFInputError(f"{name}'s painted region is smaller than one latent pixel, so nothing would be edited: "
                           "paint a larger region.")
    return m


def edit_mask(masks: dict, x: torch.Tensor) -> torch.Tensor | None:
    """The minimum of the given masks (name -> MASK or None); None if none."""
    found = [latent_mask(name, m, x) for name, m in masks.items() if m is not None]
    if not found:
        return None
    out = found[0]
    for m in found[1:]:
        out = torch.minimum(out, m)
    return out


def packed(mask: torch.Tensor | None, x_parts: list[torch.Tensor], shapes: list | None) -> torch.Tensor | None:
    """A packed latent's (LTX-2) mask: on the first part, ones on the rest."""
    if mask is None or shapes is None:
        return mask
    first = x_parts[0]
    rest = [torch.ones((first.shape[0], *s[1:]), device=first.device) for s in shapes[1:]]
    return pack([mask.to(first.device).expand(first.shape[0], *first.shape[1:]), *rest])
