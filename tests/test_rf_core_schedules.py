"""eta / gamma schedules and sigma grids (rf_core.schedules)."""

from __future__ import annotations

import math

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas, flux_time_shift


@pytest.mark.parametrize("steps,start,stop", [(10, 0, 4), (28, 3, 5), (28, 6, 25), (5, 0, 5)])
def test_eta_schedule_values(steps, start, stop):
    eta = 0.8
    L = stop - start
    const = rf.eta_schedule(eta, steps, start, stop, "constant")
    lin = rf.eta_schedule(eta, steps, start, stop, "linear_decrease")
    pw = rf.eta_schedule(eta, steps, start, stop, "power_decay", power=2.0)
    pw3 = rf.eta_schedule(eta, steps, start, stop, "power_decay", power=3.0)
    for sched in (const, lin, pw, pw3):
        assert len(sched) == steps
        # zeros outside the window
        assert all(sched[i] == 0.0 for i in range(steps) if not (start <= i < stop))
        # the first active step gets the full eta
        assert sched[start] == pytest.approx(eta, abs=1e-12)
    for i in range(start, stop):
        frac = 1.0 - (i - start) / L
        assert const[i] == pytest.approx(eta, abs=1e-12)
        assert lin[i] == pytest.approx(eta * frac, abs=1e-12)
        assert pw[i] == pytest.approx(eta * frac**2, abs=1e-12)
        assert pw3[i] == pytest.approx(eta * frac**3, abs=1e-12)
    if L > 1:
        # decreasing schedules really decrease inside the window, and stay positive there
        assert all(lin[i] > lin[i + 1] > 0 for i in range(start, stop - 1))
        assert all(pw[i] > pw[i + 1] > 0 for i in range(start, stop - 1))
        assert all(pw[i] <= lin[i] for i in range(start, stop))


@pytest.mark.parametrize("kind", rf.ETA_SCHEDULES)
@pytest.mark.parametrize("start", [0, 3, 9])
def test_eta_schedule_one_step_window_gives_full_eta(kind, start):
    out = rf.eta_schedule(0.7, 10, start, start + 1, kind)
    assert all(math.isfinite(v) for v in out)
    assert out[start] == pytest.approx(0.7, abs=1e-12)
    assert sum(1 for v in out if v != 0.0) == 1


def test_gamma_schedule_window():
    g = rf.gamma_schedule(0.5, 8, 2, 5)
    assert g == [0.0, 0.0, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0]
    assert rf.gamma_schedule(0.3, 4) == [0.3] * 4


@pytest.mark.parametrize("mu", [0.5, 1.0, 1.15, 3.0])
@pytest.mark.parametrize("steps", [1, 4, 28])
def test_flux_sigmas_match_formula(mu, steps):
    s = flux_sigmas(steps, mu=mu)
    assert s.dtype == torch.float32 and s.shape == (steps + 1,)
    assert s[0].item() == 1.0 and s[-1].item() == 0.0
    for i in range(1, steps):
        t = 1.0 - i / steps
        expected = math.exp(mu) / (math.exp(mu) + (1.0 / t - 1.0))
        assert s[i].item() == pytest.approx(expected, rel=1e-6, abs=1e-7)
    assert (s[1:] < s[:-1]).all()
    # the shift is real: mu > 0 puts every interior sigma above the linear clock t
    if steps > 1:
        t = torch.linspace(1.0, 0.0, steps + 1)
        assert (s[1:-1] > t[1:-1]).all()


def test_flux_time_shift_endpoints_and_identity():
    t = torch.tensor([0.0, 0.25, 0.5, 1.0], dtype=torch.float64)
    out = flux_time_shift(t, 0.0)  # mu = 0: identity
    assert torch.allclose(out, t, atol=1e-15)
    out = flux_time_shift(t, 1.15)
    assert out[0].item() == 0.0 and out[-1].item() == 1.0


def test_flip_sigmas_alters_no_value():
    s = flux_sigmas(28)
    f = rf.flip_sigmas(s)
    assert f[0].item() == 0.0  # ComfyUI's FlipSigmas would turn this into 1e-4
    assert f[-1].item() == 1.0
    assert torch.equal(f, torch.tensor(list(reversed(s.tolist())), dtype=s.dtype))
    assert torch.equal(rf.flip_sigmas(f), s)
    assert f.dtype == s.dtype


@pytest.mark.parametrize("start", [0, 1, 5])
def test_inversion_sigmas_are_the_sampling_grid_tail(start):
    s = flux_sigmas(10)
    inv = rf.inversion_sigmas(s, start)
    assert torch.equal(inv, torch.flip(s[start:], (0,)))
    assert inv[0].item() == 0.0 and inv[-1].item() == s[start].item()


def test_linear_increase_mirrors_linear_decrease():
    """The increasing trend the peers offer: eta (k + 1) / L, reaching eta on the window's last step."""
    up = rf.eta_schedule(0.8, 10, 2, 6, "linear_increase")
    down = rf.eta_schedule(0.8, 10, 2, 6, "linear_decrease")
    assert up[2:6] == pytest.approx(down[2:6][::-1], abs=1e-12) and up[5] == 0.8
    assert up[:2] + up[6:] == [0.0] * 6


@pytest.mark.parametrize("kind", rf.ETA_SCHEDULES)
def test_gamma_takes_a_window_and_a_schedule_as_eta_does(kind):
    plan = rf.inversion_plan(flux_sigmas(8), gamma=0.6, gamma_window=(1, 5), gamma_schedule=kind)
    assert plan.gammas == tuple(rf.eta_schedule(0.6, 8, 1, 5, kind))
    with pytest.raises(rf.RFInputError, match="gamma_schedule must be one of"):
        rf.inversion_plan(flux_sigmas(8), gamma_schedule="rising")
