"""What the nodes do differently for a kind of model, decided by a property ComfyUI gives the model: the sigma at
which an x0-predicting network is first read (models.predicts_x0), and the noise scale of a model whose prior noise
is not unit (model_sampling.noise_scale, HiDream-O1's 8 on ComfyUI 0.30); and by what the network does: one not
finite at sigma = 0 without ComfyUI's marker is read at sigma_1, one not finite elsewhere stops the inversion."""

from __future__ import annotations

import logging

import pytest
import torch

import core_reference as core
import family_runs
from builders import (add_edit_sampler, add_invert, add_invert_sampler, advanced, invert_then_edit, named_sampler,
                      run_invert, run_nodes, run_ok, scheduler)
from executor import Graph

pytestmark = pytest.mark.comfyui

HIDREAM_O1 = "HiDream-O1 (pixel space, noise_scale 8)"


@pytest.fixture(scope="module")
def hidream_o1(zoo):
    family = family_runs.present(zoo, HIDREAM_O1, ": no model with noise_scale != 1 here")
    return family, family.build(seed=1)


def test_the_first_velocity_rule_follows_comfyuis_x0_marker(zoo, pack):
    """x0 networks (ComfyUI's __x0__ buffer, or HiDream-O1) are read at sigma_1 first; every other family at 0."""
    models = pack.nodes.models
    for family in zoo.FAMILIES:
        if family.missing() or family.refuse:
            continue
        model = family.build(seed=1)
        assert models.predicts_x0(model) == family.x0_network, family.name


@pytest.mark.parametrize("name", ["Chroma Radiance (pixel space, x0)", "Z-Image (pixel space, x0)", HIDREAM_O1,
                                  "Chroma Radiance (pixel space)", "Flux.1 dev"])
def test_the_inversion_reads_an_x0_network_first_at_sigma_1(zoo, runner, name):
    family = family_runs.present(zoo, name)
    log: list = []
    model = family_runs.recording_clone(family.build(seed=1), log, "model")
    latent = family.latent(3)
    out = run_invert(runner, model, latent, 4, cond=family.conditioning(0, latent["samples"]))["samples"]
    assert torch.isfinite(out).all()
    grid = core.model_grid(model, 4).flip(0)
    seen = [s for _, s in log]
    assert seen[1:] == pytest.approx([float(s) for s in grid[1:-1]], abs=1e-6)
    assert seen[0] == pytest.approx(float(grid[1]) if family.x0_network else 0.0, abs=1e-7)


ZIMAGE_X0 = "Z-Image (pixel space, x0)"


def test_a_network_not_finite_at_sigma_0_without_the_x0_marker_is_read_at_sigma_1(zoo, runner, caplog):
    """Z-Image pixel space built from a state dict without `__x0__` (use_x0 False) still divides by the timestep:
    RFInvert reads its first step at sigma_1, says so, and inverts exactly as the marked model does."""
    family = zoo.BY_NAME[ZIMAGE_X0]
    marked, unmarked = family.build(seed=1), family.build(seed=1, use_x0=False)
    assert hasattr(marked.get_model_object("diffusion_model"), "__x0__")
    assert not hasattr(unmarked.get_model_object("diffusion_model"), "__x0__")
    latent, cond = family.latent(3), family.conditioning(0, family.latent(3)["samples"])
    log: list = []
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        got = run_invert(runner, family_runs.recording_clone(unmarked, log, "model"), latent, 4, cond=cond)["samples"]
    want = run_invert(runner, marked, latent, 4, cond=cond)["samples"]
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6)
    grid = core.model_grid(unmarked, 4).flip(0)
    assert [s for _, s in log][:2] == pytest.approx([0.0, float(grid[1])], abs=1e-7)  # tried at 0, then sigma_1
    assert any("not finite" in r.getMessage() and "sigma_1" in r.getMessage() for r in caplog.records), caplog.text


def test_a_network_not_finite_above_sigma_0_stops_the_inversion_naming_the_model(zoo, runner):
    """A network that returns NaN at some sigma > 0 (here a wrapper on Flux at sigma >= 0.5): RFInvert stops and
    says which model, at which sigma, rather than returning a latent of NaN."""
    import comfy.patcher_extension

    def nan_above_half(executor, x, t, *args, **kwargs):
        out = executor(x, t, *args, **kwargs)
        return out * float("nan") if float(t.flatten()[0]) >= 0.5 else out

    family = zoo.BY_NAME["Flux.1 dev"]
    model = family.build(seed=1).clone()
    model.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "rf_test_nan", nan_above_half)
    latent = family.latent(3)
    g = Graph()
    run, _ = run_nodes(runner, g, add_invert(g, model, family.conditioning(0, latent["samples"]), latent, 4))
    assert not run.success, "RFInvert returned a latent although the network was not finite"
    grid = core.model_grid(model, 4).flip(0)
    first_bad = next(float(s) for s in grid if s >= 0.5)
    for part in ("Flux", "not finite", f"sigma = {first_bad:.4g}"):
        assert part in run.error, (part, run.error)


