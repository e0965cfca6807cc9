"""Masks do what the tooltips say, on image AND video latents, or the edit is refused with how to fix it.

ComfyUI's convention (its guider's reshape_mask): a MASK's batch is images for an image latent (B, C, H, W) and
frames for a video latent (B, C, T, H, W); any size is resized to the latent. Issue 10, bugs 1, 3 and 4.
"""

from __future__ import annotations

import pytest
import torch

import comfy_harness
from builders import (SHAPE, add_edit_sampler, add_invert, add_invert_sampler, advanced, invert_then_edit, left_half,
                      noise_masked, run_nodes, scheduler)
from executor import Graph, take
from seeded import randn

pytestmark = pytest.mark.comfyui

VIDEO = (1, 16, 3, 8, 8)  # (B, C, T, H, W): 3 latent frames of 8 x 8
STEPS, EDIT = 4, dict(stop_step=2, eta=0.5)  # the step count, edit window and strength of this module's chains


def edit(runner, model, source, mask=None, noise_mask=None, inv_noise_mask=None):
    """builders.invert_then_edit at STEPS with EDIT and the mask input; noise_mask goes on the reference,
    inv_noise_mask on RFInvert's latent. Returns (edited samples or None, run)."""
    g = Graph()
    src = g.latent(source)
    inv_src = src if inv_noise_mask is None else noise_masked(g, src, inv_noise_mask)
    ref = src if noise_mask is None else noise_masked(g, src, noise_mask)
    _, e = invert_then_edit(g, model, inv_src, STEPS, reference=ref, ed=EDIT if mask is None else dict(EDIT, mask=mask))
    run, outs = run_nodes(runner, g, e)
    return (outs[0]["samples"], run) if run.success else (None, run)


def edited(runner, *args, **kwargs) -> torch.Tensor:
    out, run = edit(runner, *args, **kwargs)
    assert run.success, run.error
    return out


def assert_kept_right_edited_left(out, source):
    torch.testing.assert_close(out[..., 4:], source[..., 4:], rtol=0, atol=1e-5)  # kept
    assert (out[..., :4] - source[..., :4]).abs().mean() > 1e-2  # edited


# bug 1: masks on video latents


@pytest.mark.parametrize("frames", [1, 3, 9])
def test_a_mask_limits_a_video_edit_for_any_number_of_mask_frames(runner, wan21, frames):
    """A MASK of 1 frame applies to every frame; 3 or 9 frames are resized to the 3 latent frames, as ComfyUI
    resizes a video noise_mask. Before the fix every multi-frame latent refused any mask."""
    source = randn(VIDEO, 20)
    out = edited(runner, wan21, source, mask=left_half(frames))
    assert out.shape == source.shape
    assert_kept_right_edited_left(out, source)


def test_mask_and_noise_mask_are_the_same_on_video(runner, wan21):
    source = randn((2, 16, 3, 8, 8), 21)  # two videos of three frames: the MASK's batch (3) is frames
    by_mask = edited(runner, wan21, source, mask=left_half(3))
    by_noise_mask = edited(runner, wan21, source, noise_mask=left_half(3))
    assert_kept_right_edited_left(by_mask, source)
    torch.testing.assert_close(by_noise_mask, by_mask, rtol=0, atol=1e-6)


def test_a_mask_that_differs_per_frame_is_followed_per_frame(runner, wan21):
    source = randn(VIDEO, 22)
    mask = torch.zeros((3, 64, 64))
    mask[1] = 1.0  # edit only the middle frame
    out = edited(runner, wan21, source, mask=mask)
    torch.testing.assert_close(out[:, :, [0, 2]], source[:, :, [0, 2]], rtol=0, atol=1e-5)
    assert (out[:, :, 1] - source[:, :, 1]).abs().mean() > 1e-2


def test_image_mask_batch_must_still_be_one_or_the_image_batch(runner, flux_dev):
    _, run = edit(runner, flux_dev, randn((2, 16, 8, 8), 23), mask=left_half(3))
    assert not run.success and "mask has a batch of 3" in run.error and "one per image" in run.error


# bug 3: an all-zero mask is refused


@pytest.mark.parametrize("where", ["mask", "noise_mask"])
def test_an_empty_mask_is_refused_with_the_mask_editor_hint(runner, flux_dev, where):
    """LoadImage gives an all-zero MASK for an image without alpha (ComfyUI's example.png): the edit would return
    the source unchanged, silently. It must say to paint the region in the Mask Editor."""
    _, run = edit(runner, flux_dev, randn(SHAPE, 24), **{where: torch.zeros((1, 64, 64))})
    assert not run.success
    assert "Mask Editor" in run.error and "empty" in run.error, run.error
    assert ("noise_mask" if where == "noise_mask" else "mask") in run.error


