"""Seeds and randomness (no global RNG), low-precision inputs, video latents."""

from __future__ import annotations

import pytest
import torch

import rf_core as rf
from grids import flux_sigmas
from mixtures import LATENT, mixture, rel_err
from seeded import gen, global_rng_untouched, randn
from exact_fields import GaussianMixture

VIDEO = (2, 3, 4, 6, 6)  # (B, C, T, H, W)
GM_SEED = 81  # the gm fixture's mixture (tests/conftest.py); y0: its samples from gen(1)


# ---------------------------------------------------------------- seeds


@pytest.mark.parametrize("seed", [0, 42, 2**40 + 7])
@pytest.mark.parametrize("shape", [(1, 4, 8, 8), (2, 16, 5, 7), (1, 3, 2, 4, 4)])
def test_seeded_noise_is_torch_manual_seed_randn_without_touching_the_global_rng(seed, shape):
    # what `torch.manual_seed(seed); torch.randn(shape)` gives, computed on a private generator
    expected = randn(shape, seed)
    with global_rng_untouched():
        got = rf.seeded_noise(seed, shape)
    assert got.dtype == torch.float32 and got.device.type == "cpu"
    assert torch.equal(got, expected)
    assert not torch.equal(rf.seeded_noise(seed + 1, shape), got)


def test_step_noise_is_a_pure_function_of_seed_and_step():
    """Each step's draw depends only on (seed, the step's sigma): a second sampler with the same seed, or the same
    step asked again, gives it bit for bit; another step or another seed gives another draw."""
    shape, sigmas = (2, 4, 8, 8), [0.9, 0.5, 0.1]
    with global_rng_untouched():
        first = [rf.step_noise(5, shape)(s) for s in sigmas]
        again = rf.step_noise(5, shape)
        assert all(torch.equal(again(s), d) for s, d in zip(reversed(sigmas), reversed(first)))
    assert all(d.dtype == torch.float32 and d.shape == shape for d in first)
    assert not torch.equal(first[0], first[1])
    assert not torch.equal(rf.step_noise(6, shape)(0.9), first[0])
    draws = torch.stack(first)
    assert abs(draws.mean().item()) < 0.1 and abs(draws.std().item() - 1) < 0.1


def test_global_rng_untouched_by_the_whole_pipeline(gm, y0):
    s = flux_sigmas(6)
    with torch.random.fork_rng(devices=[]):  # the suite's global RNG state is back after the block
        torch.set_rng_state(gen(1234).get_state())  # some state the user chose; nothing in rf_core may move it
        with global_rng_untouched():
            y1 = rf.seeded_noise(3, LATENT)
            z = rf.invert(gm.field(), y0, s, y1, gamma=0.5, start_step=1)
            rf.edit(gm.field([0]), z, y0, s, eta=0.8, start_step=1, stop_step=3, mode="sde",
                    noise_sampler=rf.step_noise(4, LATENT))
            rf.edit(gm.field([0]), z, y0, s, eta=0.8, start_step=1, stop_step=3, mask=torch.ones(1, 1, 8, 8))
            rf.stochastic_sampler(gm.field(), y1, s, noise_sampler=rf.step_noise(4, LATENT))


def test_same_seed_same_result_different_seed_different(gm, y0):
    s = flux_sigmas(8)

    def run(seed):
        y1 = rf.seeded_noise(seed, LATENT)
        z = rf.invert(gm.field(), y0, s, y1, gamma=0.5)
        return rf.edit(gm.field([2]), z, y0, s, eta=0.5, stop_step=3, mode="sde",
                       noise_sampler=rf.step_noise(seed, LATENT))

    a, b, c = run(11), run(11), run(12)
    assert torch.equal(a, b)
    assert (a - c).abs().max() > 1e-3

    def sample(seed):
        return rf.stochastic_sampler(gm.field(), randn(LATENT, 1), s, noise_sampler=rf.step_noise(seed, LATENT))

    assert torch.equal(sample(3), sample(3))
    assert not torch.equal(sample(3), sample(4))


# ---------------------------------------------------------------- low precision


BF16_EPS = torch.finfo(torch.bfloat16).eps
FP16_EPS = torch.finfo(torch.float16).eps


@pytest.mark.parametrize("dtype,eps", [(torch.bfloat16, BF16_EPS), (torch.float16, FP16_EPS)])
@pytest.mark.parametrize("mode", ["ode", "sde"])
def test_low_precision_inputs_keep_a_float32_state(gm, y0, dtype, eps, mode):
    s = flux_sigmas(10)
    y0l, y1l = y0.to(dtype), rf.seeded_noise(3, LATENT).to(dtype)
    states = []

    def v_low(x, sigma):
        return gm.velocity(x, sigma).to(dtype)  # a model running in half precision

    z = rf.invert(v_low, y0l, s, y1l, gamma=0.5, callback=states.append)
    out = rf.edit(v_low, z.to(dtype), y0l, s, eta=0.7, stop_step=4, mode=mode, callback=states.append,
                  noise_sampler=rf.step_noise(5, LATENT))
    assert z.dtype == torch.float32 and out.dtype == torch.float32
    assert all(st["x"].dtype == torch.float32 and st["denoised"].dtype == torch.float32 for st in states)

    # the float32 run from the same (rounded) inputs
    z32 = rf.invert(gm.field(), y0l.float(), s, y1l.float(), gamma=0.5)
    out32 = rf.edit(gm.field(), z.to(dtype).float(), y0l.float(), s, eta=0.7, stop_step=4, mode=mode,
                    noise_sampler=rf.step_noise(5, LATENT))
    # Only the model's outputs were rounded (relative eps / 2 each, scaled by the step sizes, which sum to 1):
    # far below eps / 8. A state kept in half precision would be rounded itself, to ~eps / 4 relative or more.
    assert rel_err(z, z32) < eps / 8
    assert rel_err(out, out32) < eps / 8


