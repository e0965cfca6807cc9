"""The nodes against ComfyUI's OWN samplers and noise (references that share no code with rf_core).

- eta = 0 turns the controlled edit into plain Euler sampling from the inverted latent: it must equal SamplerCustom
  with core euler started from that latent (issue 10, claim 11).
- The inversion's seed gives the noise a KSampler with that seed starts from, also for a latent that carries a
  batch_index (LatentFromBatch, RepeatLatentBatch), as comfy.sample.prepare_noise draws it (claim 12).
- StochasticFluxSampler inpaints through ComfyUI's KSamplerX0Inpaint as core samplers do, and starts partway for
  denoise < 1 (test 14).
"""

from __future__ import annotations

import pytest
import torch

import comfy_harness
import core_reference as core
from builders import (SHAPE, add_invert_sampler, advanced, invert_then_edit, left_half, named_sampler, noise_masked,
                      run_invert, run_named, run_ok, sampled, scheduler)
from executor import Graph
from seeded import randn

pytestmark = pytest.mark.comfyui


def sampler_custom(g, model_link, cond, sigmas_link, latent_link, add_noise, seed=0, sampler="euler"):
    positive = g.cond(cond)
    return g.add("SamplerCustom", model=model_link, add_noise=add_noise, noise_seed=seed, cfg=1.0, positive=positive,
                 negative=positive, sampler=g.out(g.add("KSamplerSelect", sampler_name=sampler)),
                 sigmas=sigmas_link, latent_image=latent_link)


@pytest.mark.parametrize("which", ["flux_dev", "sd3"])
def test_eta_zero_from_a_full_inversion_is_core_euler_from_the_seeds_noise(runner, request, which):
    """gamma = 1 lands the inversion exactly on the noise of its seed; SamplerCustom with that seed starts from the
    same noise, so core euler must give what the edit gives with eta = 0 (guidance 3.5 on both for Flux dev)."""
    model = request.getfixturevalue(which)
    steps, seed, source = 6, 9, randn(SHAPE, 50)
    edit_cond = comfy_harness.conditioning(seed=5)
    if which == "flux_dev":
        edit_cond = core.with_guidance(edit_cond, 3.5)
    g = Graph()
    m, src = g.model(model), g.latent(source)
    _, e = invert_then_edit(g, m, src, steps, edit_cond=edit_cond, inv=dict(gamma=1.0, seed=seed),
                            ed=dict(stop_step=1, eta=0.0))
    ref = sampler_custom(g, m, edit_cond, scheduler(g, m, steps), src, add_noise=True, seed=seed)
    ours, euler = (out["samples"] for out in run_ok(runner, g, e, ref))
    torch.testing.assert_close(ours, euler, rtol=0, atol=1e-5)
    assert (ours - source).abs().mean() > 1e-2  # a real generation, not the source


def test_eta_zero_from_a_partial_inversion_is_core_euler_on_the_grids_tail(runner, sd3):
    """start_step 2: SamplerCustom without noise starts at (1 - sigma_2) * latent_image, so it is given the inverted
    latent divided by (1 - sigma_2) (in model space) and the grid from step 2."""
    steps, start, source = 6, 2, randn(SHAPE, 51)
    g = Graph()
    nodes = invert_then_edit(g, sd3, source, steps, inv=dict(start_step=start),
                             ed=dict(start_step=start, stop_step=start + 1, eta=0.0))
    inverted, ours = (out["samples"] for out in run_ok(runner, g, *nodes))
    grid = core.model_grid(sd3, steps)
    inner = sd3.model
    start_latent = inner.process_latent_out(inner.process_latent_in(inverted) / (1.0 - grid[start]))
    g = Graph()
    ref = sampler_custom(g, g.model(sd3), comfy_harness.conditioning(seed=5), g.sigmas(grid[start:]),
                         g.latent(start_latent), add_noise=False)
    (want,) = run_ok(runner, g, ref)
    torch.testing.assert_close(ours, want["samples"], rtol=0, atol=1e-5)


def test_the_inversion_seed_follows_batch_index_like_a_ksampler(runner, flux_dev):
    """A latent picked from a batch (batch_index [3, 7]) gets the 4th and 8th noise of the seed, as in KSampler."""
    import comfy.sample

    source = randn((2, 16, 8, 8), 52)
    inverted = run_invert(runner, flux_dev, dict(samples=source, batch_index=[3, 7]), 4, gamma=1.0, seed=11,
                          cond=comfy_harness.conditioning(batch=2))
    y1 = comfy.sample.prepare_noise(source, 11, [3, 7])  # ComfyUI's noise for that seed and batch_index
    assert not torch.allclose(y1, comfy.sample.prepare_noise(source, 11))
    torch.testing.assert_close(inverted["samples"], flux_dev.model.process_latent_out(y1), rtol=0, atol=1e-5)


