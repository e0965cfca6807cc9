"""Wiring mistakes, extreme values and unusual models fail with a message that says what to change.

Issue 10, bugs 5 (inverted and reference swapped), 6 (the largest noise seed), 7 (more steps than a discrete-flow
model has noise levels), 8 (the sigma = 0 velocity read), and the Design items: connected sigmas decide the step
count; Flux schnell's 4 steps meet stop_step 7 with a value to use.
"""

from __future__ import annotations

import pytest
import torch

import comfy_harness
import core_reference as core
from builders import SHAPE, add_invert, advanced, invert_then_edit, named_sampler, run_nodes, run_ok, sampled, scheduler
from executor import Graph
from seeded import randn

pytestmark = pytest.mark.comfyui

MAX_SEED = 0xFFFFFFFFFFFFFFFF
STEPS, EDIT = 4, dict(stop_step=2)  # the step count and edit window of this module's chains, unless a test sets its own


def run_chain(runner, model, source, inv=None, ed=None, swap=False, ref_is_inverted=False):
    """builders.invert_then_edit at STEPS with the EDIT window, inv and ed on top; swap: the source as 'inverted' and
    RFInvert's output as 'reference'; ref_is_inverted: RFInvert's output as both. Returns (run, (inverted, edited
    samples) or None)."""
    g = Graph()
    src = g.latent(source)
    i, e = invert_then_edit(g, model, src, STEPS, inv=inv, ed={**EDIT, **(ed or {})})
    if swap:
        g.prompt[e]["inputs"].update(inverted=src, reference=g.out(i))
    elif ref_is_inverted:
        g.prompt[e]["inputs"]["reference"] = g.out(i)
    run, outs = run_nodes(runner, g, i, e)
    return run, (None if outs is None else tuple(o["samples"] for o in outs))


# bug 5: swapped wiring


def test_inverted_and_reference_swapped_is_refused(runner, flux_dev):
    run, _ = run_chain(runner, flux_dev, randn(SHAPE, 40), swap=True)
    assert not run.success
    assert "swapped" in run.error and "connect RFInvert's output to 'inverted'" in run.error, run.error


def test_the_inverted_latent_as_reference_is_refused(runner, flux_dev):
    run, _ = run_chain(runner, flux_dev, randn(SHAPE, 41), ref_is_inverted=True)
    assert not run.success
    assert "reference" in run.error and "source latent" in run.error, run.error


# bug 6: the largest seed


def test_stochastic_sampler_at_the_largest_noise_seed(runner, pack, sd3):
    """The SDE noise comes from the noise seed + 1, wrapped to 0 after 2^64 - 1 (before: an overflow error)."""
    import rf_core

    g = Graph()
    (out,) = run_ok(runner, g, sampled(g, sd3, torch.zeros(SHAPE), named_sampler(g, "sde"), 4, noise_seed=MAX_SEED))
    grid = core.model_grid(sd3, 4)

    def fn(velocity, y0, inner):
        x = rf_core.seeded_noise(MAX_SEED, y0.shape).to(y0.device)
        return rf_core.stochastic_sampler(velocity, x, grid, noise_sampler=rf_core.step_noise(0, x.shape))

    want = core.run_core(pack, sd3, comfy_harness.conditioning(seed=5), torch.zeros(SHAPE), fn, grid)
    torch.testing.assert_close(out["samples"], want, rtol=0, atol=1e-5)


def test_the_largest_seeds_of_the_rf_nodes_run(runner, flux_dev):
    run, out = run_chain(runner, flux_dev, randn(SHAPE, 42), inv=dict(seed=MAX_SEED),
                         ed=dict(mode="sde", seed=MAX_SEED))
    assert run.success, run.error
    assert all(torch.isfinite(t).all() for t in out)


# bug 7: more steps than a discrete-flow model has noise levels


