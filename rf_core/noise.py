"""Explicit, seeded randomness: nothing here touches the global RNG."""

from __future__ import annotations

from typing import Sequence

import torch

from .checks import RFInputError
from .schemes import NoiseSampler


def seeded_noise(seed: int, shape: Sequence[int], dtype: torch.dtype = torch.float32,
                 batch_index: Sequence[int] | None = None, scale: float = 1.0) -> torch.Tensor:
    """One Gaussian sample drawn on the CPU from its own generator, the way ComfyUI draws a batch's noise, times
    scale: the std of the model's prior noise (ComfyUI's model_sampling.noise_scale, 8 for HiDream-O1, else 1).

    For a latent of this shape and the same seed this equals ComfyUI's comfy.sample.prepare_noise, so the
    target noise y1 of the inversion is the noise a KSampler with that seed would start from. With a batch_index
    (a latent taken from a batch: LatentFromBatch, RepeatLatentBatch) item b gets the batch_index[b]-th draw of
    the seed, each draw one item's worth of noise, as prepare_noise does with its noise_inds.
    """
    return seeded_noise_parts(seed, [shape], dtype, batch_index, scale)[0]


def seeded_noise_parts(seed: int, shapes: Sequence[Sequence[int]], dtype: torch.dtype = torch.float32,
                       batch_index: Sequence[int] | None = None, scale: float = 1.0) -> list[torch.Tensor]:
    """seeded_noise for a latent of several tensors (LTX-2's video and audio): one generator, the parts drawn one
    after the other in their order, each as seeded_noise draws one tensor, as prepare_noise draws a NestedTensor."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return [_scaled(_draw(generator, tuple(shape), dtype, batch_index), scale) for shape in shapes]


def _draw(generator: torch.Generator, shape: tuple, dtype: torch.dtype, batch_index) -> torch.Tensor:
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


def seeded_noise_sampler(seed: int, shape: Sequence[int], scale: float = 1.0) -> NoiseSampler:
    """xi_i for the SDE steps: one fresh CPU generator per run, so a seed reproduces on any device. scale is the std
    of the model's prior noise: with x_sigma = (1 - sigma) x0 + sigma * scale * eps, the SDE of x / scale has unit
    noise and the same drift (it is linear in x, v and the source), so the noise added to x is scale * xi."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    shape = tuple(shape)

    def sample(i: int) -> torch.Tensor:
        return _scaled(torch.randn(shape, generator=generator, dtype=torch.float32, device="cpu"), scale)

    return sample


def _scaled(noise: torch.Tensor, scale: float) -> torch.Tensor:
    return noise if float(scale) == 1.0 else noise * float(scale)
