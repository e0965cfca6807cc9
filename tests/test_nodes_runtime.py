"""The nodes in ComfyUI's runtime: masks, seeds, the stochastic sampler, model patches, caching, Cancel, memory."""

from __future__ import annotations

import contextlib
import gc

import pytest
import torch

import comfy_harness
import core_reference as core
from builders import (SHAPE, add_invert, invert_then_edit, left_half, named_sampler, noise_masked, run_invert,
                      run_named, run_ok, sampled)
from executor import Graph, RFTestInterruptAfter, take
from seeded import randn

pytestmark = pytest.mark.comfyui

STEPS, EDIT = 4, dict(stop_step=2, eta=0.5)  # the step count, edit window and strength of this module's chains


def edit_graph(model, source, steps=STEPS, inv=None, ed=EDIT, noise_mask=None):
    """builders.invert_then_edit (ed: the edit's inputs, EDIT unless given), the reference with a noise_mask."""
    g = Graph()
    src = g.latent(source)
    i, e = invert_then_edit(g, model, src, steps, inv=inv, ed=ed,
                            reference=src if noise_mask is None else noise_masked(g, src, noise_mask))
    return g, i, e


def run_edit(runner, *args, **kwargs) -> torch.Tensor:
    g, _, e = edit_graph(*args, **kwargs)
    return run_ok(runner, g, e)[0]["samples"]


def test_mask_edits_inside_and_keeps_the_reference_outside(runner, flux_dev):
    source = randn(SHAPE, 10)
    free = run_edit(runner, flux_dev, source)
    masked = run_edit(runner, flux_dev, source, ed=dict(EDIT, mask=left_half()))
    torch.testing.assert_close(masked[..., 4:], source[..., 4:], rtol=0, atol=1e-5)  # kept
    assert (masked[..., :4] - source[..., :4]).abs().mean() > 1e-2  # edited
    assert (free[..., 4:] - source[..., 4:]).abs().mean() > 1e-2  # without the mask the right half changes too
    # a noise_mask on the reference (SetLatentNoiseMask) is the same mask
    via_noise_mask = run_edit(runner, flux_dev, source, noise_mask=left_half())
    torch.testing.assert_close(via_noise_mask, masked, rtol=0, atol=1e-6)
    # both: the edit is where both allow it (top-left quarter only)
    top = torch.zeros((1, 64, 64))
    top[:, :32, :] = 1.0
    both = run_edit(runner, flux_dev, source, ed=dict(EDIT, mask=left_half()), noise_mask=top)
    torch.testing.assert_close(both[..., 4:, :], source[..., 4:, :], rtol=0, atol=1e-5)
    torch.testing.assert_close(both[..., :, 4:], source[..., :, 4:], rtol=0, atol=1e-5)
    assert (both[..., :4, :4] - source[..., :4, :4]).abs().mean() > 1e-2


def test_sde_mode_is_reproducible_by_seed_and_differs_across_seeds(runner, sd3):
    source = randn(SHAPE, 11)
    opts = lambda seed: dict(EDIT, mode="sde", seed=seed)  # noqa: E731
    a = run_edit(runner, sd3, source, 5, ed=opts(1))
    b = run_edit(runner, sd3, source, 5, ed=opts(1))
    c = run_edit(runner, sd3, source, 5, ed=opts(2))
    ode = run_edit(runner, sd3, source, 5, ed=dict(opts(1), mode="ode"))
    assert torch.equal(a, b)
    assert (a - c).abs().mean() > 1e-3
    assert (a - ode).abs().mean() > 1e-3


def test_inversion_seed_is_the_target_noise(runner, flux_dev):
    """Same seed, same inversion; gamma = 1 lands on exactly the noise a KSampler with that seed starts from."""
    import comfy.sample

    source = randn(SHAPE, 12)
    outs = []
    for seed, gamma in ((3, 0.5), (3, 0.5), (4, 0.5), (3, 1.0)):
        outs.append(run_invert(runner, flux_dev, source, STEPS, gamma=gamma, seed=seed)["samples"])
    assert torch.equal(outs[0], outs[1]) and not torch.allclose(outs[0], outs[2])
    y1 = comfy.sample.prepare_noise(source, 3)  # ComfyUI's noise for seed 3 (model space)
    torch.testing.assert_close(outs[3], flux_dev.model.process_latent_out(y1), rtol=0, atol=1e-5)


