"""Seeded randomness on CPU generators, never the global RNG."""

from __future__ import annotations

import hashlib
import struct
from typing import Callable, Sequence

import torch

NoiseSampler = Callable[[float], torch.Tensor]  # the noise of the step from sigma


def seeded_noise(seed: int, shape: Sequence[int], scale: float = 1.0) -> torch.Tensor:
    generator = torch.Generator(device="cpu").manual_seed(int(seed))
    return _scaled(torch.randn(tuple(shape), generator=generator, dtype=torch.float32), scale)


def step_noise(seed: int, shape: Sequence[int], scale: float = 1.0) -> NoiseSampler:
    """xi per step, a pure function of (seed, sigma)."""
    shape = tuple(shape)

    def sample(sigma: float) -> torch.Tensor:
        key = hashlib.blake2b(struct.pack("<Qd", int(seed), float(sigma)), digest_size=8).digest()
        generator = torch.Generator(device="cpu").manual_seed(int.from_bytes(key, "little"))
        return _scaled(torch.randn(shape, generator=generator, dtype=torch.float32), scale)

    return sample


def _scaled(noise: torch.Tensor, scale: float) -> torch.Tensor:
    return noise if float(scale) == 1.0 else noise * float(scale)
