"""The rectified SDE sampler (Eq. 22/23) and the controlled reverse SDE (Eq. 17): marginals, the first
and last steps, and what eta does to the noise."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT, mixture
from seeded import gen, randn
from exact_fields import GaussianMixture

N = 12000  # samples in one batch: Monte-Carlo SE ~ 1 % of the data's std
DIM = 2
STEPS = 120  # Euler-Maruyama bias well below 1 SE at this N (measured ~1-3 SE worst case over seeds)


@pytest.fixture(scope="module")
def small():
    return mixture(event=(DIM,), k=3, seed=5, spread=1.0, var_range=(0.1, 0.4))


def _grid():
    return flux_sigmas(STEPS, mu=0.5)


def _assert_matches_data(out: torch.Tensor, gm: GaussianMixture, z: float = 5.0):
    """Mean and covariance within z Monte-Carlo standard errors (SEs estimated from the samples)."""
    assert torch.isfinite(out).all()
    mean, cov = gm.mean_cov()
    x = out.double()
    n = x.shape[0]
    m = x.mean(0)
    d = x - m
    c = d.T @ d / (n - 1)
    se_m = (c.diagonal() / n).sqrt()
    se_c = (d[:, :, None] * d[:, None, :]).std(0) / n**0.5
    zm = ((m - mean) / se_m).abs().max().item()
    zc = ((c - cov) / se_c).abs().max().item()
    assert zm < z and zc < z, f"mean off by {zm:.1f} SE, covariance by {zc:.1f} SE"


@pytest.mark.parametrize("noise_scale", [1.0, 0.5, 0.0])
def test_sampler_matches_data_mean_and_covariance(small, noise_scale):
    x = randn((N, DIM), 3)
    out = rf.stochastic_sampler(small.field(), x, _grid(), noise_sampler=rf.step_noise(4, (N, DIM)),
                                noise_scale=noise_scale)
    _assert_matches_data(out, small)


def test_sampler_with_a_wrong_diffusion_would_fail(small):
    """The marginal check has teeth: noise of scale 0.5 with the drift of scale 1 is rejected."""
    sig = [float(a) for a in _grid()]
    ns = rf.step_noise(4, (N, DIM))
    X = randn((N, DIM), 3)
    for i, (a, b) in enumerate(zip(sig[:-1], sig[1:])):
        v = small.velocity(X, a)
        d = a - b
        if a < 1 and b > 0:
            X = X + d * (-2 * v - X / (1 - a)) + 0.5 * (2 * a * d / (1 - a)) ** 0.5 * ns(a)
        else:
            X = X - d * v
    with pytest.raises(AssertionError, match="SE"):
        _assert_matches_data(X, small)


def test_noise_scale_zero_is_the_ode():
    gm = mixture(seed=71)
    x = randn(LATENT, 1)
    s = flux_sigmas(10)
    sde = rf.stochastic_sampler(gm.field(), x, s, noise_sampler=rf.step_noise(2, LATENT), noise_scale=0.0)
    ode = rf.controlled_reverse_ode(gm.field(), x, s, x, 0.0)
    assert torch.equal(sde, ode)
    noisy = rf.stochastic_sampler(gm.field(), x, s, noise_sampler=rf.step_noise(2, LATENT))
    assert (noisy - ode).abs().max() > 1e-2


class _RecordingNoise:
    def __init__(self, seed, shape):
        self.inner = rf.step_noise(seed, shape)
        self.calls: list[float] = []

    def __call__(self, i):
        self.calls.append(i)
        return self.inner(i)


@pytest.mark.parametrize("noise_scale", [1.0, 0.5])
def test_first_step_from_sigma_one_is_finite_and_deterministic(noise_scale):
    gm = mixture(seed=72)
    x = randn(LATENT, 1)
    s = flux_sigmas(8)
    assert float(s[0]) == 1.0
    states = []
    noise = _RecordingNoise(3, LATENT)
    out = rf.stochastic_sampler(gm.field(), x, s, noise_sampler=noise, noise_scale=noise_scale,
                                callback=states.append)
    assert torch.isfinite(out).all()
    assert all(torch.isfinite(st["x"]).all() and torch.isfinite(st["denoised"]).all() for st in states)
    # step 0 (sigma = 1, where 1 / (1 - sigma) is infinite) is a plain ODE step, step N-1 (to 0) too
    s1 = float(s[1])
    assert torch.allclose(states[1]["x"], x - (1.0 - s1) * gm.velocity(x, 1.0), atol=1e-6, rtol=0)
    assert noise.calls == [float(a) for a in s[1:len(s) - 2]]  # the steps' sigmas, not the first or last


def test_controlled_sde_first_step_at_sigma_one_is_finite():
    gm = mixture(seed=72)
    x, y0 = randn(LATENT, 1), gm.sample(LATENT[0], gen(2))
    out = rf.edit(gm.field([0]), x, y0, flux_sigmas(6), eta=0.5, stop_step=6, mode="sde",
                  noise_sampler=rf.step_noise(1, LATENT))
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("noise_scale", [1.0, 0.5])
def test_last_step_lands_on_the_x0_estimate(noise_scale):
    gm = mixture(seed=73)
    s = flux_sigmas(8)
    states = []
    out = rf.stochastic_sampler(gm.field(), randn(LATENT, 1), s, noise_sampler=rf.step_noise(5, LATENT),
                                noise_scale=noise_scale, callback=states.append)
    last = states[-1]
    assert last["sigma_next"] == 0.0
    expected = last["x"] - last["sigma"] * gm.velocity(last["x"], last["sigma"])
    assert torch.allclose(out, expected, atol=1e-6, rtol=0)
    assert torch.allclose(out, last["denoised"], atol=1e-6, rtol=0)


def test_point_mass_data_comes_out_as_the_point():
    """Near-point-mass data: the sample is the point, whatever the noise (no noise after the x0 estimate)."""
    point = randn((DIM,), 9)
    gm = GaussianMixture(point[None], torch.full((1, DIM), 1e-8))
    x = randn((2000, DIM), 1)
    out = rf.stochastic_sampler(gm.field(), x, flux_sigmas(12), noise_sampler=rf.step_noise(2, x.shape))
    assert (out - point).abs().max().item() < 1e-3


# ---------------------------------------------------------------- controlled reverse SDE (Eq. 17)


def test_controlled_sde_with_eta_zero_keeps_the_marginals(small):
    x = randn((N, DIM), 3)
    y0 = torch.full((1, DIM), 3.0)  # a source far from the data: with eta = 0 it must not matter
    out = rf.controlled_reverse_sde(small.field(), x, _grid(), y0, 0.0,
                                    noise_sampler=rf.step_noise(4, (N, DIM)))
    _assert_matches_data(out, small)
    plain = rf.stochastic_sampler(small.field(), x, _grid(), noise_sampler=rf.step_noise(4, (N, DIM)))
    assert torch.equal(out, plain)


def test_controlled_sde_eta_window_pulls_towards_the_source(small):
    n = 512
    x = randn((n, DIM), 3)
    y0 = small.sample(1, gen(8))
    s = flux_sigmas(40, mu=0.5)
    dist = {}
    for eta in (0.0, 0.5, 0.9, 1.0):
        out = rf.edit(small.field(), x, y0, s, eta=eta, stop_step=12, mode="sde",
                      noise_sampler=rf.step_noise(4, (n, DIM)))
        dist[eta] = (out - y0).norm(dim=1).mean().item()
    assert dist[0.0] > dist[0.5] > dist[0.9] > dist[1.0]
    full = rf.edit(small.field(), x, y0, s, eta=1.0, stop_step=40, mode="sde",
                   noise_sampler=rf.step_noise(4, (n, DIM)))
    assert (full - y0).abs().max().item() < 1e-5


def test_controlled_sde_noise_vanishes_where_eta_is_one():
    """Eq. 17's diffusion sqrt(2 (1 - eta) sigma delta / (1 - sigma)): eta = 1 steps ignore the noise."""
    gm = mixture(seed=74)
    x, y0 = randn(LATENT, 1), gm.sample(LATENT[0], gen(2))
    s = flux_sigmas(10)
    k = 5
    base = rf.step_noise(3, LATENT)
    window = [float(a) for a in s[:k]]

    def poisoned(sigma):
        return base(sigma) * (1e6 if sigma in window else 1.0)

    a = rf.edit(gm.field([1]), x, y0, s, eta=1.0, stop_step=k, mode="sde", noise_sampler=base)
    b = rf.edit(gm.field([1]), x, y0, s, eta=1.0, stop_step=k, mode="sde", noise_sampler=poisoned)
    assert torch.equal(a, b)
    # with eta 0.9 the noise still counts, scaled by sqrt(1 - eta)
    c = rf.edit(gm.field([1]), x, y0, s, eta=0.9, stop_step=k, mode="sde", noise_sampler=base)
    d = rf.edit(gm.field([1]), x, y0, s, eta=0.9, stop_step=k, mode="sde", noise_sampler=poisoned)
    assert not torch.equal(c, d)