def test_a_painted_region_smaller_than_a_latent_pixel_is_refused(runner, flux_dev):
    tiny = torch.zeros((1, 64, 64))
    tiny[:, 0, 0] = 1.0  # one image pixel: nothing left at the 8 x 8 latent's resolution
    _, run = edit(runner, flux_dev, randn(SHAPE, 25), mask=tiny)
    assert not run.success and "smaller than one latent pixel" in run.error, run.error


# bug 4: a noise_mask on RFInvert's input latent


def test_a_noise_mask_on_the_inverted_source_limits_the_edit(runner, flux_dev):
    """SetLatentNoiseMask before RFInvert: the inversion covers the whole image, the mask travels in its output and
    the edit keeps the reference outside it, exactly as the same mask on the edit's `mask` input does."""
    source = randn(SHAPE, 26)
    via_inversion = edited(runner, flux_dev, source, inv_noise_mask=left_half())
    assert_kept_right_edited_left(via_inversion, source)
    torch.testing.assert_close(via_inversion, edited(runner, flux_dev, source, mask=left_half()), rtol=0, atol=1e-6)


def test_the_same_soft_mask_through_two_paths_counts_once(runner, flux_dev):
    """One soft mask on both the inverted source and the reference is one mask, not its square."""
    source = randn(SHAPE, 27)
    soft = torch.full((1, 64, 64), 0.5)
    soft[..., 32:] = 0.0
    once = edited(runner, flux_dev, source, mask=soft)
    both = edited(runner, flux_dev, source, noise_mask=soft, inv_noise_mask=soft)
    torch.testing.assert_close(both, once, rtol=0, atol=1e-6)


# issue 11: a noise_mask the model would read as per-token timesteps (LTXV, LTX-2, Wan 2.2 TI2V)


def sampler_form(g, model, cond, latent_link, sampler_link, flip=False):
    """builders.advanced on the model's STEPS-step schedule (flip: RFFlipSigmas of it, for the inversion)."""
    m = g.model(model)
    sigmas = scheduler(g, m, STEPS)
    if flip:
        sigmas = g.out(g.add("RFFlipSigmas", sigmas=sigmas))
    return advanced(g, m, cond, sampler_link, sigmas, latent_link)


@pytest.mark.parametrize("which", ["inversion", "edit"])
def test_the_sampler_forms_refuse_a_noise_mask_ltxv_reads_as_timesteps(runner, comfy, which):
    """SamplerCustomAdvanced hands latent_image's noise_mask to the model; LTXV would turn it into timestep 0 outside
    the mask while RF-Inversion keeps the outside at the step's noise level. The all-in-one nodes take it."""
    import model_zoo

    family = model_zoo.BY_NAME["LTXV"]
    model, latent = family.build(seed=1), family.latent(3)
    cond = family.conditioning(0, latent["samples"])
    mask = torch.zeros((3, 4, 4))
    mask[..., :2] = 1.0
    g = Graph()
    masked = noise_masked(g, latent, mask)
    if which == "inversion":
        s = sampler_form(g, model, cond, masked, add_invert_sampler(g), flip=True)
    else:
        inv = add_invert(g, model, cond, latent, STEPS)
        s = sampler_form(g, model, cond, masked, add_edit_sampler(g, g.out(inv), **EDIT))
    g.capture(g.out(s))
    run = runner.run(g)
    assert not run.success
    for words in ("noise_mask", "per-token timesteps", "LTXV", "RFControlledSamplerSampler's mask input",
                  "RFControlledSampler"):
        assert words in run.error, (words, run.error)


def test_the_sampler_form_still_takes_a_noise_mask_an_image_model_ignores(runner, flux_dev):
    """Flux dev's conditioning does not read a noise_mask: in the SAMPLER form it is the edit's mask, as before."""
    source = randn(SHAPE, 8)
    g = Graph()
    inv = add_invert(g, flux_dev, comfy_harness.conditioning(seed=0), source, STEPS)
    outs = []
    for masked in (True, False):
        ref = noise_masked(g, source, left_half()) if masked else g.latent(source)
        sampler = add_edit_sampler(g, g.out(inv), **(EDIT if masked else dict(EDIT, mask=left_half())))
        outs.append(g.capture(g.out(sampler_form(g, flux_dev, comfy_harness.conditioning(seed=5), ref, sampler))))
    run = runner.run(g)
    assert run.success, run.error
    via_noise_mask, via_mask = (take(n)["samples"] for n in outs)
    torch.testing.assert_close(via_noise_mask, via_mask, rtol=0, atol=1e-6)
    assert_kept_right_edited_left(via_noise_mask, source)