def test_the_sampler_forms_seed_is_the_noise_for_a_latent_without_batch_index(runner, flux_dev):
    """What RFInvertSampler's tooltip says: SamplerCustomAdvanced hands a SAMPLER no batch_index, so its y1 is the
    seed's noise for the latent as if it had none."""
    import comfy.sample

    source = randn((2, 16, 8, 8), 52)
    g = Graph()
    m = g.model(flux_dev)
    s = advanced(g, m, comfy_harness.conditioning(batch=2), add_invert_sampler(g, gamma=1.0, seed=11),
                 g.out(g.add("RFFlipSigmas", sigmas=scheduler(g, m, 4))), dict(samples=source, batch_index=[3, 7]))
    (out,) = run_ok(runner, g, s)
    y1 = comfy.sample.prepare_noise(source, 11)
    torch.testing.assert_close(out["samples"], flux_dev.model.process_latent_out(y1), rtol=0, atol=1e-5)


@pytest.mark.parametrize("which", ["flux_schnell", "sd3"])
def test_stochastic_sampler_inpaints_like_core_samplers(runner, which, request):
    """A noise_mask (SetLatentNoiseMask): outside it every evaluation sees the source re-noised with the run's
    noise (KSamplerX0Inpaint) and the result is the source; noise_scale 0 equals core euler, masked the same way."""
    model = request.getfixturevalue(which)
    source = randn(SHAPE, 53)
    g = Graph()
    masked = noise_masked(g, source, left_half())
    out = run_named(runner, g, {k: sampled(g, model, masked, named_sampler(g, k), noise_seed=3)
                                for k in ("sde", "ode", "euler")})
    torch.testing.assert_close(out["ode"], out["euler"], rtol=0, atol=1e-5)
    for k in ("sde", "ode", "euler"):
        torch.testing.assert_close(out[k][..., 4:], source[..., 4:], rtol=0, atol=1e-5)  # kept outside
        assert (out[k][..., :4] - source[..., :4]).abs().mean() > 1e-2  # generated inside
    assert (out["sde"][..., :4] - out["ode"][..., :4]).abs().mean() > 1e-3


@pytest.mark.parametrize("which", ["flux_schnell", "sd3"])
def test_stochastic_sampler_with_denoise_below_one(runner, pack, which, request):
    """BasicScheduler denoise 0.5: the run starts at the schedule's sigma_0 < 1 from noise_scaling(sigma_0, noise,
    source) as core samplers do; noise_scale 0 equals core euler, 1 equals rf_core's SDE from the same start."""
    import comfy.sample
    import comfy.samplers
    import rf_core

    model = request.getfixturevalue(which)
    source = randn(SHAPE, 54)
    g = Graph()
    src = g.latent(source)
    out = run_named(runner, g, {k: sampled(g, model, src, named_sampler(g, k), noise_seed=4, denoise=0.5)
                                for k in ("sde", "ode", "euler")})
    torch.testing.assert_close(out["ode"], out["euler"], rtol=0, atol=1e-5)
    sampler = comfy.samplers.KSampler(model, steps=6, device="cpu", sampler="euler", scheduler="simple", denoise=0.5)
    grid = sampler.sigmas.cpu()
    assert len(grid) == 7 and 0.0 < float(grid[0]) < 1.0
    noise = comfy.sample.prepare_noise(source, 4)

    def fn(velocity, y0, inner):
        x = inner.model_sampling.noise_scaling(grid[0], noise.to(y0.device), y0)
        return rf_core.stochastic_sampler(velocity, x, grid, noise_sampler=rf_core.step_noise(5, x.shape))

    want = core.run_core(pack, model, comfy_harness.conditioning(seed=5), source, fn, grid)
    torch.testing.assert_close(out["sde"], want, rtol=0, atol=1e-5)
    assert (out["sde"] - out["ode"]).abs().mean() > 1e-3


def test_seed_noise_is_prepare_noise_for_parts_batch_index_and_scale(pack):
    """nodes.latents.seed_noise draws what comfy.sample.prepare_noise draws (one generator, the parts of a nested
    latent in order, one-item draws picked by batch_index), without touching the global RNG, times the scale."""
    import comfy.nested_tensor
    import comfy.sample

    seed_noise = pack.nodes.latents.seed_noise
    shapes = [(2, 4, 3, 2, 2), (2, 2, 5, 3)]
    nested = comfy.nested_tensor.NestedTensor([torch.zeros(s) for s in shapes])
    for index in (None, [2, 0]):
        before = torch.get_rng_state().clone()
        got = seed_noise(9, shapes, index)
        assert torch.equal(torch.get_rng_state(), before)
        want = comfy.sample.prepare_noise(nested, 9, index).unbind()
        assert all(torch.equal(a, b) for a, b in zip(got, want)), index
        scaled = seed_noise(9, shapes, index, scale=8.0)
        assert all(torch.equal(a, 8.0 * b) for a, b in zip(scaled, got))