@pytest.mark.parametrize("eta_kind", ["constant", "linear_decrease"])
@pytest.mark.parametrize("with_mask", [False, True])
def test_controlled_sde_steps_replay_eq17_with_known_noise(eta_kind, with_mask):
    """Every step of mode 'sde' for 0 < eta < 1 is Eq. 17, replayed here from the states with the same xi:
    X' = X + delta [(1 - eta)(-2 v - X / (1 - sigma)) + eta (y0 - X) / sigma]
           + sqrt(2 (1 - eta) sigma delta / (1 - sigma)) xi.
    Noise scaled by (1 - eta) instead of sqrt(1 - eta) is off by a factor sqrt(1 - eta) on every noisy step."""
    gm = mixture(seed=75)
    x, y0 = randn(LATENT, 1), gm.sample(LATENT[0], gen(2))
    steps, stop = 10, 8
    s = flux_sigmas(steps)
    draws = [rf.seeded_noise(100 + i, LATENT) for i in range(steps)]
    mask = None
    if with_mask:
        mask = torch.zeros(1, 1, 8, 8)
        mask[..., :5] = 1.0
    states = []
    sig = [float(a) for a in s]
    out = rf.edit(gm.field([1]), x, y0, s, eta=0.5, stop_step=stop, eta_schedule=eta_kind, mode="sde", mask=mask,
                  noise_sampler=lambda sigma: draws[sig.index(sigma)], callback=states.append)
    etas = rf.eta_schedule(0.5, steps, 0, stop, eta_kind)
    xs = [st["x"] for st in states] + [out]
    noisy_partial = 0
    for i in range(steps):
        X, a, b = xs[i].double(), sig[i], sig[i + 1]
        d = a - b
        e = etas[i] if mask is None else 1.0 - mask.double() * (1.0 - etas[i])
        v = gm.velocity(X, a, [1])
        if a < 1.0 and b > 0.0:
            drift = (1 - e) * (-2 * v - X / (1 - a)) + e * (y0 - X) / a
            std = (2 * (1 - e) * a * d / (1 - a)) ** 0.5
            expected = X + d * drift + std * draws[i]
            noisy_partial += 0.0 < etas[i] < 1.0
        else:  # from sigma = 1 and to sigma = 0: the ODE step (Eq. 15), no noise
            expected = X + d * (-v + e * ((y0 - X) / a + v))
        torch.testing.assert_close(xs[i + 1].double(), expected, rtol=0, atol=2e-5,
                                   msg=lambda m, i=i: f"step {i}: {m}")
    assert noisy_partial >= 5  # the replay covered noisy steps with 0 < eta < 1
    if mask is not None:
        outside = (mask == 0).expand(LATENT)
        assert (out - y0)[outside].abs().max() < 1e-5  # eta = 1 outside: no noise there, the source
