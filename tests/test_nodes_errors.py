"""Inconsistent inputs fail the prompt with an error that says what to change (nothing is clamped silently)."""

from __future__ import annotations

import pytest
import torch

import comfy_harness
from node_helpers_graph import SHAPE, Graph, Runner, add_edit, add_invert, power_user_graph, randn, setup
from node_helpers_graph import one_thread_per_module  # noqa: F401  (module fixture)

pytestmark = pytest.mark.comfyui


@pytest.fixture(scope="module")
def runner(pack):
    setup(pack)
    return Runner()


@pytest.fixture(scope="module")
def sd15(comfy):
    return comfy_harness.tiny_sd15(seed=4)


def fails(runner, g, *fragments):
    run = runner.run(g)
    assert not run.success, "the prompt should have failed"
    for f in fragments:
        assert f in run.error, (f, run.error)
    return run.error


def edit_chain(model, source, reference=None, inv=None, ed=None, mask=None, sigmas_inv=None):
    g = Graph()
    m, src = g.model(model), g.latent(source)
    inv = dict(steps=6, **(inv or {}))
    if sigmas_inv is not None:
        inv["sigmas"] = g.sigmas(sigmas_inv)
    i = add_invert(g, m, g.cond(comfy_harness.conditioning()), src, **inv)
    ref = src if reference is None else g.latent(reference)
    extra = {} if mask is None else {"mask": g.mask(mask)}
    e = add_edit(g, m, g.cond(comfy_harness.conditioning(seed=5)), g.out(i), ref,
                 **dict(dict(steps=6, stop_step=3), **(ed or {})), **extra)
    g.capture(g.out(e))
    return g


def test_epsilon_model_is_refused_by_name(runner, sd15):
    latent = randn((1, 4, 8, 8), 0)
    g = Graph()
    i = add_invert(g, g.model(sd15), g.cond(comfy_harness.conditioning()), g.latent(latent), 4)
    g.capture(g.out(i))
    fails(runner, g, "needs a rectified-flow model", "epsilon model", "Load a flow model")
    g = Graph()
    m, lat = g.model(sd15), g.latent(latent)
    e = add_edit(g, m, g.cond(comfy_harness.conditioning()), lat, lat, 4, stop_step=2)
    g.capture(g.out(e))
    fails(runner, g, "needs a rectified-flow model", "epsilon model")


@pytest.mark.parametrize("sampler", ["RFInvertSampler", "StochasticFluxSampler"])
def test_epsilon_model_is_refused_through_the_sampler_forms(runner, sd15, sampler):
    g = Graph()
    m = g.model(sd15)
    sched = g.add("BasicScheduler", model=m, scheduler="simple", steps=4, denoise=1.0)
    sigmas = g.add("RFFlipSigmas", sigmas=g.out(sched)) if sampler == "RFInvertSampler" else sched
    opts = dict(gamma=0.5, seed=0) if sampler == "RFInvertSampler" else dict(noise_scale=1.0)
    s = g.add("SamplerCustomAdvanced", noise=g.out(g.add("DisableNoise")),
              guider=g.out(g.add("BasicGuider", model=m, conditioning=g.cond(comfy_harness.conditioning()))),
              sampler=g.out(g.add(sampler, **opts)), sigmas=g.out(sigmas), latent_image=g.latent(randn((1, 4, 8, 8), 0)))
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
    g = edit_chain(flux_dev, randn(SHAPE, 1), sigmas_inv=other)
    fails(runner, g, "different sigma schedule", "connect the same SIGMAS")
    g = edit_chain(flux_dev, randn(SHAPE, 1), sigmas_inv=other[1:])  # connected sigmas decide RFInvert's steps: 5
    fails(runner, g, "made with 5 steps but this edit uses 6", "set steps to 5")


