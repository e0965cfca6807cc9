"""ComfyUI's LATENT conventions: nested latents packed by the guider, and KSampler's seeded noise."""

from __future__ import annotations

import torch

import comfy.utils

from .. import rf_core
from ..rf_core import RFInputError


def parts(samples) -> list[torch.Tensor]:
    """[samples], or a NestedTensor's parts in order."""
    return list(samples.unbind()) if getattr(samples, "is_nested", False) else [samples]


def packed_shapes(model_wrap) -> list | None:
    """The part shapes the guider packed latent_image from; None for one tensor."""
    for group in (getattr(model_wrap, "conds", None) or {}).values():
        for cond in group:
            shapes = getattr(cond.get("model_conds", {}).get("latent_shapes"), "cond", None)
            if shapes is not None and len(shapes) > 1:
                return [tuple(s) for s in shapes]
    return None


def unpack(x: torch.Tensor, shapes: list | None) -> list[torch.Tensor]:
    """The parts of a packed (B, 1, N) tensor; [x] if shapes is None."""
    return [x] if shapes is None else comfy.utils.unpack_latents(x, shapes)


def pack(tensors: list[torch.Tensor]) -> torch.Tensor:
    """Parts as the guider packs them (one tensor stays as it is)."""
    return tensors[0] if len(tensors) == 1 else comfy.utils.pack_latents(tensors)[0]


def _nested(tensors: list[torch.Tensor]):
    import comfy.nested_tensor  # ComfyUI versions without NestedTensor never give one

    return comfy.nested_tensor.NestedTensor(tensors)


def zeros_like(samples):
    """DisableNoise's zero noise, nested like samples."""
    zeros = [torch.zeros(t.shape, dtype=t.dtype, device="cpu") for t in parts(samples)]
    return _nested(zeros) if getattr(samples, "is_nested", False) else zeros[0]


def expand_batch(samples, batch: int):
    """Each part's batch of 1 repeated to `batch` items."""
    out = [t.expand(batch, *t.shape[1:]).contiguous() for t in parts(samples)]
    return _nested(out) if getattr(samples, "is_nested", False) else out[0]


def tile_rungs(latent: dict, rungs: int) -> dict:
    """`rungs` copies of the LATENT's batch, rung-major, per part; noise_mask and batch_index (the source batch's)
    are dropped."""
    samples = latent["samples"]
    out = [rf_core.tile_rungs(t, rungs, t.shape[0]) for t in parts(samples)]
    rest = {k: v for k, v in latent.items() if k not in ("samples", "noise_mask", "batch_index")}
    return {**rest, "samples": _nested(out) if getattr(samples, "is_nested", False) else out[0]}


def check_values(name: str, tensors: list[torch.Tensor]) -> None:
    """Non-empty and finite."""
    for x in tensors:
        if x.numel() == 0:
            raise RFInputError(f"{name} is empty (shape {tuple(x.shape)}): give a batch of 1 or more.")
        if not torch.isfinite(x).all():
            raise RFInputError(f"{name} contains NaN or infinite values: check the node that made it.")


def seed_noise(seed: int, shapes: list, batch_index=None, scale: float = 1.0) -> list[torch.Tensor]:
    """comfy.sample.prepare_noise's draw for these shapes and batch_index, times scale."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return [_draw(generator, tuple(shape), batch_index) * float(scale) for shape in shapes]


def _draw(generator: torch.Generator, shape: tuple, batch_index) -> torch.Tensor:
    if batch_index is None:
        return torch.randn(shape, generator=generator, dtype=torch.float32)
    index = [int(i) for i in batch_index]
    if len(index) != shape[0] or min(index) < 0:
        raise RFInputError(f"the latent's batch_index {index} must list one index >= 0 per image ({shape[0]}): "
                           "take the latent from LatentFromBatch unchanged.")
    draws = [torch.randn((1, *shape[1:]), generator=generator, dtype=torch.float32) for _ in range(max(index) + 1)]
    return torch.cat([draws[i] for i in index], dim=0)
