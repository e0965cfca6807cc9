"""Explicit, seeded randomness: nothing here touches the global RNG."""

from __future__ import annotations

from typing import Sequence

import torch

from .checks import RFInputError
from .schemes import NoiseSampler


def seeded_noise(seed: int, shape: Sequence[int], dtype: torch.dtype = torch.float32,
                 batch_index: Sequence[int] | None = None) -> torch.Tensor:
    """One Gaussian sample drawn on the CPU from its own generator, the way ComfyUI draws a batch's noise.

    For a latent of this shape and the same seed this equals ComfyUI's comfy.sample.prepare_noise, so the
    target noise y1 of the inversion is the noise a KSampler with that seed would start from. With a batch_index
    (a latent taken from a batch: LatentFromBatch, RepeatLatentBatch) item b gets the batch_index[b]-th draw of
    the seed, each draw one item's worth of noise, as prepare_noise does with its noise_inds.
    """
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    shape = tuple(shape)
    if batch_index is None:
        return torch.randn(shape, generator=generator, dtype=dtype, device="cpu")
    index = [int(i) for i in batch_index]
    if len(index) != shape[0] or min(index) < 0:
        raise RFInputError(
            f"the latent's batch_index {index} must list one index of 0 or more per image ({shape[0]} images): "
            "take the latent from LatentFromBatch / RepeatLatentBatch unchanged."
        )
    draws = [torch.randn((1, *shape[1:]), generator=generator, dtype=dtype, device="cpu") for _ in range(max(index) + 1)]
    return torch.cat([draws[i] for i in index], dim=0)


def seeded_noise_sampler(seed: int, shape: Sequence[int]) -> NoiseSampler:
    """xi_i for the SDE steps: one fresh CPU generator per run, so a seed reproduces on any device."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    shape = tuple(shape)

    def sample(i: int) -> torch.Tensor:
        return torch.randn(shape, generator=generator, dtype=torch.float32, device="cpu")

    return sample
