"""Models of two experts (Wan 2.2 A14B): the high-noise expert serves the steps that start at sigma >= boundary,
the low-noise one the others. rf_core.expert_steps says which steps of a grid one expert serves, and running the
inversion or the edit as two segments of one grid gives the single run's result bit for bit, so two sampler runs
(one per expert, as ComfyUI's Wan 2.2 templates run two KSamplerAdvanced) are one RF-Inversion."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from rf_helpers import LATENT, mixture_fixtures
from rf_helpers import one_thread_per_module  # noqa: F401 (autouse fixture)


gm, y0 = mixture_fixtures(31, 2)


def test_expert_steps_split_a_grid_at_the_boundary():
    grid = torch.tensor([1.0, 0.95, 0.9, 0.875, 0.6, 0.2, 0.0])
    assert rf.expert_steps(grid, 0.875, "high_noise") == (0, 4)  # steps from 1, .95, .9, .875 (>= boundary)
    assert rf.expert_steps(grid, 0.875, "low_noise") == (4, 6)
    assert rf.expert_steps(grid, 0.875, "both") == (0, 6)
    flipped = rf.flip_sigmas(grid)  # the inversion walks it the other way: low-noise steps first
    assert rf.expert_steps(flipped, 0.875, "low_noise") == (0, 3)  # steps from 0, .2, .6
    assert rf.expert_steps(flipped, 0.875, "high_noise") == (3, 6)
    assert rf.expert_steps(grid, 1.5, "high_noise") == (0, 0) and rf.expert_steps(grid, 1.5, "low_noise") == (0, 6)
    with pytest.raises(rf.RFInputError, match="expert must be one of both, high_noise, low_noise"):
        rf.expert_steps(grid, 0.875, "middle")


@pytest.mark.parametrize("order", ["euler", "midpoint"])  # fireflow reuses a velocity across steps: see below
def test_the_inversion_in_two_segments_is_the_single_run(gm, y0, order):
    grid = rf.flux_sigmas(10)
    walk = rf.inversion_sigmas(grid, 2)
    y1 = rf.seeded_noise(3, LATENT)
    whole = rf.controlled_forward_ode(gm.field(), y0, walk, y1, 0.5, order=order)
    a, k = rf.expert_steps(walk, 0.875, "low_noise")
    k2, b = rf.expert_steps(walk, 0.875, "high_noise")
    assert a == 0 and k == k2 and 0 < k < b == len(walk) - 1
    low = rf.controlled_forward_ode(gm.field(), y0, walk[: k + 1], y1, 0.5, order=order)
    both = rf.controlled_forward_ode(gm.field(), low, walk[k:], y1, 0.5, order=order)
    assert torch.equal(both, whole)


def test_sigma1_applies_to_the_step_from_zero_only(gm, y0):
    """A second segment starts above sigma = 0: its first step reads the model at its own sigma."""
    seen = []

    def v(x, s):
        seen.append(s)
        return gm.velocity(x, s)

    walk = rf.flip_sigmas(rf.flux_sigmas(6))
    rf.controlled_forward_ode(v, y0, walk[2:], y0, 0.0, first_velocity="sigma1")
    assert seen[0] == float(walk[2])


@pytest.mark.parametrize("mode, kind, start", [("ode", "linear_decrease", 0), ("sde", "power_decay", 0),
                                               ("sde", "constant", 2), ("ode", "constant", 5)])
def test_the_edit_in_two_segments_is_the_single_run(gm, y0, mode, kind, start):
    """The eta schedule, the start step and the SDE's noise (the draws of the first segment's steps are skipped
    in the second) follow the full grid."""
    grid = rf.flux_sigmas(10)
    x = rf.invert(gm.field(), y0, grid, rf.seeded_noise(3, LATENT), gamma=0.5, start_step=start)
    kw = dict(eta=0.8, start_step=start, stop_step=7, eta_kind=kind, mode=mode)

    def noise():
        return rf.seeded_noise_sampler(11, LATENT) if mode == "sde" else None

    whole = rf.edit(gm.field([0]), x, y0, grid, noise_sampler=noise(), **kw)
    high = rf.expert_steps(grid, 0.875, "high_noise")
    low = rf.expert_steps(grid, 0.875, "low_noise")
    first = rf.edit(gm.field([0]), x, y0, grid, noise_sampler=noise(), segment=high, **kw)
    second = rf.edit(gm.field([0]), first, y0, grid, noise_sampler=noise(), segment=low, **kw)
    assert torch.equal(second, whole)
    if start >= high[1]:  # the edit starts below the boundary: the high-noise segment has nothing to do
        assert torch.equal(first, x)


def test_a_segment_records_the_grid_step_indices(gm, y0):
    grid = rf.flux_sigmas(8)
    seen = []
    low = rf.expert_steps(grid, 0.875, "low_noise")
    rf.edit(gm.field(), y0, y0, grid, eta=0.5, stop_step=3, segment=low, callback=lambda d: seen.append(d["i"]))
    assert seen == list(range(low[1] - low[0]))  # indices within the run: the node adds the segment's first step
