"""Controlled forward ODE (Eq. 8) and the grid the model is evaluated on."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT, ORDERS, Counting

EPS32 = torch.finfo(torch.float32).eps
GM_SEED = 21  # the gm fixture's mixture (tests/conftest.py); y0: its samples from gen(1)


@pytest.fixture(scope="module")
def y1():
    return rf.seeded_noise(7, LATENT)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("steps", [1, 5, 28])
def test_gamma_one_lands_on_y1(gm, y0, y1, order, steps):
    out = rf.invert(gm.field(), y0, flux_sigmas(steps), y1, gamma=1.0, order=order)
    tol = 16 * EPS32 * float(torch.maximum(y0.abs().max(), y1.abs().max()))
    assert (out - y1).abs().max().item() <= tol
    # and not by accident: gamma = 0.5 ends elsewhere
    half = rf.invert(gm.field(), y0, flux_sigmas(steps), y1, gamma=0.5, order=order)
    assert (half - y1).abs().max().item() > 100 * tol


@pytest.mark.parametrize("order", ORDERS)
def test_gamma_one_with_start_step_is_the_straight_line(gm, y0, y1, order):
    """gamma = 1 up to sigma_s: every step stays on the line (1 - sigma) y0 + sigma y1."""
    s = flux_sigmas(10)
    k = 4
    out = rf.invert(gm.field(), y0, s, y1, gamma=1.0, start_step=k, order=order)
    sk = float(s[k])
    expected = (1 - sk) * y0 + sk * y1
    assert torch.allclose(out, expected, atol=1e-5, rtol=0)


def _plain_euler_inversion(v, y0, fwd):
    Y = y0.clone()
    sig = [float(a) for a in fwd]
    for a, b in zip(sig[:-1], sig[1:]):
        Y = Y + (b - a) * v(Y, a)
    return Y


@pytest.mark.parametrize("start", [0, 3])
def test_gamma_zero_is_plain_ode_inversion(gm, y0, y1, start):
    s = flux_sigmas(12)
    out = rf.invert(gm.field(), y0, s, y1, gamma=0.0, start_step=start)
    expected = _plain_euler_inversion(gm.field(), y0, rf.flip_sigmas(s[start:]))
    assert torch.allclose(out, expected, atol=1e-6, rtol=0)
    # y1 plays no role at gamma = 0
    other = rf.invert(gm.field(), y0, s, -y1, gamma=0.0, start_step=start)
    assert torch.equal(out, other)


@pytest.mark.parametrize("window", [(0, 3), (2, 5), (7, 10), (4, 5)])
def test_gamma_window_applies_gamma_only_on_its_steps(gm, y0, y1, window):
    """Replays every step from the callback's states: controlled update inside the window, plain outside."""
    s = flux_sigmas(10)
    gamma = 0.6
    states = []
    out = rf.invert(gm.field(), y0, s, y1, gamma=gamma, gamma_window=window, callback=states.append)
    fwd = [float(a) for a in rf.flip_sigmas(s)]
    assert [st["i"] for st in states] == list(range(10))
    xs = [st["x"] for st in states] + [out]
    a, b = window
    for i in range(10):
        Y, sg, sn = xs[i], fwd[i], fwd[i + 1]
        assert states[i]["sigma"] == sg and states[i]["sigma_next"] == sn
        u = gm.velocity(Y, sg)
        g = gamma if a <= i < b else 0.0
        u_hat = u + g * ((y1 - Y) / (1.0 - sg) - u)
        expected = Y + (sn - sg) * u_hat
        assert torch.allclose(xs[i + 1], expected, atol=1e-5, rtol=0), f"step {i}"
        # the other choice (gamma on/off swapped) is measurably different
        g_wrong = gamma - g
        wrong = Y + (sn - sg) * (u + g_wrong * ((y1 - Y) / (1.0 - sg) - u))
        assert (xs[i + 1] - wrong).abs().max() > 1e-3
    # a window equals the explicit per-step list
    per_step = rf.gamma_schedule(gamma, 10, a, b)
    direct = rf.controlled_forward_ode(gm.field(), y0, rf.flip_sigmas(s), y1, per_step)
    assert torch.equal(out, direct)


def test_gamma_window_before_step_equals_plain_inversion_prefix(gm, y0, y1):
    """Steps before the window are plain ODE inversion: the state at the window's start is identical."""
    s = flux_sigmas(10)
    a = 6
    ctl, plain = [], []
    rf.invert(gm.field(), y0, s, y1, gamma=0.8, gamma_window=(a, 10), callback=ctl.append)
    rf.invert(gm.field(), y0, s, y1, gamma=0.0, callback=plain.append)
    for i in range(a + 1):
        assert torch.equal(ctl[i]["x"], plain[i]["x"])
    assert not torch.equal(ctl[a + 1]["x"], plain[a + 1]["x"])


# ---------------------------------------------------------------- the model sees the latent's own sigma


def _expected_calls(grid, order):
    """euler: sigma_i; midpoint: sigma_i and the half step; fireflow: sigma_0, then only the half steps."""
    sig = [float(a) for a in grid]
    calls = []
    for i, (a, b) in enumerate(zip(sig[:-1], sig[1:])):
        if order != "fireflow" or i == 0:
            calls.append(a)
        if order != "euler":
            calls.append(0.5 * (a + b))
    return calls


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("start", [0, 3])
def test_velocity_called_at_grid_sigmas(gm, y0, y1, order, start):
    steps = 9
    s = flux_sigmas(steps, mu=1.15)
    v_inv = Counting(gm.field())
    z = rf.invert(v_inv, y0, s, y1, gamma=0.5, start_step=start, order=order)
    assert v_inv.sigmas == _expected_calls(rf.flip_sigmas(s[start:]), order)

    v_edit = Counting(gm.field([0]))
    rf.edit(v_edit, z, y0, s, eta=0.7, start_step=start, stop_step=start + 3, order=order)
    assert v_edit.sigmas == _expected_calls(s[start:], order)

    # never a linear clock: i/N or 1 - i/N differ from the shifted grid the latent is on
    n = steps - start
    linear = [i / steps for i in range(n)]
    assert not any(abs(a - b) < 1e-6 for a, b in zip(v_inv.sigmas[1:], linear[1:]))
    assert all(isinstance(a, float) for a in v_inv.sigmas + v_edit.sigmas)


def test_velocity_called_at_grid_sigmas_sde(gm, y0, y1):
    s = flux_sigmas(7)
    v = Counting(gm.field([0]))
    rf.edit(v, y1, y0, s, eta=0.9, stop_step=3, mode="sde", noise_sampler=rf.step_noise(3, LATENT))
    assert v.sigmas == _expected_calls(s, "euler")
    v = Counting(gm.field())
    rf.stochastic_sampler(v, y1, s, noise_sampler=rf.step_noise(3, LATENT))
    assert v.sigmas == _expected_calls(s, "euler")


def test_velocity_sees_the_latent_at_its_sigma(gm, y0, y1):
    """The x passed with sigma_i is the state the solver holds at sigma_i (the callback's x)."""
    s = flux_sigmas(6)
    seen, states = [], []

    def v(x, sigma):
        seen.append((sigma, x.clone()))
        return gm.velocity(x, sigma)

    rf.invert(v, y0, s, y1, gamma=0.3, callback=states.append)
    assert len(seen) == len(states) == 6
    for (sig, x), st in zip(seen, states):
        assert sig == st["sigma"]
        assert torch.equal(x, st["x"])
    assert torch.equal(seen[0][1], y0)  # the first evaluation is the image itself, at sigma = 0
    assert seen[0][0] == 0.0