@pytest.mark.parametrize("node", ["RFInvert", "RFControlledSampler"])
def test_more_steps_than_the_models_noise_levels_names_the_limit(runner, sd3, node):
    """SD3's ModelSamplingDiscreteFlow has 1000 noise levels: 1001 'simple' steps would repeat sigmas."""
    levels = sd3.get_model_object("model_sampling").sigmas.numel()
    assert levels == 1000
    inv = dict(steps=1001) if node == "RFInvert" else {}
    ed = dict(steps=1001) if node == "RFControlledSampler" else {}
    run, _ = run_chain(runner, sd3, randn(SHAPE, 43), inv=inv, ed=ed)
    assert not run.success
    assert "1000 noise levels" in run.error and "set steps to 1000 or fewer" in run.error, run.error


def test_the_noise_levels_the_steps_tooltip_names(pack, flux_dev, sd3, wan21):
    levels = pack.nodes.models.noise_levels
    assert (levels(flux_dev), levels(sd3), levels(wan21)) == (10000, 1000, 1000)
    tip = pack.nodes.inputs.steps().tooltip
    assert "1000 for discrete-flow models such as SD3, AuraFlow and Wan; 10000 for Flux" in tip


def test_the_sampler_form_names_the_models_limit_too(runner, sd3):
    g = Graph()
    m = g.model(sd3)
    s = advanced(g, m, comfy_harness.conditioning(), named_sampler(g, "sde"), scheduler(g, m, 1200), torch.zeros(SHAPE),
                 noise=g.out(g.add("RandomNoise", noise_seed=0)))
    g.capture(g.out(s))
    run = runner.run(g)
    assert not run.success
    assert "1000 noise levels" in run.error and "1200" in run.error, run.error


def test_the_models_full_table_of_steps_runs(runner, sd3):
    """Exactly as many steps as noise levels is a valid grid (one step walked: start at the last one)."""
    run, out = run_chain(runner, sd3, randn(SHAPE, 44), inv=dict(steps=1000, start_step=999),
                         ed=dict(steps=1000, start_step=999, stop_step=1000))
    assert run.success, run.error
    assert all(torch.isfinite(t).all() for t in out)


# bug 8: the sigma = 0 velocity read


class EngineStandIn:
    """A diffusion model that is not a torch module, as a TensorRT loader installs one: callable, has a dtype."""

    def __init__(self, net):
        self.net, self.dtype = net, net.dtype

    def __call__(self, *args, **kwargs):
        return self.net(*args, **kwargs)


@pytest.fixture(scope="module")
def engine_model(comfy, flux_dev):
    """Flux dev built as TensorRT loaders build theirs (no diffusion model created, then an engine attached)."""
    import comfy.model_management as mm
    import comfy.model_patcher
    import comfy.supported_models as sm

    config = sm.Flux(dict(flux_dev.model.model_config.unet_config, disable_unet_model_creation=True))
    config.set_inference_dtype(torch.float32, None)
    model = config.get_model({})
    model.diffusion_model = EngineStandIn(flux_dev.model.diffusion_model)
    return comfy.model_patcher.ModelPatcher(model, load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device())


def test_a_diffusion_model_that_is_not_a_torch_module_gets_a_clear_message(runner, engine_model, flux_dev):
    g = Graph()
    i = add_invert(g, engine_model, comfy_harness.conditioning(), randn(SHAPE, 45), STEPS)
    g.capture(g.out(i))
    run = runner.run(g)
    assert not run.success
    assert "not a PyTorch module" in run.error and "EngineStandIn" in run.error, run.error
    assert "AttributeError" not in run.error
    # what the message advises works: invert with the PyTorch model, edit with the engine
    g = Graph()
    _, e = invert_then_edit(g, flux_dev, randn(SHAPE, 45), STEPS, ed=EDIT, edit_model=engine_model)
    run, outs = run_nodes(runner, g, e)
    assert run.success, run.error
    assert torch.isfinite(outs[0]["samples"]).all()