def test_masks_of_the_wrong_batch_or_shape(runner, flux_dev):
    source = randn((2, 16, 8, 8), 2)
    fails(runner, edit_chain(flux_dev, source, mask=torch.ones((3, 64, 64))), "mask has a batch of 3", "one per image")
    fails(runner, edit_chain(flux_dev, source, mask=torch.ones((2, 2, 64, 64))), "does not fit",
          "(H, W), (B, H, W) or (B, 1, H, W)")
    bad = torch.full((1, 8, 8), 2.0)
    fails(runner, edit_chain(flux_dev, source, mask=bad), "mask values must lie in [0, 1]")
    g = Graph()
    m, src = g.model(flux_dev), g.latent(source)
    i = add_invert(g, m, g.cond(comfy_harness.conditioning()), src, 6)
    ref = g.out(g.add("SetLatentNoiseMask", samples=src, mask=g.mask(torch.ones((3, 64, 64)))))
    e = add_edit(g, m, g.cond(comfy_harness.conditioning()), g.out(i), ref, 6, stop_step=3)
    g.capture(g.out(e))
    fails(runner, g, "noise_mask has a batch of 3")


def test_four_channel_latents_for_a_sixteen_channel_model(runner, flux_dev):
    four = randn((1, 4, 8, 8), 3)
    g = Graph()
    i = add_invert(g, g.model(flux_dev), g.cond(comfy_harness.conditioning()), g.latent(four), 6)
    g.capture(g.out(i))
    fails(runner, g, "latent has 4 channels but this model works on 16-channel latents", "VAE")
    g = edit_chain(flux_dev, randn(SHAPE, 3), reference=four)
    fails(runner, g, "reference has 4 channels")
    g = Graph()
    inv, _ = power_user_graph(g, flux_dev, four, 4, 0, dict(gamma=0.5, seed=0), dict(stop_step=2, eta=0.9,
                              eta_schedule="constant", mode="ode", seed=0))
    g.capture(g.out(inv))
    fails(runner, g, "has 4 channels but this model works on 16-channel latents")


def test_reference_batch_must_be_one_or_the_inverted_batch(runner, flux_dev):
    g = edit_chain(flux_dev, randn((2, 16, 8, 8), 4), reference=randn((3, 16, 8, 8), 5))
    fails(runner, g, "reference has shape (3, 16, 8, 8) but inverted has (2, 16, 8, 8)", "one per inverted item")


def test_sampler_forms_check_direction_and_the_inversions_grid(runner, flux_dev):
    g = Graph()
    m = g.model(flux_dev)
    sched = g.add("BasicScheduler", model=m, scheduler="simple", steps=4, denoise=1.0)
    s = g.add("SamplerCustomAdvanced", noise=g.out(g.add("DisableNoise")),
              guider=g.out(g.add("BasicGuider", model=m, conditioning=g.cond(comfy_harness.conditioning()))),
              sampler=g.out(g.add("RFInvertSampler", gamma=0.5, seed=0)), sigmas=g.out(sched),
              latent_image=g.latent(randn(SHAPE, 6)))
    g.capture(g.out(s))
    fails(runner, g, "inversion sigmas must increase", "RFFlipSigmas")
    # RFInvert's output used with the SAMPLER form on another step count
    g = Graph()
    m, src = g.model(flux_dev), g.latent(randn(SHAPE, 6))
    i = add_invert(g, m, g.cond(comfy_harness.conditioning()), src, 6)
    sched = g.add("BasicScheduler", model=m, scheduler="simple", steps=5, denoise=1.0)
    sampler = g.add("RFControlledSamplerSampler", inverted=g.out(i), start_step=0, stop_step=3, eta=0.9,
                    eta_schedule="constant", mode="ode", seed=0)
    s = g.add("SamplerCustomAdvanced", noise=g.out(g.add("DisableNoise")),
              guider=g.out(g.add("BasicGuider", model=m, conditioning=g.cond(comfy_harness.conditioning()))),
              sampler=g.out(sampler), sigmas=g.out(sched), latent_image=src)
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
    hi, lo, src = g.model(high), g.model(low), g.latent(source)
    i = add_invert(g, hi, g.cond(family.conditioning(0, source)), src, 6, model_low_noise=lo, boundary=boundary)
    extra = dict(model_low_noise=lo, boundary=edit_boundary) if with_low else {}
    e = add_edit(g, hi, g.cond(family.conditioning(5, source)), g.out(i), src, 6, stop_step=2, guidance=0.0, **extra)
    g.capture(g.out(e))
    fails(runner, g, f"made with boundary {boundary}", f"set boundary to {boundary}")
