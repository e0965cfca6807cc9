"""A LATENT's samples in the forms the nodes meet: one tensor, or several (a NestedTensor: LTX-2's video and audio
latents, from LTXVConcatAVLatent), which CFGGuider.sample packs into one (B, 1, N) tensor for the Sampler (ComfyUI's
comfy.utils.pack_latents, each part flattened per item, in order) and unpacks again after. The first part is the
one the model's latent_format describes (LTX-2: the video); masks apply to it."""

from __future__ import annotations

import torch

import comfy.utils


def parts(samples) -> list[torch.Tensor]:
    """The tensors of a LATENT's samples: [samples], or a NestedTensor's parts in order."""
    return list(samples.unbind()) if getattr(samples, "is_nested", False) else [samples]


def packed_shapes(model_wrap) -> list | None:
    """The part shapes the guider packed latent_image from, as the model's conditioning carries them for
    _apply_model to unpack (LTX-2's latent_shapes); None for a latent of one tensor."""
    for group in (getattr(model_wrap, "conds", None) or {}).values():
        for cond in group:
            shapes = getattr(cond.get("model_conds", {}).get("latent_shapes"), "cond", None)
            if shapes is not None and len(shapes) > 1:
                return [tuple(s) for s in shapes]
    return None


def unpack(x: torch.Tensor, shapes: list | None) -> list[torch.Tensor]:
    """The parts of a packed (B, 1, N) tensor; [x] for a plain one (shapes None)."""
    return [x] if shapes is None else comfy.utils.unpack_latents(x, shapes)


def pack(tensors: list[torch.Tensor]) -> torch.Tensor:
    """Parts as the guider packs them (one tensor stays as it is)."""
    return tensors[0] if len(tensors) == 1 else comfy.utils.pack_latents(tensors)[0]


def zeros_like(samples):
    """DisableNoise's zero noise for samples (a NestedTensor of zeros for a NestedTensor)."""
    if not getattr(samples, "is_nested", False):
        return torch.zeros(samples.shape, dtype=samples.dtype, layout=samples.layout, device="cpu")
    import comfy.nested_tensor

    return comfy.nested_tensor.NestedTensor([torch.zeros(t.shape, dtype=t.dtype, device="cpu") for t in parts(samples)])


def expand_batch(samples, batch: int):
    """samples with batch 1 repeated to `batch` items (each part of a NestedTensor)."""
    if not getattr(samples, "is_nested", False):
        return samples.expand(batch, *samples.shape[1:]).contiguous()
    import comfy.nested_tensor

    return comfy.nested_tensor.NestedTensor([t.expand(batch, *t.shape[1:]).contiguous() for t in parts(samples)])
