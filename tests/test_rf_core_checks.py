"""Input checks: every bad input raises rf_core.RFInputError with a message that says what to change."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT
from seeded import randn

STEPS = 6
GM_SEED = 11  # the gm fixture's mixture (tests/conftest.py); y0: its samples from gen(1)


@pytest.fixture(scope="module")
def setup(gm, y0):
    return gm.field(), y0, randn(LATENT, 2), flux_sigmas(STEPS)


def _ns():
    return rf.step_noise(0, LATENT)


def test_rf_input_error_is_a_value_error():
    assert issubclass(rf.RFInputError, ValueError)


@pytest.mark.parametrize("start,stop", [(3, 3), (4, 2)])
def test_start_not_below_stop(setup, start, stop):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match=r"start .*< stop"):
        rf.edit(v, y1, y0, s, start_step=start, stop_step=stop)
    with pytest.raises(rf.RFInputError, match=r"start .*< stop"):
        rf.eta_schedule(0.9, STEPS, start, stop)


def test_stop_beyond_steps(setup):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match=rf"set stop_step to 2 .* from 1 to {STEPS}"):  # a quarter of 6
        rf.edit(v, y1, y0, s, start_step=0, stop_step=STEPS + 1)
    with pytest.raises(rf.RFInputError, match=str(STEPS)):
        rf.eta_schedule(0.9, STEPS, 0, STEPS + 3)
    with pytest.raises(rf.RFInputError, match="gamma"):
        rf.invert(v, y0, s, y1, gamma_window=(0, STEPS + 1))


@pytest.mark.parametrize("start", [STEPS, STEPS + 2, -1])
def test_start_step_out_of_range(setup, start):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match="start_step"):
        rf.invert(v, y0, s, y1, start_step=start)
    with pytest.raises(rf.RFInputError, match="start_step"):
        rf.edit(v, y1, y0, s, start_step=start, stop_step=STEPS)


def test_sigmas_non_monotone(setup):
    v, y0, y1, _ = setup
    bad = torch.tensor([1.0, 0.5, 0.7, 0.0])
    with pytest.raises(rf.RFInputError, match="decrease strictly"):
        rf.controlled_reverse_ode(v, y1, bad, y0, 0.5)
    with pytest.raises(rf.RFInputError, match="decrease strictly"):
        rf.edit(v, y1, y0, bad, stop_step=2)
    with pytest.raises(rf.RFInputError, match="increase strictly"):
        rf.controlled_forward_ode(v, y0, torch.tensor([0.0, 0.5, 0.3, 1.0]), y1)
    repeated = torch.tensor([1.0, 0.5, 0.5, 0.0])
    with pytest.raises(rf.RFInputError):
        rf.stochastic_sampler(v, y1, repeated, noise_sampler=_ns())


def test_sigmas_wrong_direction(setup):
    v, y0, y1, s = setup
    flipped = rf.flip_sigmas(s)
    with pytest.raises(rf.RFInputError, match="not a flipped one"):
        rf.controlled_reverse_ode(v, y1, flipped, y0, 0.5)
    with pytest.raises(rf.RFInputError, match="not a flipped one"):
        rf.controlled_reverse_sde(v, y1, flipped, y0, 0.5, noise_sampler=_ns())
    with pytest.raises(rf.RFInputError, match="not a flipped one"):
        rf.stochastic_sampler(v, y1, flipped, noise_sampler=_ns())
    with pytest.raises(rf.RFInputError, match="Flip the sampling schedule"):
        rf.controlled_forward_ode(v, y0, s, y1)
    # invert and edit both take the SAMPLING grid: a flipped one is an error there
    with pytest.raises(rf.RFInputError, match="not a flipped one"):
        rf.invert(v, y0, flipped, y1)
    with pytest.raises(rf.RFInputError, match="not a flipped one"):
        rf.edit(v, y1, y0, flipped, stop_step=2)


@pytest.mark.parametrize(
    "bad",
    [[1.5, 0.5, 0.0], [1.0, 0.5, -0.1], [float("nan"), 0.5, 0.0], [float("inf"), 0.5, 0.0]],
)
def test_sigmas_outside_unit_interval(setup, bad):
    v, y0, y1, _ = setup
    with pytest.raises(rf.RFInputError, match=r"\[0, 1\]"):
        rf.controlled_reverse_ode(v, y1, torch.tensor(bad), y0, 0.5)


def test_sigmas_shape(setup):
    v, y0, y1, _ = setup
    with pytest.raises(rf.RFInputError, match="at least 2"):
        rf.controlled_reverse_ode(v, y1, torch.tensor([1.0]), y0, 0.5)
    with pytest.raises(rf.RFInputError, match="1-D"):
        rf.controlled_reverse_ode(v, y1, torch.tensor([[1.0, 0.0]]), y0, 0.5)


@pytest.mark.parametrize(
    "shape,match",
    [((3, 1, 8, 8), "a batch of 3 .* one per image"), ((2, 2, 8, 8), "does not fit"), ((1, 1, 1, 8, 8), "does not fit"),
     ((1, 1, 4, 4), "does not fit"), ((0, 8, 8), "does not fit")],
)
def test_mask_shape_mismatch(setup, shape, match):
    """rf_core takes a mask of shape (1 or B, 1, *spatial); ComfyUI's MASK layouts are the nodes' (test_nodes_masks)."""
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match=match):
        rf.edit(v, y1, y0, s, stop_step=3, mask=torch.ones(shape))


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
def test_mask_values_outside_unit_interval(setup, value):
    v, y0, y1, s = setup
    m = torch.ones(1, 1, 8, 8)
    m[..., 0, 0] = value
    with pytest.raises(rf.RFInputError, match=r"mask values must lie in \[0, 1\]"):
        rf.edit(v, y1, y0, s, stop_step=3, mask=m)
    with pytest.raises(rf.RFInputError, match="mask values"):
        rf.controlled_reverse_sde(v, y1, s, y0, 0.5, noise_sampler=_ns(), mask=m)


@pytest.mark.parametrize("value", [-0.1, 1.01, float("nan")])
def test_gamma_eta_outside_unit_interval(setup, value):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match=r"gamma must be in \[0, 1\]"):
        rf.invert(v, y0, s, y1, gamma=value)
    with pytest.raises(rf.RFInputError, match=r"gamma must be in \[0, 1\]"):
        rf.controlled_forward_ode(v, y0, rf.flip_sigmas(s), y1, [0.5] * (STEPS - 1) + [value])
    with pytest.raises(rf.RFInputError, match=r"eta must be in \[0, 1\]"):
        rf.edit(v, y1, y0, s, eta=value, stop_step=3)
    with pytest.raises(rf.RFInputError, match=r"eta must be in \[0, 1\]"):
        rf.controlled_reverse_ode(v, y1, s, y0, [value] + [0.0] * (STEPS - 1))
    with pytest.raises(rf.RFInputError, match=r"noise_scale must be in \[0, 1\]"):
        rf.stochastic_sampler(v, y1, s, noise_sampler=_ns(), noise_scale=value)


def test_per_step_list_of_wrong_length(setup):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match=f"{STEPS} steps"):
        rf.controlled_reverse_ode(v, y1, s, y0, [0.5] * (STEPS + 1))


def test_unknown_eta_schedule(setup):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match="linear_decrease"):
        rf.edit(v, y1, y0, s, stop_step=3, eta_schedule="cosine")
    with pytest.raises(rf.RFInputError, match="power"):
        rf.eta_schedule(0.5, 4, 0, 2, "power_decay", power=0.0)


def test_unknown_mode(setup):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match="ode, sde"):
        rf.edit(v, y1, y0, s, stop_step=3, mode="euler")


def test_sde_needs_a_noise_sampler(setup):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match="noise_sampler"):
        rf.edit(v, y1, y0, s, stop_step=3, mode="sde")


@pytest.mark.parametrize("order", ["midpoint", "fireflow"])
def test_sde_takes_euler_maruyama_steps_only(setup, order):
    v, y0, y1, s = setup
    with pytest.raises(rf.RFInputError, match=f"order is '{order}': set order to euler, or mode to ode"):
        rf.edit(v, y1, y0, s, stop_step=3, mode="sde", order=order, noise_sampler=_ns())
    with pytest.raises(rf.RFInputError, match="set order to euler"):
        rf.edit_plan(s, stop_step=3, mode="sde", order=order)
    assert rf.edit_plan(s, stop_step=3, mode="sde", order="euler").order == "euler"


@pytest.mark.parametrize("order", [0, 1, 2, "rk4", "Euler", None])
def test_unknown_order(setup, order):
    """Orders are names (rf_core.ORDERS); the old ints 1 and 2 are refused, with the names to use."""
    v, y0, y1, s = setup
    names = "euler, midpoint, fireflow"
    with pytest.raises(rf.RFInputError, match=f"order must be one of {names}"):
        rf.invert(v, y0, s, y1, order=order)
    with pytest.raises(rf.RFInputError, match=f"order must be one of {names}"):
        rf.edit(v, y1, y0, s, stop_step=3, order=order)
    with pytest.raises(rf.RFInputError, match=f"order must be one of {names}"):
        rf.edit(v, y1, y0, s, stop_step=3, order=order, mode="sde", noise_sampler=_ns())


def test_the_orders():
    assert rf.ORDERS == ("euler", "midpoint", "fireflow")


@pytest.mark.parametrize("other", [(2, 4, 8, 4), (2, 3, 8, 8), (3, 4, 8, 8), (4, 8, 8)])
def test_mismatched_latent_shapes(setup, other):
    v, y0, y1, s = setup
    bad = torch.zeros(other)
    with pytest.raises(rf.RFInputError, match="must match"):
        rf.edit(v, y1, bad, s, stop_step=3)
    with pytest.raises(rf.RFInputError, match="must match"):
        rf.controlled_reverse_sde(v, y1, s, bad, 0.5, noise_sampler=_ns())
    with pytest.raises(rf.RFInputError, match="must match"):
        rf.invert(v, y0, s, bad)


def test_batch_one_source_broadcasts(setup):
    """The documented exception to the shape check: a batch-1 y0 / y1 serves a whole batch."""
    v, y0, y1, s = setup
    out = rf.edit(v, y1, y0[:1], s, eta=1.0, stop_step=STEPS)
    assert out.shape == y1.shape
    assert torch.allclose(out, y0[:1].expand_as(out), atol=1e-5)


def test_eta_or_mask_without_source(gm):
    s = flux_sigmas(4)
    x = randn(LATENT, 3)
    # the plain sampler never needs a source; the controlled path refuses a pull without one
    with pytest.raises(rf.RFInputError, match="pass y0"):
        rf.controlled_reverse_ode(gm.field(), x, s, None, 0.5)
    with pytest.raises(rf.RFInputError, match="pass y0"):
        rf.controlled_reverse_ode(gm.field(), x, s, None, 0.0, mask=torch.ones(1, 1, 8, 8))
