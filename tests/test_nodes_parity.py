"""The nodes, executed by ComfyUI as prompt graphs, give rf_core's results on the model's own velocity; the
power-user chain (SamplerCustomAdvanced + SAMPLER forms) gives the all-in-one nodes' results."""

from __future__ import annotations

import pytest
import torch

import comfy_harness
import core_reference as core
from builders import SHAPE, invert_and_edit, invert_then_edit, left_half, run_ok, sampler_forms
from executor import Graph
from seeded import randn

pytestmark = pytest.mark.comfyui


@pytest.mark.parametrize(
    "which, start_step, mode, order",
    [("flux_dev", 0, "ode", "euler"), ("flux_schnell", 2, "ode", "midpoint"), ("sd3", 1, "sde", "euler")],
)
def test_nodes_equal_rf_core_on_the_models_velocity(request, runner, pack, which, start_step, mode, order):
    model = request.getfixturevalue(which)
    steps, source = 6, randn((2, 16, 8, 8), 1)
    src_cond, edit_cond = comfy_harness.conditioning(batch=2, seed=0), comfy_harness.conditioning(batch=2, seed=5)
    inverted, edited = invert_and_edit(
        runner, model, source, steps, src_cond=src_cond, edit_cond=edit_cond,
        inv=dict(gamma=0.5, seed=7, start_step=start_step, order=order),
        ed=dict(start_step=start_step, stop_step=start_step + 3, eta=0.8, eta_schedule="linear_decrease", mode=mode,
                seed=11, order=order),
    )
    want_inv = core.core_invert(pack, model, src_cond, source, steps, gamma=0.5, seed=7, start_step=start_step,
                                guidance=0.0, order=order)
    want_edit = core.core_edit(pack, model, edit_cond, inverted["samples"], source, steps, eta=0.8,
                               start_step=start_step, stop_step=start_step + 3, guidance=3.5,
                               eta_schedule="linear_decrease", mode=mode, seed=11, order=order)
    assert inverted["samples"].dtype == torch.float32 and torch.isfinite(inverted["samples"]).all()
    torch.testing.assert_close(inverted["samples"], want_inv, rtol=0, atol=1e-5)
    torch.testing.assert_close(edited["samples"], want_edit, rtol=0, atol=1e-5)
    info = inverted["rf_inversion"]
    assert (info["sigmas"].numel() - 1, info["start_step"], info["order"]) == (steps, start_step, order)
    torch.testing.assert_close(info["sigmas"], core.model_grid(model, steps))
    assert not torch.allclose(edited["samples"], source, atol=1e-3)  # the edit did something


@pytest.mark.parametrize("start_step, mode, with_mask", [(0, "ode", False), (2, "sde", True)])
def test_sampler_chain_equals_all_in_one_nodes(runner, pack, flux_dev, start_step, mode, with_mask):
    steps, source = 6, randn(SHAPE, 2)
    mask = left_half() if with_mask else None  # image-sized: resized to the latent's 8 x 8
    inv = dict(seed=3)
    ed = dict(start_step=start_step, stop_step=start_step + 3, mode=mode, seed=4)
    if mask is not None:
        ed["mask"] = mask
    g = Graph()
    inv_sca, edit_sca = sampler_forms(g, flux_dev, source, steps, inv=inv, ed=ed)
    nodes = invert_then_edit(g, flux_dev, source, steps, inv=dict(inv, start_step=start_step), ed=ed)
    outs = run_ok(runner, g, inv_sca, edit_sca, g.out(edit_sca, 1), *nodes)  # output 1: the denoised_output
    chain_inv, chain_edit, chain_x0, node_inv, node_edit = outs
    assert torch.isfinite(chain_inv["samples"]).all()  # inverting to sigma = 1: no division by 1 - sigma
    assert torch.equal(chain_inv["samples"], node_inv["samples"])
    assert torch.equal(chain_edit["samples"], node_edit["samples"])
    # the preview / denoised_output is the x0 estimate of the last step, not the noisy state
    record = []
    core.core_edit(pack, flux_dev, comfy_harness.conditioning(seed=5), node_inv["samples"], source, steps,
                   eta=0.9, start_step=start_step, stop_step=start_step + 3, guidance=3.5, mode=mode, seed=4,
                   mask=None if mask is None else _latent_mask(mask), record=record)
    last = record[-1]
    x0 = flux_dev.model.process_latent_out(last["denoised"].cpu())
    torch.testing.assert_close(chain_x0["samples"], x0, rtol=0, atol=1e-5)
    assert [d["i"] for d in record] == list(range(start_step, steps))  # the grid's step indices


def _latent_mask(mask):
    import comfy.utils

    return comfy.utils.reshape_mask(mask, (1, 1, 8, 8))


def test_eta_one_on_every_step_returns_the_reference(runner, flux_dev):
    source = randn(SHAPE, 3)
    _, edited = invert_and_edit(runner, flux_dev, source, 5, ed=dict(stop_step=5, eta=1.0))
    torch.testing.assert_close(edited["samples"], source, rtol=0, atol=1e-5)


@pytest.mark.parametrize("which", ["flux_dev", "sd3"])
def test_reconstruction_error_halves_when_steps_double(request, runner, which):
    """gamma = eta = 0 with the source prompt is ODE inversion + ODE sampling: Euler's O(1/N) round-trip error."""
    model = request.getfixturevalue(which)
    source = randn(SHAPE, 4)
    cond = comfy_harness.conditioning(seed=0)
    errors = []
    for steps in (8, 16, 32):
        _, edited = invert_and_edit(runner, model, source, steps, src_cond=cond, edit_cond=cond, inv=dict(gamma=0.0),
                                    ed=dict(stop_step=1, eta=0.0, guidance=0.0))
        errors.append((edited["samples"] - source).abs().mean().item())
    assert errors[0] > 1e-3, errors  # the model is not trivial
    for coarse, fine in zip(errors, errors[1:]):
        assert 1.6 < coarse / fine < 2.5, errors


def test_batches_invert_and_edit_in_one_run(runner, flux_dev):
    """B images at once; reference batch 1 is the same as that reference repeated; items don't mix."""
    source = randn((2, 16, 8, 8), 5)
    opts = dict(steps=4, inv=dict(gamma=0.0), ed=dict(stop_step=2, eta=0.5))
    ref1 = source[:1]
    _, edited_ref1 = invert_and_edit(runner, flux_dev, source, reference=ref1, **opts)
    _, edited_rep = invert_and_edit(runner, flux_dev, source, reference=ref1.repeat(2, 1, 1, 1), **opts)
    assert edited_ref1["samples"].shape == source.shape
    assert torch.equal(edited_ref1["samples"], edited_rep["samples"])
    _, both = invert_and_edit(runner, flux_dev, source, **opts)
    for b in range(2):
        _, single = invert_and_edit(runner, flux_dev, source[b : b + 1], **opts)
        torch.testing.assert_close(both["samples"][b : b + 1], single["samples"], rtol=0, atol=1e-4)
