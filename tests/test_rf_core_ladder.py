"""An edit ladder runs several edits of one grid as one batch: each rung equals the single edit at its setting, and
every model call serves all rungs (the evaluation count is a single edit's)."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT, Counting

GM_SEED, Y0_SEED = 61, 3  # the gm and y0 fixtures' mixture and samples (tests/conftest.py)


@pytest.mark.parametrize("sweep", ["stop_step", "eta"])
@pytest.mark.parametrize("mode, order, kind, start", [("ode", "euler", "constant", 0), ("ode", "fireflow", "constant", 2),
                                                      ("ode", "midpoint", "linear_decrease", 0),
                                                      ("sde", "euler", "power_decay", 1)])
@pytest.mark.parametrize("masked", [False, True])
def test_each_rung_is_the_single_edit_at_its_setting(gm, y0, sweep, mode, order, kind, start, masked):
    grid = flux_sigmas(12)
    x = rf.invert(gm.field(), y0, grid, rf.seeded_noise(3, LATENT), gamma=0.5, start_step=start, order=order)
    settings = dict(eta=0.8, start_step=start, stop_step=start + 8, eta_schedule=kind, mode=mode, order=order)
    plans = rf.ladder_plans(grid, sweep=sweep, rungs=4, **settings)
    mask = None
    if masked:
        mask = torch.zeros(LATENT[0], 1, *LATENT[2:])
        mask[0, ..., :4] = 1.0
        mask[1, ..., 2:] = 1.0
    noise = rf.step_noise(9, LATENT) if mode == "sde" else None
    calls = Counting(gm.field([1]))
    out = rf.run_ladder(calls, x, y0, plans, mask=mask, noise=noise)
    assert out.shape == (4 * LATENT[0], *LATENT[1:])
    single_calls = Counting(gm.field([1]))
    for r, value in enumerate(_values(sweep, settings, 4)):
        one = rf.edit(single_calls, x, y0, grid, mask=mask, noise_sampler=noise, **{**settings, sweep: value})
        torch.testing.assert_close(out[r * LATENT[0]:(r + 1) * LATENT[0]], one, rtol=0, atol=1e-5)
    assert calls.n == single_calls.n // 4  # one batched call per evaluation of a single edit


def _values(sweep, settings, rungs):
    if sweep == "eta":
        return [settings["eta"] * k / rungs for k in range(1, rungs + 1)]
    start = settings["start_step"]
    return [start + round(k * (settings["stop_step"] - start) / rungs) for k in range(1, rungs + 1)]


def test_the_rungs_go_from_the_strongest_edit_to_the_setting_given():
    grid = flux_sigmas(28)
    stops = rf.ladder_plans(grid, sweep="stop_step", rungs=4, eta=0.9, stop_step=8)
    assert [sum(e > 0 for e in p.etas) for p in stops] == [2, 4, 6, 8]
    etas = rf.ladder_plans(grid, sweep="eta", rungs=3, eta=0.9, stop_step=7)
    assert [p.etas[0] for p in etas] == pytest.approx([0.3, 0.6, 0.9])


def test_a_ladder_is_refused_where_it_cannot_have_distinct_rungs():
    grid = flux_sigmas(28)
    with pytest.raises(rf.RFInputError, match="rungs must be at least 2"):
        rf.ladder_plans(grid, sweep="eta", rungs=1)
    with pytest.raises(rf.RFInputError, match=r"rungs \(8\) is more than the stop_steps .* lower rungs"):
        rf.ladder_plans(grid, sweep="stop_step", rungs=8, stop_step=5)
    with pytest.raises(rf.RFInputError, match="sweep must be one of stop_step, eta"):
        rf.ladder_plans(grid, sweep="gamma", rungs=3)


def test_eta_rungs_on_the_inputs_resolution_are_the_single_edits_plans():
    """With resolution 0.01 (the eta input's step) each rung's eta is a value the single edit's widget holds, and
    its plan is exactly the single edit's at that eta, for every schedule."""
    grid = flux_sigmas(28)
    for kind in ("constant", "linear_decrease", "power_decay"):
        ladder = rf.edit_ladder(grid, sweep="eta", rungs=4, eta=0.9, stop_step=7, eta_schedule=kind, resolution=0.01)
        assert ladder.values == (0.23, 0.45, 0.68, 0.9)  # 0.225, 0.45, 0.675, 0.9, halves rounded up
        for value, plan in zip(ladder.values, ladder.plans):
            assert plan == rf.edit_plan(grid, eta=value, stop_step=7, eta_schedule=kind)
    stops = rf.edit_ladder(grid, sweep="stop_step", rungs=3, start_step=1, stop_step=7, resolution=0.01)
    assert stops.values == (3, 5, 7)
    assert [p == rf.edit_plan(grid, start_step=1, stop_step=s) for s, p in zip(stops.values, stops.plans)] == [True] * 3


def test_eta_rungs_that_round_together_or_to_zero_are_refused():
    grid = flux_sigmas(28)
    with pytest.raises(rf.RFInputError, match=r"rungs \(8\) is more than the etas in steps of 0.01 .* raise eta"):
        rf.edit_ladder(grid, sweep="eta", rungs=8, eta=0.05, resolution=0.01)
    for sweep in rf.SWEEPS:
        with pytest.raises(rf.RFInputError, match="eta is 0, so every rung would be the same"):
            rf.edit_ladder(grid, sweep=sweep, rungs=2, eta=0.0)


def test_a_ladder_run_in_two_parts_is_the_ladder_run_whole(gm, y0):
    """tiled: the second part (a second expert's steps) continues from the first part's rung-major state."""
    grid = flux_sigmas(8)
    x = rf.invert(gm.field(), y0, grid, rf.seeded_noise(3, LATENT), gamma=0.5)
    plans = rf.ladder_plans(grid, sweep="stop_step", rungs=3, eta=0.8, stop_step=6)
    whole = rf.run_ladder(gm.field([1]), x, y0, plans)
    part = rf.run_ladder(gm.field([1]), x, y0, plans, steps=(0, 3))
    rest = rf.run_ladder(gm.field([1]), part, y0, plans, steps=(3, 8), tiled=True)
    torch.testing.assert_close(rest, whole, rtol=0, atol=0)
    assert not torch.equal(part, whole)
