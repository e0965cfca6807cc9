"""rf_core.RELIABLE_STEPS (measured by bench/exact_few_steps.py on the exact-model study's five mixtures) holds on
another mixture family too: at each order's threshold the round trip (gamma = eta = 0) errs at most twice as much as
Euler at the paper's 28 steps, and well below the threshold it does not; few_steps_reason says so below it."""

from __future__ import annotations

import pytest

import rf_core as rf
from grids import flux_sigmas
from mixtures import EVENT, rel_err
from seeded import gen

GM_SEED = 61
SOURCES = 64  # a round trip's error varies from source to source: a batch of them, as the bench's 128


@pytest.fixture(scope="module")
def sources(gm):
    return gm.sample(SOURCES, gen(1)).reshape(SOURCES, *EVENT)


def round_trip_error(gm, y0, order: str, steps: int) -> float:
    grid = flux_sigmas(steps)
    x = rf.invert(gm.field(), y0, grid, rf.seeded_noise(3, y0.shape), gamma=0.0, order=order)
    return rel_err(rf.edit(gm.field(), x, y0, grid, eta=0.0, stop_step=1, order=order), y0)


@pytest.mark.parametrize("order, too_few", [("euler", 8), ("midpoint", 3), ("fireflow", 2)])
def test_the_threshold_separates_reliable_from_unreliable_round_trips(gm, sources, order, too_few):
    paper = round_trip_error(gm, sources, "euler", 28)
    at_threshold = round_trip_error(gm, sources, order, rf.RELIABLE_STEPS[order])
    below = round_trip_error(gm, sources, order, too_few)
    assert at_threshold <= 2 * paper < below, (order, at_threshold, paper, below)


def test_few_steps_reason_speaks_below_the_threshold_only():
    assert rf.RELIABLE_STEPS == {"euler": 17, "midpoint": 6, "fireflow": 4}
    for order, need in rf.RELIABLE_STEPS.items():
        assert rf.few_steps_reason(need, order) is None and rf.few_steps_reason(28, order) is None
    reason = rf.few_steps_reason(4, "euler")
    assert reason.startswith("4 steps of order euler invert unreliably: below 17")
    assert "raise steps to 17 or more, or use order fireflow (reliable from 4)" in reason
    assert rf.few_steps_reason(3, "fireflow").endswith("raise steps to 4 or more.")
    with pytest.raises(rf.RFInputError, match="order must be one of"):
        rf.few_steps_reason(4, "heun")