def test_the_sde_noise_follows_the_models_noise_scale(hidream_o1, runner, pack):
    """RFControlledSampler's SDE adds noise_scale * xi: it equals rf_core's edit with the scaled noise sampler, and
    not the unit one."""
    family, model = hidream_o1
    assert float(model.get_model_object("model_sampling").noise_scale) == 8.0
    latent = family.latent(3)
    src = latent["samples"]
    ed = dict(steps=4, stop_step=2, eta=0.5, mode="sde", seed=11, guidance=0.0)
    inverted, edited = family_runs.run_pair(runner, model, family, latent, dict(steps=4, seed=2), ed)
    cond = family.conditioning(5, src)
    want = {s: core.core_edit(pack, model, cond, inverted["samples"], src, 4, eta=0.5, start_step=0, stop_step=2,
                              guidance=None, mode="sde", seed=11, noise_scale=s) for s in (8.0, 1.0)}
    torch.testing.assert_close(edited["samples"], want[8.0], rtol=0, atol=1e-4)
    assert (edited["samples"] - want[1.0]).abs().mean() > 1e-2


def test_the_stochastic_sampler_noise_follows_the_models_noise_scale(hidream_o1, runner, pack):
    """StochasticFluxSampler starts from noise_scaling (8 * eps) and adds 8 * xi on the way."""
    import comfy.sample
    import rf_core

    family, model = hidream_o1
    source = family.latent(4)["samples"]
    cond = family.conditioning(5, source)
    g = Graph()
    m = g.model(model)
    s = advanced(g, m, cond, named_sampler(g, "sde"), scheduler(g, m, 4), source,
                 noise=g.out(g.add("RandomNoise", noise_seed=3)))
    got = run_ok(runner, g, s)[0]["samples"]
    grid = core.model_grid(model, 4)
    noise = comfy.sample.prepare_noise(source, 3)

    def fn(scale):
        def run_sde(velocity, y0, inner):
            x = inner.model_sampling.noise_scaling(grid[0], noise.to(y0.device), y0)
            sampler = rf_core.step_noise(4, x.shape, scale=scale)
            return rf_core.stochastic_sampler(velocity, x, grid, noise_sampler=sampler)
        return run_sde

    torch.testing.assert_close(got, core.run_core(pack, model, cond, source, fn(8.0), grid), rtol=0, atol=1e-4)
    assert (got - core.run_core(pack, model, cond, source, fn(1.0), grid)).abs().mean() > 1e-2


def test_ltx2_sampler_chain_equals_the_all_in_one_nodes(zoo, runner):
    """LTX-2's LATENT is a NestedTensor (video, audio); SamplerCustomAdvanced packs it to (B, 1, N) for the SAMPLER
    forms exactly as the all-in-one nodes' guider does: same inversion, same masked edit, bit for bit."""
    family = family_runs.present(zoo, "LTX-2 (audio + video)")
    model, latent = family.build(seed=1), family.latent(3)
    video = family_runs.video_part(latent["samples"])
    src_cond, edit_cond = family.conditioning(0, video), family.conditioning(5, video)
    mask = family_runs.as_mask(family_runs.region(video))
    ed = dict(stop_step=2, eta=0.5, mask=mask)
    g = Graph()
    m, src = g.model(model), g.latent(**latent)
    sched = scheduler(g, m, 4)
    inv = advanced(g, m, src_cond, add_invert_sampler(g, seed=4), g.out(g.add("RFFlipSigmas", sigmas=sched)), src)
    edit = advanced(g, m, edit_cond, add_edit_sampler(g, g.out(inv), **ed), sched, src)
    nodes = invert_then_edit(g, m, src, 4, src_cond=src_cond, edit_cond=edit_cond, inv=dict(seed=4),
                             ed=dict(ed, guidance=0.0))
    chain_inv, chain_edit, all_inv, all_edit = (out["samples"] for out in run_ok(runner, g, inv, edit, *nodes))
    for chain, node in ((chain_inv, all_inv), (chain_edit, all_edit)):
        assert chain.is_nested and len(chain.unbind()) == 2
        for a, b in zip(chain.unbind(), node.unbind()):
            assert torch.equal(a, b)
    edited_video, source_video = all_edit.unbind()[0], video
    r = family_runs.region(video)[None, None].expand_as(edited_video)
    assert (edited_video - source_video)[r == 0].abs().max() < 1e-5
    assert (edited_video - source_video)[r == 1].abs().mean() > 1e-3


def test_the_boundary_tooltip_states_the_zoos_boundaries_and_comfyuis_template_switch(zoo, pack):
    """The boundary input: default 0.875 (text-to-video), 0.9 named for image-to-video (the zoo's WAN22_BOUNDARY),
    and ComfyUI's templates' switch at step 10 of 20 at shift 8 is sigma 0.889 (ModelSamplingSD3 on a Wan model)."""
    import asyncio

    import comfy.samplers
    import model_zoo_video
    import nodes

    tip = pack.nodes.inputs.boundary().tooltip
    assert pack.nodes.inputs.boundary().default == model_zoo_video.WAN22_BOUNDARY["t2v"]
    for value in model_zoo_video.WAN22_BOUNDARY.values():
        assert str(value) in tip
    extras = nodes.__file__.replace("nodes.py", "comfy_extras/nodes_model_advanced.py")
    assert asyncio.run(nodes.load_custom_node(extras, module_parent="comfy_extras"))
    patched = nodes.NODE_CLASS_MAPPINGS["ModelSamplingSD3"]().patch(zoo.BY_NAME["Wan 2.1 T2V"].build(seed=1), 8.0)[0]
    grid = comfy.samplers.calculate_sigmas(patched.get_model_object("model_sampling"), "simple", 20)
    assert f"{float(grid[10]):.3f}" == "0.889" and "sigma 0.889" in tip
