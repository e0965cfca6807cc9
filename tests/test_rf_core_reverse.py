"""Controlled reverse ODE (Eq. 15) / SDE (Eq. 17) through rf_core.edit: eta = 1, SDEdit, the
faithfulness / editability trade-off, and masks."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import CLASS_A, CLASS_B, LATENT, ORDERS, class_log_odds, class_mixture, mixture
from seeded import gen, randn

EPS32 = torch.finfo(torch.float32).eps
GM_SEED = 31  # the gm fixture's mixture (tests/conftest.py); y0: its samples from gen(1)


def _ulps(*ts):
    """A tolerance of a few float32 ulps of the largest value involved."""
    return 8 * EPS32 * max(float(t.abs().max()) for t in ts)


def _ns(seed=0, shape=LATENT):
    return rf.step_noise(seed, shape)


# ---------------------------------------------------------------- eta = 1 returns the source


@pytest.mark.parametrize("scale", [1.0, 50.0])
@pytest.mark.parametrize("start_seed", [2, 3])
@pytest.mark.parametrize("solver", ["sde", *ORDERS])
def test_eta_one_everywhere_returns_source(gm, y0, solver, scale, start_seed):
    x = randn(LATENT, start_seed, scale)
    s = flux_sigmas(9)
    v = gm.field([1])
    if solver == "sde":
        out = rf.controlled_reverse_sde(v, x, s, y0, 1.0, noise_sampler=_ns())
    else:
        out = rf.controlled_reverse_ode(v, x, s, y0, 1.0, order=solver)
    assert out.dtype == torch.float32
    assert (out - y0).abs().max().item() <= _ulps(x, y0)
    if solver in ("sde", "euler"):  # the Euler step to sigma = 0 lands on the source bit for bit
        assert torch.equal(out, y0)


@pytest.mark.parametrize("mode,order", [("ode", "euler"), ("ode", "midpoint"), ("ode", "fireflow"), ("sde", "euler")])
@pytest.mark.parametrize("start", [0, 4])
def test_edit_eta_one_full_window_returns_source(gm, y0, mode, order, start):
    s = flux_sigmas(9)
    x = randn(LATENT, 5, 3.0)
    out = rf.edit(gm.field([2]), x, y0, s, eta=1.0, start_step=start, stop_step=9, mode=mode, order=order,
                  noise_sampler=_ns(1))
    assert (out - y0).abs().max().item() <= _ulps(x, y0)
    if order == "euler":
        assert torch.equal(out, y0)


# ---------------------------------------------------------------- SDEdit


@pytest.mark.parametrize("order", ["euler", "midpoint"])
@pytest.mark.parametrize("k", [1, 3, 6])
def test_gamma_one_eta_one_prefix_is_sdedit(gm, y0, k, order):
    """gamma = 1 with eta = 1 on [0, k) == SDEdit: x_k = (1 - sigma_k) y0 + sigma_k y1, then the plain ODE.

    (Not fireflow: its step k reuses the model's output from step k - 1's midpoint, a fresh run would not.)"""
    steps = 10
    s = flux_sigmas(steps)
    y1 = rf.seeded_noise(9, LATENT)
    edit_v = gm.field([0])
    z = rf.invert(gm.field(), y0, s, y1, gamma=1.0, order=order)
    states = []
    out = rf.edit(edit_v, z, y0, s, eta=1.0, start_step=0, stop_step=k, order=order, callback=states.append)

    sk = float(s[k])
    x_k = (1.0 - sk) * y0 + sk * y1
    assert torch.allclose(states[k]["x"], x_k, atol=1e-5, rtol=0)
    sdedit = rf.controlled_reverse_ode(edit_v, x_k, s[k:], y0, 0.0, order=order)
    assert torch.allclose(out, sdedit, atol=1e-4, rtol=0)
    # ... and SDEdit really edits: the result is neither the source nor the unguided reconstruction
    assert (out - y0).abs().max() > 0.1


# ---------------------------------------------------------------- faithfulness vs editability


@pytest.fixture(scope="module")
def classes():
    gm = class_mixture(event=LATENT[1:], seed=3)
    y0 = gm.sample(6, gen(1), classes=CLASS_A)
    y1 = rf.seeded_noise(5, y0.shape)
    s = flux_sigmas(12)
    z = rf.invert(gm.field(), y0, s, y1, gamma=0.5)  # null prompt = the whole mixture
    return gm, y0, s, z


def _distance_and_odds(gm, out, y0):
    d = (out - y0).flatten(1).norm(dim=1).mean().item()
    odds = class_log_odds(gm, out, CLASS_A, CLASS_B).mean().item()
    return d, odds


def _strictly_decreasing(xs):
    return all(a > b for a, b in zip(xs[:-1], xs[1:]))


def _edit_sweep(classes, mode, settings):
    """One class-B edit of the class-A sources per settings dict: (distances to the source, class-B log-odds)."""
    gm, y0, s, z = classes
    dists, odds = [], []
    for kw in settings:
        out = rf.edit(gm.field(CLASS_B), z, y0, s, mode=mode, noise_sampler=_ns(2, y0.shape), **kw)
        d, o = _distance_and_odds(gm, out, y0)
        dists.append(d)
        odds.append(o)
    return dists, odds


@pytest.mark.parametrize("mode, stop", [("ode", 6), ("sde", 8)])
def test_raising_eta_trades_editability_for_faithfulness(classes, mode, stop):
    """The SDE forgets the window faster: at stop 6 of 12 its gaps between etas are within the noise's spread (the
    order held for 7 of 10 noise seeds), at stop 8 for all 10."""
    gm, y0, s, z = classes
    assert (class_log_odds(gm, y0, CLASS_A, CLASS_B) < 0).all()  # the source is class A
    dists, odds = _edit_sweep(classes, mode, [dict(eta=eta, stop_step=stop) for eta in [0.0, 0.25, 0.5, 0.75, 1.0]])
    assert _strictly_decreasing(dists), dists
    assert _strictly_decreasing(odds), odds
    assert odds[0] > 0  # eta = 0: the class-B prompt wins


@pytest.mark.parametrize("mode", ["ode", "sde"])
def test_later_stop_step_trades_editability_for_faithfulness(classes, mode):
    y0 = classes[1]
    dists, odds = _edit_sweep(classes, mode, [dict(eta=1.0, stop_step=stop) for stop in [1, 3, 5, 7, 9, 11, 12]])
    assert _strictly_decreasing(dists), dists
    assert _strictly_decreasing(odds), odds
    assert odds[0] > 0 and odds[-1] < 0
    assert dists[-1] <= _ulps(y0) * 10  # eta = 1 on every step: the source


# ---------------------------------------------------------------- masks


def _square_mask(h=8, w=8, top=2, left=3, size=4):
    """A mask as rf_core takes it: (1, 1, H, W), 1 = edit."""
    m = torch.zeros(1, 1, h, w)
    m[..., top : top + size, left : left + size] = 1.0
    return m


SOLVERS = [("ode", "euler"), ("ode", "midpoint"), ("ode", "fireflow"), ("sde", "euler")]


@pytest.mark.parametrize("mode,order", SOLVERS)
@pytest.mark.parametrize("start", [0, 3])
@pytest.mark.parametrize("batched", [False, True])
def test_mask_keeps_outside_and_edits_inside(gm, y0, mode, order, start, batched):
    s = flux_sigmas(10)
    y1 = rf.seeded_noise(4, LATENT)
    z = rf.invert(gm.field(), y0, s, y1, gamma=0.5, start_step=start, order=order)
    if batched:  # one mask per batch item, different regions
        mask = torch.cat([_square_mask(left=0), _square_mask(top=4, left=4)])
        inside = mask.expand(LATENT).bool()
    else:
        mask = _square_mask()
        inside = mask.expand(LATENT).bool()
    kw = dict(eta=0.5, start_step=start, stop_step=start + 4, mode=mode, order=order)
    edit_v = gm.field([0])
    out = rf.edit(edit_v, z, y0, s, mask=mask, noise_sampler=_ns(6), **kw)
    unmasked = rf.edit(edit_v, z, y0, s, noise_sampler=_ns(6), **kw)

    assert (out - y0)[~inside].abs().max().item() <= _ulps(out, y0)
    if order == "euler":  # Euler's last step lands on the source exactly
        assert torch.equal(out[~inside], y0[~inside])
    # inside: an edit, not the source (as the unmasked edit is)
    assert (out - y0)[inside].abs().mean() > 0.05
    assert (unmasked - y0).abs().mean() > 0.05


@pytest.mark.parametrize("mode,order", SOLVERS)
@pytest.mark.parametrize("start", [0, 3])
def test_mask_inside_equals_unmasked_edit_for_independent_pixels(mode, order, start):
    """With one diagonal Gaussian the exact velocity acts element by element, so the mask can only change
    eta per element: inside the mask the result IS the unmasked edit (same noise), outside it is the source."""
    gm1 = mixture(seed=51, k=1)
    gm_edit = mixture(seed=52, k=1)  # the "edit prompt": another Gaussian
    y0 = gm1.sample(LATENT[0], gen(1))
    s = flux_sigmas(10)
    z = rf.invert(gm1.field(), y0, s, rf.seeded_noise(4, LATENT), gamma=0.5, start_step=start, order=order)
    mask = _square_mask()
    inside = mask.expand(LATENT).bool()
    kw = dict(eta=0.6, start_step=start, stop_step=start + 3, mode=mode, order=order)
    out = rf.edit(gm_edit.field(), z, y0, s, mask=mask, noise_sampler=_ns(6), **kw)
    unmasked = rf.edit(gm_edit.field(), z, y0, s, noise_sampler=_ns(6), **kw)
    assert torch.allclose(out[inside], unmasked[inside], atol=1e-5, rtol=0)
    assert (out - y0)[~inside].abs().max().item() <= _ulps(out, y0)
    assert (unmasked - y0)[~inside].abs().mean() > 0.05


def test_mask_all_ones_is_the_unmasked_edit_and_all_zeros_the_source(gm, y0):
    s = flux_sigmas(8)
    z = rf.invert(gm.field(), y0, s, rf.seeded_noise(4, LATENT), gamma=0.5)
    for mode in ("ode", "sde"):
        kw = dict(eta=0.7, stop_step=3, mode=mode, noise_sampler=_ns(6))
        plain = rf.edit(gm.field([1]), z, y0, s, **kw)
        kw["noise_sampler"] = _ns(6)
        ones = rf.edit(gm.field([1]), z, y0, s, mask=torch.ones(1, 1, 8, 8), **kw)
        kw["noise_sampler"] = _ns(6)
        zeros = rf.edit(gm.field([1]), z, y0, s, mask=torch.zeros(1, 1, 8, 8), **kw)
        assert torch.allclose(ones, plain, atol=1e-5, rtol=0)
        assert (zeros - y0).abs().max().item() <= _ulps(zeros, y0)


@pytest.mark.parametrize("mask_shape", ["one", "per_item"])
@pytest.mark.parametrize("mode", ["ode", "sde"])
def test_mask_broadcasts_over_video_latents(mode, mask_shape):
    shape = (2, 3, 4, 6, 6)  # (B, C, T, H, W)
    gm = mixture(event=shape[1:], seed=41)
    y0 = gm.sample(2, gen(1))
    s = flux_sigmas(6)
    z = rf.invert(gm.field(), y0, s, rf.seeded_noise(2, shape), gamma=0.5)
    m = torch.zeros(6, 6)
    m[1:4, 2:5] = 1.0
    mask = m.expand(1, 1, 4, 6, 6) if mask_shape == "one" else m.expand(2, 1, 4, 6, 6)
    out = rf.edit(gm.field([0]), z, y0, s, eta=0.3, stop_step=2, mode=mode, mask=mask,
                  noise_sampler=_ns(3, shape))
    inside = m.bool().expand(shape)
    assert out.shape == shape
    assert (out - y0)[~inside].abs().max().item() <= _ulps(out, y0)
    # every channel and every frame is edited inside
    per_ct = (out - y0).abs()[..., 1:4, 2:5].mean(dim=(0, 3, 4))
    assert (per_ct > 0.01).all()