# ComfyUI's MASK layouts, made into rf_core's (1 or B, 1, *spatial) mask by nodes/masks.py (no ComfyUI run needed)


@pytest.mark.parametrize(
    "shape,match",
    [((3, 8, 8), "a batch of 3 .* one per image"), ((2, 2, 8, 8), "does not fit"), ((1, 1, 1, 8, 8), "does not fit"),
     ((0, 8, 8), "does not fit")],
)
def test_mask_shape_mismatch(pack, shape, match):
    with pytest.raises(pack.rf_core.RFInputError, match=match):
        pack.nodes.masks.latent_mask("mask", torch.ones(shape), torch.zeros((2, 4, 8, 8)))


def test_a_mask_of_another_size_is_resized_as_comfyui_resizes_a_noise_mask(pack):
    """Bilinear to the latent's H x W (torch's interpolate, as ComfyUI's reshape_mask): a 16 x 16 mask of 2 x 2
    blocks is the 8 x 8 mask."""
    small = (torch.arange(64).reshape(8, 8) % 3 == 0).float()
    big = small.repeat_interleave(2, 0).repeat_interleave(2, 1)
    x = torch.zeros((2, 4, 8, 8))
    assert torch.equal(pack.nodes.masks.latent_mask("mask", big, x), small.reshape(1, 1, 8, 8))
    assert torch.equal(pack.nodes.masks.latent_mask("mask", small, x), small.reshape(1, 1, 8, 8))


def test_a_video_mask_is_frames(pack):
    """For (B, C, T, H, W) a mask's leading dim is frames (ComfyUI's video noise_mask): T frames are resized to the
    latent's frames, one frame covers all of them."""
    latent_mask = pack.nodes.masks.latent_mask
    x = torch.zeros((2, 4, 3, 8, 8))
    per_frame = torch.stack([torch.full((8, 8), float(k + 1) / 3) for k in range(3)])
    assert torch.equal(latent_mask("mask", per_frame, x), per_frame.reshape(1, 1, 3, 8, 8))
    assert torch.equal(latent_mask("mask", torch.ones((8, 8)), x), torch.ones((1, 1, 3, 8, 8)))
    assert latent_mask("mask", torch.ones((5, 1, 16, 16)), x).shape == (1, 1, 3, 8, 8)
    with pytest.raises(pack.rf_core.RFInputError, match="a batch of 3"):
        latent_mask("mask", torch.ones((3, 1, 3, 8, 8)), x)


def test_an_audio_mask_is_one_row_over_time(pack):
    """For a 1-D latent (B, C, L) (ACE-Step 1.5 audio) a mask is a row over time, resized linearly to L as ComfyUI's
    reshape_mask does for 1-D latents: (L,) or (1, L) for all items, (Bm, 1, L) per item, and SetLatentNoiseMask's
    (Bm, 1, 1, L). A mask with more than one row has no meaning over time: refused."""
    latent_mask = pack.nodes.masks.latent_mask
    x = torch.zeros((2, 64, 8))
    row = (torch.arange(8) < 4).float()
    want = row.reshape(1, 1, 8)
    for m in (row, row[None], row[None, None], row[None, None, None]):
        assert torch.equal(latent_mask("mask", m, x), want), tuple(m.shape)
    assert torch.equal(latent_mask("mask", row.repeat_interleave(2)[None], x), want)  # 16 -> 8, linear
    assert latent_mask("mask", torch.ones((2, 1, 8)), x).shape == (2, 1, 8)
    with pytest.raises(pack.rf_core.RFInputError, match=r"one row over time"):
        latent_mask("mask", torch.ones((1, 4, 8)), x)


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan")])
def test_mask_values_outside_unit_interval_are_refused_before_resizing(pack, value):
    """A bad value at one pixel of a larger mask is refused, even where resizing would skip that pixel."""
    m = torch.ones(64, 64)
    m[0, 0] = value
    with pytest.raises(pack.rf_core.RFInputError, match=r"mask values must lie in \[0, 1\]"):
        pack.nodes.masks.latent_mask("mask", m, torch.zeros((1, 4, 8, 8)))
