"""Models of two experts (Wan 2.2 A14B): the high-noise expert serves the steps that start at sigma >= boundary,
the low-noise one the others. rf_core.expert_steps says which steps of a grid one expert serves, and running a
plan's steps in two parts gives the single run's result bit for bit (the SDE noise is keyed by step), so two
sampler runs (one per expert, as ComfyUI's Wan 2.2 templates run two KSamplerAdvanced) are one RF-Inversion."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT

GM_SEED, Y0_SEED = 31, 2  # the gm and y0 fixtures' mixture and samples (tests/conftest.py)


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
def test_the_inversion_in_two_parts_is_the_single_run(gm, y0, order):
    grid = flux_sigmas(10)
    plan = rf.inversion_plan(grid, gamma=0.5, start_step=2, order=order)
    y1 = rf.seeded_noise(3, LATENT)
    whole = rf.run_inversion(gm.field(), y0, y1, plan)
    a, k = rf.expert_steps(plan.sigmas, 0.875, "low_noise")
    k2, b = rf.expert_steps(plan.sigmas, 0.875, "high_noise")
    assert a == 0 and k == k2 and 0 < k < b == plan.steps
    low = rf.run_inversion(gm.field(), y0, y1, plan, steps=(a, k))
    both = rf.run_inversion(gm.field(), low, y1, plan, steps=(k, b))
    assert torch.equal(both, whole)


def test_sigma1_applies_to_the_step_from_zero_only(gm, y0):
    """A second part starts above sigma = 0: its first step reads the model at its own sigma."""
    seen = []

    def v(x, s):
        seen.append(s)
        return gm.velocity(x, s)

    plan = rf.inversion_plan(flux_sigmas(6), gamma=0.0, x0_network=True)
    rf.run_inversion(v, y0, y0, plan, steps=(2, plan.steps))
    assert seen[0] == plan.sigmas[2]


@pytest.mark.parametrize("mode, kind, start", [("ode", "linear_decrease", 0), ("sde", "power_decay", 0),
                                               ("sde", "constant", 2), ("ode", "constant", 5)])
def test_the_edit_in_two_parts_is_the_single_run(gm, y0, mode, kind, start):
    """The eta schedule, the start step and the SDE's noise (keyed by step) follow the full grid."""
    grid = flux_sigmas(10)
    x = rf.invert(gm.field(), y0, grid, rf.seeded_noise(3, LATENT), gamma=0.5, start_step=start)
    plan = rf.edit_plan(grid, eta=0.8, start_step=start, stop_step=7, eta_schedule=kind, mode=mode)
    noise = rf.step_noise(11, LATENT) if mode == "sde" else None
    whole = rf.run_edit(gm.field([0]), x, y0, plan, noise=noise)
    high = rf.expert_steps(plan.sigmas, 0.875, "high_noise")
    low = rf.expert_steps(plan.sigmas, 0.875, "low_noise")
    first = rf.run_edit(gm.field([0]), x, y0, plan, noise=noise, steps=(max(high[0], start), max(high[1], start)))
    second = rf.run_edit(gm.field([0]), first, y0, plan, noise=noise, steps=(max(low[0], start), low[1]))
    assert torch.equal(second, whole)
    if start >= high[1]:  # the edit starts below the boundary: the high-noise part has nothing to do
        assert torch.equal(first, x)


def test_a_part_reports_the_grid_step_indices(gm, y0):
    plan = rf.edit_plan(flux_sigmas(8), eta=0.5, stop_step=3)
    seen = []
    low = rf.expert_steps(plan.sigmas, 0.875, "low_noise")
    rf.run_edit(gm.field(), y0, y0, plan, steps=low, callback=lambda d: seen.append(d["i"]))
    assert seen == list(range(*low))  # the grid's own step indices
