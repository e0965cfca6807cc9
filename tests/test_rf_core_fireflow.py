"""The fireflow order (Deng et al., 2024, on RF-Inversion's controlled fields): N + 1 model evaluations for N steps,
the midpoint step with the previous midpoint's model output reused, and the controller evaluated fresh."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT, Counting, mixture
from seeded import gen, randn

GM_SEED = 91  # the gm fixture's mixture (tests/conftest.py); y0: its samples from gen(1)


@pytest.mark.parametrize("steps,start", [(1, 0), (2, 0), (10, 0), (10, 3), (28, 0)])
def test_fireflow_takes_n_plus_one_model_evaluations_per_direction(gm, y0, steps, start):
    s = flux_sigmas(steps)
    n = steps - start
    inv = Counting(gm.field())
    z = rf.invert(inv, y0, s, rf.seeded_noise(2, LATENT), gamma=0.5, start_step=start, order="fireflow")
    ed = Counting(gm.field([0]))
    rf.edit(ed, z, y0, s, eta=0.9, start_step=start, stop_step=start + 1, order="fireflow")
    assert inv.n == n + 1 and ed.n == n + 1
    # midpoint at the same grid: 2 per step, Euler: 1 per step
    mid = Counting(gm.field())
    rf.invert(mid, y0, s, rf.seeded_noise(2, LATENT), gamma=0.5, start_step=start, order="midpoint")
    assert mid.n == 2 * n


class Recording:
    """A velocity that keeps (x, sigma, v) of every evaluation."""

    def __init__(self, velocity):
        self.velocity, self.calls = velocity, []

    def __call__(self, x, sigma):
        v = self.velocity(x, sigma)
        self.calls.append((x.clone(), sigma, v))
        return v


def _replay(calls, states, out, grid, field):
    """Replays every fireflow step from the recorded evaluations: field(m, x, sigma, i) is the controlled velocity.

    Returns the largest difference between the recorded result of each step and the same step taken with the
    controller frozen at the previous midpoint (the wrong reuse), so that a test can show they differ."""
    sig = [float(a) for a in grid]
    xs = [st["x"] for st in states] + [out]
    assert [c[1] for c in calls] == [sig[0]] + [0.5 * (a + b) for a, b in zip(sig[:-1], sig[1:])]
    frozen_gap = 0.0
    prev = None  # (x_mid, sigma_mid, v_mid) of the previous step
    for i, (a, b) in enumerate(zip(sig[:-1], sig[1:])):
        x = xs[i]
        m = calls[0][2] if i == 0 else prev[2]  # the reused model output: no fresh evaluation at x_i
        if i == 0:
            assert torch.equal(calls[0][0], x)
        x_mid = x + abs(0.5 * (a + b) - a) * field(m, x, a, i)
        x_mid_seen, s_mid, v_mid = calls[i + 1]
        torch.testing.assert_close(x_mid_seen, x_mid, rtol=0, atol=1e-6)
        expected = x + abs(b - a) * field(v_mid, x_mid_seen, s_mid, i)
        torch.testing.assert_close(xs[i + 1], expected, rtol=0, atol=1e-6)
        if i > 0:  # reusing the previous midpoint's whole controlled velocity instead (controller not fresh)
            stale = x + abs(0.5 * (a + b) - a) * field(prev[2], prev[0], prev[1], i)
            frozen_gap = max(frozen_gap, (stale - x_mid).abs().max().item())
        prev = (x_mid_seen, s_mid, v_mid)
    return frozen_gap


def test_fireflow_inversion_replays_with_the_controller_fresh_at_each_point(gm, y0):
    s = flux_sigmas(8)
    fwd = rf.flip_sigmas(s)
    y1 = rf.seeded_noise(4, LATENT)
    gammas = rf.gamma_schedule(0.6, 8, 2, 6)
    v, states = Recording(gm.field()), []
    out = rf.controlled_forward_ode(v, y0, fwd, y1, gammas, order="fireflow", callback=states.append)

    def field(u, y, sigma, i):
        return u + gammas[i] * ((y1 - y) / (1.0 - sigma) - u)

    assert _replay(v.calls, states, out, fwd, field) > 1e-3  # 1000x the replay tolerance
    # the callback's x0 estimate uses the model output the step used at x_i
    for i, st in enumerate(states):
        m = v.calls[0][2] if i == 0 else v.calls[i][2]
        torch.testing.assert_close(st["denoised"], st["x"] - st["sigma"] * m, rtol=0, atol=0)


@pytest.mark.parametrize("with_mask", [False, True])
def test_fireflow_edit_replays_with_the_controller_fresh_at_each_point(gm, y0, with_mask):
    s = flux_sigmas(8)
    x1 = randn(LATENT, 5)
    etas = rf.eta_schedule(0.7, 8, 0, 5)
    mask = None
    eta_field = etas
    if with_mask:
        mask = torch.zeros(1, 1, 8, 8)
        mask[..., :4] = 1.0
        eta_field = [1.0 - mask * (1.0 - e) for e in etas]
    v, states = Recording(gm.field([1])), []
    out = rf.controlled_reverse_ode(v, x1, s, y0, etas, mask=mask, order="fireflow", callback=states.append)

    def field(m, x, sigma, i):
        return -m + eta_field[i] * ((y0 - x) / sigma + m)

    assert _replay(v.calls, states, out, s, field) > 1e-3


def test_fireflow_edit_starts_afresh_and_does_not_reuse_the_inversion(gm, y0):
    """The edit's first step evaluates the (edit-prompt) model at the inverted latent itself."""
    s = flux_sigmas(6)
    z = rf.invert(gm.field(), y0, s, rf.seeded_noise(4, LATENT), gamma=0.5, order="fireflow")
    v = Recording(gm.field([0]))
    rf.edit(v, z, y0, s, eta=0.9, stop_step=2, order="fireflow")
    assert v.calls[0][1] == 1.0 and torch.equal(v.calls[0][0], z)


def test_fireflow_at_22_evaluations_reconstructs_better_than_euler_at_56():
    """gamma = eta = 0 round trip: fireflow 10 + 10 steps (22 model evaluations) against Euler 28 + 28 (56)."""
    gm = mixture(seed=62, spread=0.5)
    y0 = gm.sample(LATENT[0], gen(1))
    errors, counts = {}, {}
    for order, steps in (("fireflow", 10), ("euler", 28), ("euler", 11)):
        s = flux_sigmas(steps)
        v = Counting(gm.field())
        z = rf.invert(v, y0, s, rf.seeded_noise(3, LATENT), gamma=0.0, order=order)
        x = rf.edit(v, z, y0, s, eta=0.0, stop_step=1, order=order)
        errors[order, steps], counts[order, steps] = (x - y0).norm().item() / y0.norm().item(), v.n
    assert counts == {("fireflow", 10): 22, ("euler", 28): 56, ("euler", 11): 22}
    assert errors["fireflow", 10] * 5 < errors["euler", 28], errors  # measured: 0.012 against 0.138
    assert errors["fireflow", 10] * 10 < errors["euler", 11], errors  # at equal evaluations
