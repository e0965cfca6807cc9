"""The levers beyond the paper (rf_core/levers.py), on exact Gaussian-mixture velocities: alignment retraces the
inversion to float precision, eta 1 still returns the source and masks still keep the outside; none costs a model
evaluation; the trace records what they read."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT, Counting, x0_network

GM_SEED, Y0_SEED = 71, 4  # the gm and y0 fixtures' mixture and samples (tests/conftest.py)


def inverted(velocity, y0, steps=10, gamma=0.5, start_step=0, x0=False):
    """(the inversion's state, its trace) on a Flux grid."""
    trace = rf.InversionTrace(())
    z = rf.invert(velocity, y0, flux_sigmas(steps), rf.seeded_noise(5, LATENT), gamma=gamma, start_step=start_step,
                  x0_network=x0, trace=trace)
    return z, trace


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("start_step", [0, 3])
def test_alignment_retraces_the_inversion_to_float_precision(gm, y0, gamma, start_step):
    """Same prompt both ways, eta 0: the aligned edit lands on the source within float32 rounding, where the plain
    Euler round trip is off by its discretisation error."""
    z, trace = inverted(gm.field(), y0, gamma=gamma, start_step=start_step)
    kw = dict(eta=0.0, start_step=start_step, stop_step=start_step + 1)
    aligned = rf.edit(gm.field(), z, y0, flux_sigmas(10), align=True, trace=trace, **kw)
    tol = 64 * torch.finfo(torch.float32).eps * float(y0.abs().max())
    assert (aligned - y0).abs().max().item() <= tol
    if gamma == 0.0:
        plain = rf.edit(gm.field(), z, y0, flux_sigmas(10), **kw)
        assert (plain - y0).abs().max().item() > 100 * tol


@pytest.mark.parametrize("flagged", [True, False])
def test_alignment_retraces_an_x0_network_read_at_sigma_1(gm, y0, flagged):
    """Flagged as x0 or found not finite at 0 by the walk: the trace records the read at sigma_1 either way."""
    net = x0_network(gm, error=0.05)
    z, trace = inverted(net, y0, gamma=0.5, x0=flagged)
    assert trace.reads[0] == trace.sigmas[1]
    out = rf.edit(net, z, y0, flux_sigmas(10), eta=0.0, stop_step=1, align=True, trace=trace)
    assert (out - y0).abs().max().item() < 1e-4


def test_aligned_eta_one_returns_the_source_and_a_mask_keeps_the_outside(gm, y0):
    z, trace = inverted(gm.field(), y0)
    grid = flux_sigmas(10)
    full = rf.edit(gm.field([1]), z, y0, grid, eta=1.0, stop_step=10, align=True, trace=trace)
    assert torch.equal(full, y0)
    mask = torch.zeros(1, 1, *LATENT[2:])
    mask[..., :4] = 1.0
    for reference, auto in (("fixed", False), ("moving", False), ("fixed", True), ("moving", True)):
        out = rf.edit(gm.field([1]), z, y0, grid, eta=0.5, stop_step=4, align=True, reference=reference,
                      auto_mask=auto, mask=mask, trace=trace)
        outside = (mask == 0).expand(LATENT)
        assert torch.equal(out[outside], y0[outside]), (reference, auto)


@pytest.mark.parametrize("lever, order", [(dict(align=True), "euler")] + [
    (lever, order) for lever in (dict(reference="moving"), dict(auto_mask=True)) for order in rf.ORDERS])
def test_the_levers_cost_no_model_evaluation(gm, y0, lever, order):
    z, trace = inverted(gm.field(), y0)
    counts = []
    for settings in ({}, lever):
        calls = Counting(gm.field([1]))
        rf.edit(calls, z, y0, flux_sigmas(10), eta=0.7, stop_step=4, order=order, trace=trace, **settings)
        counts.append(calls.n)
    assert counts[0] == counts[1]


def test_the_moving_reference_moves_by_the_velocity_difference_inside_the_mask(gm, y0):
    """x_ref + mask (sigma' - sigma)(v - u_j), u_j the inversion's velocity of the step undone."""
    _, trace = inverted(gm.field(), y0, steps=6)
    mask = torch.zeros(1, 1, *LATENT[2:])
    mask[..., 2:] = 1.0
    ref = rf.levers.MovingReference(y0, trace, mask)
    v = torch.randn(LATENT, generator=torch.Generator().manual_seed(3))
    s, s_next = trace.sigmas[4], trace.sigmas[3]
    ref.step({"i": 2, "v": v, "sigma": s, "sigma_next": s_next})
    torch.testing.assert_close(ref(3), y0 + mask * (s_next - s) * (v - trace.velocities[3]), rtol=0, atol=0)


def test_with_eta_zero_the_reference_is_never_read(gm, y0):
    z, trace = inverted(gm.field(), y0)
    kw = dict(eta=0.0, stop_step=5, align=True, trace=trace)
    moving = rf.edit(gm.field([1]), z, y0, flux_sigmas(10), reference="moving", **kw)
    assert torch.equal(moving, rf.edit(gm.field([1]), z, y0, flux_sigmas(10), **kw))


def test_the_auto_mask_is_the_normalised_disagreement_and_keeps_where_the_prompts_agree():
    v = torch.zeros(2, 3, 4, 4)
    u = torch.zeros(2, 3, 4, 4)
    v[0, :, 0, 0], v[1, :, 1:, :] = 2.0, torch.linspace(0, 1, 4)
    m = rf.levers.disagreement(v, u)
    assert m.shape == (2, 1, 4, 4) and m.min() >= 0 and m.max() <= 1
    assert m[0, 0, 0, 0] == 1 and m[0].sum() == 1 and m[1, 0, 0].abs().max() == 0
    assert torch.equal(rf.levers.disagreement(u, u), torch.zeros(2, 1, 4, 4))  # no disagreement: edit nothing


def test_the_levers_are_refused_where_they_do_not_apply(gm, y0):
    grid = flux_sigmas(10)
    with pytest.raises(rf.RFInputError, match="align retraces the inversion's Euler steps.*order to euler"):
        rf.edit_plan(grid, align=True, order="fireflow")
    with pytest.raises(rf.RFInputError, match="align retraces"):
        rf.edit_plan(grid, align=True, mode="sde")
    with pytest.raises(rf.RFInputError, match="act on the ODE: set mode to ode"):
        rf.edit_plan(grid, auto_mask=True, mode="sde")
    with pytest.raises(rf.RFInputError, match="reference must be one of fixed, moving"):
        rf.edit_plan(grid, reference="drifting")
    z, trace = inverted(gm.field(), y0, start_step=2)
    with pytest.raises(rf.RFInputError, match="read the inversion's trace"):
        rf.edit(gm.field(), z, y0, grid, align=True, trace=None)
    with pytest.raises(rf.RFInputError, match="same grid and start_step"):
        rf.edit(gm.field(), z, y0, grid, align=True, trace=trace)  # start_step 0 here, 2 in the inversion


def test_the_trace_costs_two_latents_per_step_and_one(gm, y0):
    _, trace = inverted(gm.field(), y0, steps=6)
    assert len(trace.states) == 7 and len(trace.velocities) == 6
    assert trace.nbytes() == 13 * y0.numel() * 4


def test_aligned_levers_compare_the_models_velocity_not_the_inversions_controller(gm, y0):
    """With alignment the edit's velocity carries the inversion's controller term c_j (gamma > 0); the levers must
    compare it with the inversion's velocity plus that term, so on the source path with the source prompt the
    reference stays put and the prompts agree everywhere (no auto mask), as they do at gamma 0."""
    z, trace = inverted(gm.field(), y0, gamma=0.5)
    grid = list(trace.sigmas)[::-1]
    v = rf.levers.aligned(gm.field(), trace)(z, grid[0])
    ref = rf.levers.MovingReference(y0, trace, aligned=True)
    ref.step({"i": 0, "v": v, "sigma": grid[0], "sigma_next": grid[1]})
    assert (ref(1) - y0).abs().max().item() < 1e-5
    eta_field = rf.levers.auto_mask([0.5] * 10, trace, grid, None, aligned=True)
    assert (1.0 - eta_field(0, v)).abs().max().item() < 1e-3


def test_the_auto_mask_counts_rounding_differences_as_agreement():
    """Per-image min-max would stretch float rounding into a full [0, 1] mask: differences below 1e-4 of the
    velocity's mean magnitude are agreement."""
    u = torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    v = u + 1e-7 * torch.randn(2, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    assert rf.levers.disagreement(v, u).max().item() < 1e-2
    w = u.clone()
    w[:, :, 0, 0] += 1.0
    assert rf.levers.disagreement(w, u)[:, 0, 0, 0].min().item() == 1.0


@pytest.mark.parametrize("lever", [dict(reference="moving"), dict(reference="moving", auto_mask=True),
                                   dict(align=True, reference="moving")])
def test_an_edit_in_two_parts_sharing_its_levers_equals_one_run(gm, y0, lever):
    """A two-expert model runs the edit in two parts: the moving reference must carry over from the first part."""
    z, trace = inverted(gm.field(), y0)
    plan = rf.edit_plan(flux_sigmas(10), eta=0.7, stop_step=6, **lever)
    whole = rf.run_edit(gm.field([1]), z, y0, plan, trace=trace)
    levers = rf.edit_levers(plan, y0, trace)
    first = rf.run_edit(gm.field([1]), z, y0, plan, steps=(0, 3), trace=trace, levers=levers)
    parts = rf.run_edit(gm.field([1]), first, y0, plan, steps=(3, 10), trace=trace, levers=levers)
    assert torch.equal(parts, whole)
