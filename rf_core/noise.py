"""Explicit, seeded randomness: nothing here touches the global RNG."""

from __future__ import annotations

from typing import Sequence

import torch

from .schemes import NoiseSampler


def seeded_noise(seed: int, shape: Sequence[int], dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One Gaussian sample drawn on the CPU from its own generator, the way ComfyUI draws a batch's noise.

    For a latent of this shape and the same seed this equals ComfyUI's comfy.sample.prepare_noise, so the
    target noise y1 of the inversion is the noise a KSampler with that seed would start from.
    """
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return torch.randn(tuple(shape), generator=generator, dtype=dtype, device="cpu")


def seeded_noise_sampler(seed: int, shape: Sequence[int]) -> NoiseSampler:
    """xi_i for the SDE steps: one fresh CPU generator per run, so a seed reproduces on any device."""
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    shape = tuple(shape)

    def sample(i: int) -> torch.Tensor:
        return torch.randn(shape, generator=generator, dtype=torch.float32, device="cpu")

    return sample