class _Executor:
    """What an APPLY_MODEL wrapper receives: class_obj (the BaseModel) and a call that runs the network n times."""

    def __init__(self, base_model, calls: int):
        self.class_obj, self.calls = base_model, calls

    def __call__(self, x, t, *args, **kwargs):
        out = x
        for _ in range(self.calls):
            out = self.class_obj.diffusion_model(x, t, **kwargs)
        return out


@pytest.mark.parametrize("calls", [0, 2])
def test_the_sigma0_read_says_what_to_do_when_the_network_is_not_called_once(pack, flux_dev, calls):
    """A caching node (0 network calls) or a patch that calls the network twice per evaluation."""
    wrapper = pack.nodes.velocity._velocity_output_at_sigma0
    x = randn(SHAPE, 46)
    kwargs = dict(context=torch.zeros((1, 4, comfy_harness.CONTEXT_DIM)), y=torch.zeros((1, comfy_harness.POOLED_DIM)),
                  guidance=torch.zeros(1))
    with pytest.raises(pack.rf_core.RFInputError) as err:
        wrapper(_Executor(flux_dev.model, calls), x, torch.zeros(1), **kwargs)
    msg = str(err.value)
    assert f"saw {calls}" in msg and "RFInvert" in msg and "model input" in msg, msg


# Design: connected sigmas decide the steps; schnell's 4 steps and the default stop_step


def test_connected_sigmas_decide_the_step_count(runner, flux_dev):
    """With sigmas connected, steps is not used (the tooltips say so): 5 sigmas = 4 steps, whatever steps says."""
    grid = core.model_grid(flux_dev, 4)
    source = randn(SHAPE, 47)
    g = Graph()
    # steps 28 (the nodes' default) is not what runs: 5 sigmas are 4 steps
    i, e = invert_then_edit(g, flux_dev, source, 28, inv=dict(sigmas=grid), ed=dict(EDIT, sigmas=grid))
    run, outs = run_nodes(runner, g, i, e)
    assert run.success, run.error
    inverted, edited = outs
    assert inverted["rf_inversion"]["sigmas"].numel() - 1 == 4
    run2, want = run_chain(runner, flux_dev, source, ed=dict(stop_step=2))
    assert run2.success, run2.error
    assert torch.equal(inverted["samples"], want[0]) and torch.equal(edited["samples"], want[1])


def test_schnells_four_steps_with_the_default_stop_step_gives_the_value_to_use(runner, flux_schnell):
    run, _ = run_chain(runner, flux_schnell, randn(SHAPE, 48), inv=dict(steps=4), ed=dict(steps=4, stop_step=7))
    assert not run.success
    assert "stop_step (7) is beyond steps (4)" in run.error and "set stop_step to 1" in run.error, run.error


def test_a_start_step_beyond_the_steps_gives_the_value_to_use(runner, flux_dev):
    run, _ = run_chain(runner, flux_dev, randn(SHAPE, 49), inv=dict(steps=4, start_step=4))
    assert not run.success and "set start_step to 3 or less" in run.error, run.error


# values a JSON client cannot send but a Python caller can: refused by name, never spread into the latent


@pytest.mark.parametrize("field, value", [("guidance", float("nan")), ("cfg", float("nan")), ("eta", float("nan"))])
def test_nan_settings_are_refused_by_name(runner, flux_dev, field, value):
    run, _ = run_chain(runner, flux_dev, randn(SHAPE, 50), ed={field: value})
    assert not run.success and f"{field} must" in run.error, run.error


def test_a_video_latent_for_an_image_model_is_refused_by_name(runner, flux_dev):
    run, _ = run_chain(runner, flux_dev, randn((1, 16, 2, 8, 8), 51))
    assert not run.success
    assert "latent has shape (1, 16, 2, 8, 8)" in run.error and "(B, C, H, W), an image latent" in run.error
