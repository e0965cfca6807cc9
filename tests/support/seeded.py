"""Seeded draws for the tests: every random tensor comes from its own torch.Generator, never from torch's global
RNG, and global_rng_untouched checks that code under test leaves that RNG alone."""

from __future__ import annotations

import contextlib

import torch


def gen(seed: int) -> torch.Generator:
    """A CPU generator seeded with seed: the one source of randomness the tests use."""
    return torch.Generator(device="cpu").manual_seed(seed)


def randn(shape, seed: int, scale: float = 1.0) -> torch.Tensor:
    """scale * a standard normal draw of shape from gen(seed)."""
    return scale * torch.randn(tuple(shape), generator=gen(seed))


@contextlib.contextmanager
def global_rng_untouched():
    """Asserts torch's global CPU RNG state is the same after the block as before it."""
    before = torch.get_rng_state().clone()
    yield
    after = torch.get_rng_state()
    assert torch.equal(before, after), "an rf_core call consumed or reseeded torch's global RNG"
