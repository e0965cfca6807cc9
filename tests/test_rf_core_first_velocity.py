"""The forward ODE's x0_network option: where the inversion's first step reads the model (from the image at
sigma_0 = 0). Off, it is the paper's Euler step; on, it reads the model at sigma_1, for networks that predict x0
and divide by sigma (Chroma Radiance x0, Z-Image pixel space, HiDream-O1), which are not finite at sigma = 0. Off,
a network whose output at 0 is not finite is read at sigma_1 all the same; one not finite elsewhere stops the walk."""

from __future__ import annotations

import logging

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT, Counting, x0_network

EPS32 = torch.finfo(torch.float32).eps
GM_SEED = 21  # the gm fixture's mixture (tests/conftest.py); y0: its samples from gen(1)


def round_trip(velocity, y0, steps, x0_network, read_at=None):
    """gamma = eta = 0 inversion then reconstruction on one grid; mean abs error. read_at overrides the sigma of
    the first read (a read just above 0, for the comparison)."""
    grid = flux_sigmas(steps)
    v = velocity
    if read_at is not None:
        first = [True]

        def v(x, sigma):  # noqa: F811
            if first[0]:
                first[0] = False
                return velocity(x, read_at * float(grid[-2]))
            return velocity(x, sigma)

    y = rf.invert(v, y0, grid, torch.zeros_like(y0), gamma=0.0, x0_network=x0_network)
    x = rf.edit(velocity, y, y0, grid, eta=0.0, stop_step=1)
    return (x - y0).abs().mean().item()


@pytest.mark.parametrize("order", ["euler", "midpoint", "fireflow"])
def test_sigma1_reads_the_first_velocity_at_sigma_1_and_the_rest_on_the_grid(gm, y0, order):
    s = flux_sigmas(6)
    fwd = [float(a) for a in rf.flip_sigmas(s)]
    paper, shifted = Counting(gm.field()), Counting(gm.field())
    rf.invert(paper, y0, s, rf.seeded_noise(7, LATENT), gamma=0.5, order=order)
    rf.invert(shifted, y0, s, rf.seeded_noise(7, LATENT), gamma=0.5, order=order, x0_network=True)
    assert paper.sigmas[0] == 0.0
    assert shifted.sigmas[0] == fwd[1]
    assert shifted.sigmas[1:] == paper.sigmas[1:]


@pytest.mark.parametrize("order", ["euler", "midpoint", "fireflow"])
@pytest.mark.parametrize("steps", [1, 5, 28])
def test_gamma_one_still_lands_on_y1(gm, y0, order, steps):
    """The controller term keeps sigma_0: with gamma = 1 the first step is still on the line to y1."""
    y1 = rf.seeded_noise(7, LATENT)
    out = rf.invert(x0_network(gm), y0, flux_sigmas(steps), y1, gamma=1.0, order=order, x0_network=True)
    tol = 16 * EPS32 * float(torch.maximum(y0.abs().max(), y1.abs().max()))
    assert (out - y1).abs().max().item() <= tol


def test_an_x0_network_not_finite_at_0_is_read_at_sigma_1_without_the_flag(gm, y0, caplog):
    """The paper's step reads an x0 network at 0, where it is not finite: the walk then reads it at sigma_1, says
    so, and lands where x0_network=True does."""
    y1 = rf.seeded_noise(7, LATENT)
    net = Counting(x0_network(gm))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        found = rf.invert(net, y0, flux_sigmas(8), y1, gamma=0.5)
    told = rf.invert(x0_network(gm), y0, flux_sigmas(8), y1, gamma=0.5, x0_network=True)
    assert not torch.isfinite(x0_network(gm)(y0, 0.0)).all()
    assert net.sigmas[:2] == [0.0, float(rf.flip_sigmas(flux_sigmas(8))[1])]
    assert torch.equal(found, told)
    assert any("sigma_1" in r.getMessage() for r in caplog.records), caplog.text


def test_a_velocity_not_finite_above_0_stops_the_inversion_naming_its_sigma(gm, y0):
    """Not finite at a sigma > 0 (here from 0.5 up): an RFInputError at that sigma, never a latent of NaN."""
    field = gm.field()

    def broken(x, sigma):
        return field(x, sigma) * (float("nan") if sigma >= 0.5 else 1.0)

    grid = flux_sigmas(8)
    first_bad = next(float(s) for s in rf.flip_sigmas(grid) if s >= 0.5)
    with pytest.raises(rf.RFInputError, match=f"sigma = {first_bad:.4g} is not finite") as e:
        rf.invert(broken, y0, grid, rf.seeded_noise(7, LATENT), gamma=0.5)
    assert e.value.rule == "velocity_not_finite"


@pytest.mark.parametrize("error", [0.0, 1e-2])
def test_sigma1_round_trip_on_an_x0_network_falls_with_steps(gm, y0, error):
    """An x0 network with or without its own x0 error: the reconstruction error falls about as 1/N."""
    errors = [round_trip(x0_network(gm, error), y0, n, True) for n in (8, 32, 128)]
    assert errors[1] < 0.75 * errors[0] and errors[2] < 0.5 * errors[1], errors


def test_a_read_just_above_zero_multiplies_the_network_error(gm, y0):
    """Why sigma_1 and not sigma = 1e-3 sigma_1: (x - x0_hat) / sigma turns an x0 error of 1e-2 into a velocity error
    of 1e-2 / sigma, and the step of length sigma_1 carries it into the state sigma_1 / sigma times over."""
    net = x0_network(gm, 1e-2)
    near_zero = [round_trip(net, y0, n, False, read_at=1e-3) for n in (8, 32, 128)]
    at_sigma1 = [round_trip(net, y0, n, True) for n in (8, 32, 128)]
    assert all(a > 10 * b for a, b in zip(near_zero, at_sigma1)), (near_zero, at_sigma1)
    assert near_zero[2] > near_zero[0]  # and more steps (a smaller sigma_1 / sigma ratio is not reached) do not help


def test_sigma1_on_the_exact_model_converges_like_the_paper_step(gm, y0):
    """On the exact velocity both first steps reconstruct with an error that halves when steps double."""
    for first in (False, True):
        errors = [round_trip(gm.field(), y0, n, first) for n in (32, 64, 128)]
        assert 0.4 < errors[1] / errors[0] < 0.65 and 0.4 < errors[2] / errors[1] < 0.65, (first, errors)


def test_the_default_is_the_paper_step(gm, y0):
    y1 = rf.seeded_noise(7, LATENT)
    s = flux_sigmas(7)
    assert torch.equal(rf.invert(gm.field(), y0, s, y1, gamma=0.4),
                       rf.invert(gm.field(), y0, s, y1, gamma=0.4, x0_network=False))
