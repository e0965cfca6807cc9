"""Inconsistent inputs fail the prompt with an error that says what to change (nothing is clamped silently)."""

from __future__ import annotations

import pytest
import torch

import comfy_harness
from builders import (SHAPE, add_edit, add_edit_sampler, add_invert, add_invert_sampler, advanced, invert_then_edit,
                      named_sampler, noise_masked, sampler_forms, scheduler)
from executor import Graph
from seeded import randn

pytestmark = pytest.mark.comfyui

STEPS, EDIT = 6, dict(stop_step=3)  # the step count and edit window of this module's chains, unless a case sets its own


def fails(runner, g, *fragments):
    run = runner.run(g)
    assert not run.success, "the prompt should have failed"
    for f in fragments:
        assert f in run.error, (f, run.error)
    return run.error


def edit_chain(model, source, reference=None, inv=None, ed=None):
    """builders.invert_then_edit at STEPS steps with the EDIT window, ed and inv on top; its output captured."""
    g = Graph()
    _, e = invert_then_edit(g, model, source, STEPS, reference=reference, inv=inv, ed={**EDIT, **(ed or {})})
    g.capture(g.out(e))
    return g


def test_epsilon_model_is_refused_by_name(runner, sd15):
    latent = randn((1, 4, 8, 8), 0)
    g = Graph()
    i = add_invert(g, sd15, comfy_harness.conditioning(), latent, 4)
    g.capture(g.out(i))
    fails(runner, g, "needs a rectified-flow model", "epsilon model", "Load a flow model")
    g = Graph()
    lat = g.latent(latent)
    e = add_edit(g, sd15, comfy_harness.conditioning(), lat, lat, 4, stop_step=2)
    g.capture(g.out(e))
    fails(runner, g, "needs a rectified-flow model", "epsilon model")


@pytest.mark.parametrize("sampler", ["RFInvertSampler", "StochasticFluxSampler"])
def test_epsilon_model_is_refused_through_the_sampler_forms(runner, sd15, sampler):
    g = Graph()
    m = g.model(sd15)
    sigmas = scheduler(g, m, 4)
    if sampler == "RFInvertSampler":
        sigmas, sampler_link = g.out(g.add("RFFlipSigmas", sigmas=sigmas)), add_invert_sampler(g)
    else:
        sampler_link = named_sampler(g, "sde")  # StochasticFluxSampler
    s = advanced(g, m, comfy_harness.conditioning(), sampler_link, sigmas, randn((1, 4, 8, 8), 0))
    g.capture(g.out(s))
    fails(runner, g, "needs a rectified-flow model", "epsilon model")


@pytest.mark.parametrize(
    "inv, ed, fragments",
    [
        ({}, dict(steps=5), ["made with 6 steps but this edit uses 5", "set steps to 6"]),
        ({}, dict(stop_step=9), ["stop_step (9) is beyond steps (6)", "set stop_step to 2", "from 1 to 6"]),
        (dict(start_step=3), dict(start_step=3, stop_step=3), ["start_step (3) must be below stop_step (3)"]),
        ({}, dict(start_step=2, stop_step=4), ["stops at start_step 0", "set start_step to 0"]),
        (dict(start_step=6), {}, ["start_step (6) must be below steps (6)"]),
        ({}, dict(cfg=2.0), ["no negative conditioning", "set cfg to 1"]),
        (dict(order="midpoint"), dict(mode="sde", order="midpoint"),
         ["Euler-Maruyama", "set order to euler, or mode to ode"]),
        (dict(order="midpoint"), {}, ["made with order midpoint but this edit uses order euler",
                                      "set order to midpoint"]),
        ({}, dict(order="fireflow"), ["made with order euler but this edit uses order fireflow", "set order to euler"]),
    ],
)
def test_inconsistent_steps_and_settings(runner, flux_dev, inv, ed, fragments):
    fails(runner, edit_chain(flux_dev, randn(SHAPE, 1), inv=inv, ed=ed), *fragments)


def test_sigmas_that_do_not_match(runner, flux_dev):
    import comfy.samplers

    other = comfy.samplers.calculate_sigmas(flux_dev.get_model_object("model_sampling"), "beta", 6)
    g = edit_chain(flux_dev, randn(SHAPE, 1), inv=dict(sigmas=other))
    fails(runner, g, "different sigma schedule", "connect the same SIGMAS")
    g = edit_chain(flux_dev, randn(SHAPE, 1), inv=dict(sigmas=other[1:]))  # connected sigmas decide RFInvert's steps: 5
    fails(runner, g, "made with 5 steps but this edit uses 6", "set steps to 5")


