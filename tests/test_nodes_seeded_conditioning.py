"""Conditioning that reads the run's seed: HunyuanVideo 1.5 super-resolution noise-augments its low-resolution
latent with a generator seeded by the sampler's seed. The edit runs the model with the inversion's seed (its record),
so both passes see the same conditioning whatever the edit's own seed (which only draws the SDE's noise)."""

from __future__ import annotations

import pytest
import torch

import family_runs

pytestmark = pytest.mark.comfyui

SR = "HunyuanVideo 1.5 super-resolution"


@pytest.fixture(scope="module")
def sr(zoo):
    family = family_runs.present(zoo, SR)
    return family, family.build(seed=1)


def edit(runner, sr, inversion_seed: int, edit_seed: int):
    family, model = sr
    latent = family.latent(10)
    inverted, edited = family_runs.run_pair(runner, model, family, latent,
                                            dict(steps=4, gamma=0.0, seed=inversion_seed),
                                            dict(steps=4, stop_step=1, eta=0.0, seed=edit_seed))
    return inverted["samples"], edited["samples"]


def test_the_models_conditioning_reads_the_seed(runner, sr):
    """Why it matters: the same inversion at another seed sees another noise-augmented concat (gamma 0: the seed
    draws no target noise here)."""
    a, _ = edit(runner, sr, 3, 3)
    b, _ = edit(runner, sr, 4, 4)
    assert (a - b).abs().mean() > 1e-4


def test_the_edit_runs_the_model_with_the_inversions_seed(runner, sr):
    _, same = edit(runner, sr, 3, 3)
    _, other = edit(runner, sr, 3, 7)
    assert torch.equal(same, other)