def test_low_precision_gamma_and_eta_one_stay_exact(gm, y0):
    s = flux_sigmas(6)
    y0b, y1b = y0.bfloat16(), rf.seeded_noise(3, LATENT).bfloat16()
    z = rf.invert(lambda x, t: gm.velocity(x, t).bfloat16(), y0b, s, y1b, gamma=1.0)
    assert torch.allclose(z, y1b.float(), atol=1e-5, rtol=0)
    out = rf.edit(lambda x, t: gm.velocity(x, t).bfloat16(), y1b, y0b, s, eta=1.0, stop_step=6)
    assert torch.allclose(out, y0b.float(), atol=1e-5, rtol=0)


# ---------------------------------------------------------------- video latents


def _as_image_mixture(gm: GaussianMixture) -> GaussianMixture:
    k, c, t, h, w = gm.means.shape
    return GaussianMixture(gm.means.reshape(k, c * t, h, w), gm.variances.reshape(k, c * t, h, w), gm.weights)


@pytest.mark.parametrize("mode", ["ode", "sde"])
@pytest.mark.parametrize("start", [0, 2])
def test_video_latents_are_frames_stacked_in_channels(mode, start):
    """The maths is shape-agnostic: a (B, C, T, H, W) run equals the same numbers laid out (B, C*T, H, W)."""
    gm = mixture(event=VIDEO[1:], seed=82)
    gm4 = _as_image_mixture(gm)
    img = (VIDEO[0], VIDEO[1] * VIDEO[2], *VIDEO[3:])
    y0 = gm.sample(VIDEO[0], gen(1))
    y1 = rf.seeded_noise(2, VIDEO)
    s = flux_sigmas(8)
    mask = torch.zeros(1, 1, 6, 6)
    mask[..., :3, :] = 1.0

    z5 = rf.invert(gm.field(), y0, s, y1, gamma=0.5, start_step=start)
    z4 = rf.invert(gm4.field(), y0.reshape(img), s, y1.reshape(img), gamma=0.5, start_step=start)
    assert z5.shape == VIDEO
    assert torch.allclose(z5.reshape(img), z4, atol=1e-6, rtol=0)

    kw = dict(eta=0.6, start_step=start, stop_step=start + 3, mode=mode)
    out5 = rf.edit(gm.field([0]), z5, y0, s, noise_sampler=rf.step_noise(3, VIDEO),
                   mask=mask[:, :, None].expand(1, 1, VIDEO[2], 6, 6), **kw)
    out4 = rf.edit(gm4.field([0]), z4, y0.reshape(img), s, noise_sampler=rf.step_noise(3, img), mask=mask, **kw)
    assert out5.shape == VIDEO and torch.isfinite(out5).all()
    assert torch.allclose(out5.reshape(img), out4, atol=1e-5, rtol=0)
    # and the edit did something inside the mask, on every frame
    assert ((out5 - y0)[..., :3, :].abs().mean(dim=(0, 1, 3, 4)) > 1e-2).all()


def test_video_sampler_and_eta_one(gm):
    gmv = mixture(event=VIDEO[1:], seed=83)
    y0 = gmv.sample(VIDEO[0], gen(1))
    s = flux_sigmas(6)
    out = rf.stochastic_sampler(gmv.field(), rf.seeded_noise(1, VIDEO), s,
                                noise_sampler=rf.step_noise(2, VIDEO))
    assert out.shape == VIDEO and torch.isfinite(out).all()
    back = rf.edit(gmv.field([1]), out, y0, s, eta=1.0, stop_step=6, mode="sde",
                   noise_sampler=rf.step_noise(2, VIDEO))
    assert torch.allclose(back, y0, atol=1e-5, rtol=0)


def test_seeded_noise_scale_is_the_models_prior_std():
    """scale (ComfyUI's noise_scale) multiplies the draw; scale 1 is the unscaled draw bit for bit."""
    base = rf.seeded_noise(5, (2, 4, 8, 8))
    assert torch.equal(rf.seeded_noise(5, (2, 4, 8, 8), scale=1.0), base)
    assert torch.equal(rf.seeded_noise(5, (2, 4, 8, 8), scale=8.0), 8.0 * base)
    plain, scaled = rf.step_noise(3, (1, 4)), rf.step_noise(3, (1, 4), scale=8.0)
    for sigma in (0.9, 0.5, 0.1):
        assert torch.equal(scaled(sigma), 8.0 * plain(sigma))