def test_masks_of_the_wrong_batch_or_shape(runner, flux_dev):
    source = randn((2, 16, 8, 8), 2)
    fails(runner, edit_chain(flux_dev, source, ed=dict(mask=torch.ones((3, 64, 64)))), "mask has a batch of 3",
          "one per image")
    fails(runner, edit_chain(flux_dev, source, ed=dict(mask=torch.ones((2, 2, 64, 64)))), "does not fit",
          "(H, W), (B, H, W) or (B, 1, H, W)")
    bad = torch.full((1, 8, 8), 2.0)
    fails(runner, edit_chain(flux_dev, source, ed=dict(mask=bad)), "mask values must lie in [0, 1]")
    g = Graph()
    src = g.latent(source)
    _, e = invert_then_edit(g, flux_dev, src, STEPS, reference=noise_masked(g, src, torch.ones((3, 64, 64))),
                            edit_cond=comfy_harness.conditioning(), ed=EDIT)
    g.capture(g.out(e))
    fails(runner, g, "noise_mask has a batch of 3")


def test_four_channel_latents_for_a_sixteen_channel_model(runner, flux_dev):
    four = randn((1, 4, 8, 8), 3)
    g = Graph()
    i = add_invert(g, flux_dev, comfy_harness.conditioning(), four, STEPS)
    g.capture(g.out(i))
    fails(runner, g, "latent has 4 channels but this model works on 16-channel latents", "VAE")
    g = edit_chain(flux_dev, randn(SHAPE, 3), reference=four)
    fails(runner, g, "reference has 4 channels")
    g = Graph()
    inv, _ = sampler_forms(g, flux_dev, four, 4, ed=dict(stop_step=2))
    g.capture(g.out(inv))
    fails(runner, g, "has 4 channels but this model works on 16-channel latents")


def test_reference_batch_must_be_one_or_the_inverted_batch(runner, flux_dev):
    g = edit_chain(flux_dev, randn((2, 16, 8, 8), 4), reference=randn((3, 16, 8, 8), 5))
    fails(runner, g, "reference has shape (3, 16, 8, 8) but inverted has (2, 16, 8, 8)", "one per inverted item")


def test_sampler_forms_check_direction_and_the_inversions_grid(runner, flux_dev):
    g = Graph()
    m = g.model(flux_dev)
    s = advanced(g, m, comfy_harness.conditioning(), add_invert_sampler(g), scheduler(g, m, 4), randn(SHAPE, 6))
    g.capture(g.out(s))
    fails(runner, g, "inversion sigmas must increase", "RFFlipSigmas")
    # RFInvert's output used with the SAMPLER form on another step count
    g = Graph()
    m, src = g.model(flux_dev), g.latent(randn(SHAPE, 6))
    i = add_invert(g, m, comfy_harness.conditioning(), src, STEPS)
    sampler = add_edit_sampler(g, g.out(i), **EDIT)
    s = advanced(g, m, comfy_harness.conditioning(), sampler, scheduler(g, m, 5), src)
    g.capture(g.out(s))
    fails(runner, g, "set steps to 6")


def test_out_of_range_values_are_rejected_before_running(runner, flux_dev):
    g = edit_chain(flux_dev, randn(SHAPE, 7), inv=dict(gamma=1.5))
    run = runner.run(g)
    assert not run.success and run.validation_error is not None
    assert "gamma" in str(run.validation_error)


@pytest.mark.parametrize("edit_boundary, with_low", [(0.9, True), (None, False)])
def test_an_edit_with_another_expert_split_than_the_inversion_is_refused(runner, zoo, edit_boundary, with_low):
    """The inversion record's boundary is compared (it used to be written and never read): two experts switching
    at 0.875 in the inversion, and 0.9 or one model in the edit, would walk the steps on other experts."""
    import model_zoo_video

    family = zoo.BY_NAME["Wan 2.2 A14B T2V (high-noise expert)"]
    high, low, boundary = model_zoo_video.wan22_experts(seed=1, mode="t2v")
    source = randn(family.shape, 3)
    g = Graph()
    lo = g.model(low)
    extra = dict(model_low_noise=lo, boundary=edit_boundary) if with_low else {}
    _, e = invert_then_edit(g, high, source, STEPS, src_cond=family.conditioning(0, source),
                            edit_cond=family.conditioning(5, source), inv=dict(model_low_noise=lo, boundary=boundary),
                            ed=dict(stop_step=2, guidance=0.0, **extra))
    g.capture(g.out(e))
    fails(runner, g, f"made with boundary {boundary}", f"set boundary to {boundary}")