@pytest.mark.parametrize("which", ["flux_schnell", "sd3"])
def test_stochastic_flux_sampler(runner, pack, request, which):
    import rf_core

    model = request.getfixturevalue(which)
    g = Graph()
    empty = g.latent(torch.zeros(SHAPE))
    sde = named_sampler(g, "sde")
    out = run_named(runner, g, {
        "a": sampled(g, model, empty, sde, noise_seed=1),
        "b": sampled(g, model, empty, sde, noise_seed=1),
        "c": sampled(g, model, empty, sde, noise_seed=2),
        "ode": sampled(g, model, empty, named_sampler(g, "ode"), noise_seed=1),
        "euler": sampled(g, model, empty, named_sampler(g, "euler"), noise_seed=1),
    })
    assert torch.isfinite(out["a"]).all()
    assert torch.equal(out["a"], out["b"]) and (out["a"] - out["c"]).abs().mean() > 1e-3
    torch.testing.assert_close(out["ode"], out["euler"], rtol=0, atol=1e-5)  # noise_scale 0 = core Euler
    assert (out["a"] - out["ode"]).abs().mean() > 1e-3
    # and it is rf_core's sampler, started from ComfyUI's noise for the seed, xi from seed + 1
    grid = core.model_grid(model, 6)

    def fn(velocity, y0, inner):
        x = rf_core.seeded_noise(1, y0.shape).to(y0.device)
        return rf_core.stochastic_sampler(velocity, x, grid, noise_sampler=rf_core.step_noise(2, x.shape))

    want = core.run_core(pack, model, comfy_harness.conditioning(seed=5), torch.zeros(SHAPE), fn, grid)
    torch.testing.assert_close(out["a"], want, rtol=0, atol=1e-5)


def test_model_patches_are_respected(runner, pack, flux_dev):
    """A weight patch (what a LoRA loader adds) changes the velocity the nodes use."""
    key = "diffusion_model.final_layer.linear.weight"
    weight = flux_dev.model.state_dict()[key]
    patched = flux_dev.clone()
    patched.add_patches({key: (randn(weight.shape, 0, scale=0.05),)}, 1.0)
    source = randn(SHAPE, 13)
    results = []
    for model in (flux_dev, patched, flux_dev):  # ComfyUI's memory management swaps the patch in and out
        results.append(run_invert(runner, model, source, STEPS, seed=1)["samples"])
    assert (results[0] - results[1]).abs().mean() > 1e-3
    want = core.core_invert(pack, patched, comfy_harness.conditioning(), source, 4, gamma=0.5, seed=1)
    torch.testing.assert_close(results[1], want, rtol=0, atol=1e-5)
    assert torch.equal(results[0], results[2])


def test_inversion_is_cached_when_only_edit_inputs_change(fresh_runner, flux_dev):
    runner = fresh_runner
    source = randn(SHAPE, 14)
    g, i, e = edit_graph(flux_dev, source)
    name = g.capture(g.out(e))
    first = runner.run(g)
    assert first.success and i in first.executed and e in first.executed
    a = take(name)["samples"]
    for field, value in (("eta", 0.8), ("stop_step", 3), ("mode", "sde"), ("guidance", 2.0)):
        g.prompt[e]["inputs"][field] = value
        again = runner.run(g)
        assert again.success, again.error
        assert i in again.cached and i not in again.executed, field
        assert e in again.executed, field
    assert not torch.equal(a, take(name)["samples"])
    g.prompt[i]["inputs"]["gamma"] = 0.3  # an inversion input: the inversion runs again
    rerun = runner.run(g)
    assert rerun.success and i in rerun.executed


def test_cancel_stops_within_one_step_and_comfyui_stays_usable(fresh_runner, flux_dev):
    import comfy.model_management

    runner = fresh_runner
    source = randn(SHAPE, 15)
    g = Graph()
    m = g.out(g.add("RFTestInterruptAfter", model=g.model(flux_dev), evaluations=3, key="cancel"))
    i = add_invert(g, m, comfy_harness.conditioning(), source, 6)
    g.capture(g.out(i))
    run = runner.run(g)
    assert not run.success and run.interrupted
    assert RFTestInterruptAfter.COUNTS["cancel"] == 3  # the next model evaluation never started
    assert not comfy.model_management.processing_interrupted()
    # the same session runs the next prompt normally
    g2, _, e = edit_graph(flux_dev, source)
    name = g2.capture(g2.out(e))
    ok = runner.run(g2)
    assert ok.success, ok.error
    assert torch.isfinite(take(name)["samples"]).all()


def _tensor_count() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if issubclass(type(o), torch.Tensor))


def test_no_memory_growth_over_repeated_runs(fresh_runner, flux_dev):
    runner = fresh_runner
    source = randn((2, 16, 8, 8), 16)
    g, i, e = edit_graph(flux_dev, source)
    name = g.capture(g.out(e))
    counts = []
    for seed in range(6):  # a new seed each time: both nodes run again, old results are dropped from the cache
        g.prompt[i]["inputs"]["seed"] = seed
        g.prompt[e]["inputs"]["seed"] = seed
        run = runner.run(g)
        assert run.success, run.error
        take(name)
        counts.append(_tensor_count())
    assert max(counts[2:]) <= counts[1], counts


def progress_is_throttled() -> bool:
    """ComfyUI 0.9.2+ throttles ProgressBar updates that carry no preview (it always sends the first, the last
    and every update with a preview); older versions send every update."""
    import comfy.utils

    return hasattr(comfy.utils, "PROGRESS_THROTTLE_MIN_INTERVAL")


@contextlib.contextmanager
def preview_method(method):
    """args.preview_method for the block (0.3.64 reads only this; newer versions also take it per prompt)."""
    import comfy.cli_args

    before = comfy.cli_args.args.preview_method
    comfy.cli_args.args.preview_method = method
    try:
        yield
    finally:
        comfy.cli_args.args.preview_method = before


@pytest.mark.parametrize("previews", ["latent2rgb", "none"])
def test_progress_bar_counts_the_steps_of_each_node(fresh_runner, flux_dev, previews):
    """ComfyUI's progress hook (set by the server; here a recorder) sees the steps, in the node that runs them.

    With live previews every step is an update ComfyUI always sends, so every step must arrive, with its
    preview, on every version. Without previews newer ComfyUI drops some middle steps on purpose: then the
    first and last step of each node must still arrive, in order, and nothing else may."""
    import comfy.cli_args
    import comfy.utils

    runner = fresh_runner
    seen = []
    g, _, e = edit_graph(flux_dev, randn(SHAPE, 17), 5, inv=dict(start_step=2),
                         ed=dict(start_step=2, stop_step=4, eta=0.9))
    g.capture(g.out(e))
    previous = comfy.utils.PROGRESS_BAR_HOOK
    comfy.utils.set_progress_bar_global_hook(
        lambda value, total, preview, node_id=None: seen.append((value, total, preview is not None)))
    method = comfy.cli_args.LatentPreviewMethod.from_string(previews)
    try:
        with preview_method(method):
            run = runner.run(g, preview_method=previews)
    finally:
        comfy.utils.set_progress_bar_global_hook(previous)
    assert run.success, run.error
    # the inversion walks steps 5 -> 2 of the grid (3 steps); the edit runs steps 2..4 of 5
    # (the hook's node_id is None here: the server's hook finds the node from its executing context)
    every = [(1, 3), (2, 3), (3, 3), (3, 5), (4, 5), (5, 5)]
    got = [(value, total) for value, total, _ in seen]
    assert all(has_preview == (previews != "none") for _, _, has_preview in seen), seen
    if previews != "none" or not progress_is_throttled():
        assert got == every
    else:
        assert got[0] == (1, 3) and (3, 3) in got and (3, 5) in got and got[-1] == (5, 5), got
        assert got == [step for step in every if step in got], got  # in order, no step twice, none invented
