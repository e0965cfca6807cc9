"""order = fireflow through ComfyUI's executor on the tiny real Flux: N + 1 model evaluations per node (22 for a
10 + 10 edit, counted by an APPLY_MODEL wrapper on a model clone), the identities, and rf_core's numbers."""

from __future__ import annotations

import pytest
import torch

import comfy_harness
import core_reference as core
from builders import (SHAPE, add_edit_sampler, add_invert, advanced, invert_then_edit, left_half, run_invert, run_ok,
                      scheduler)
from executor import Graph, RFTestInterruptAfter
from seeded import randn

pytestmark = pytest.mark.comfyui

NEVER = 10**6  # RFTestInterruptAfter's evaluation number that interrupts: never reached, it only counts


def counted(g, model, key):
    """A clone of the model in the graph whose network evaluations RFTestInterruptAfter.COUNTS[key] counts."""
    return g.out(g.add("RFTestInterruptAfter", model=g.model(model), evaluations=NEVER, key=key))


def run_counted(runner, model, source, inv, ed):
    """builders.invert_then_edit, each node on its own counting clone. Returns (inverted, edited, counts)."""
    g = Graph()
    nodes = invert_then_edit(g, counted(g, model, "inv"), source, inv=inv, ed=ed, edit_model=counted(g, model, "edit"))
    inverted, edited = run_ok(runner, g, *nodes)
    counts = RFTestInterruptAfter.COUNTS
    return inverted, edited, (counts["inv"], counts["edit"])


@pytest.mark.parametrize("start_step", [0, 2])
def test_fireflow_10_plus_10_takes_22_model_evaluations_and_gives_rf_cores_result(runner, pack, flux_dev, start_step):
    steps, source = 10, randn(SHAPE, 21)
    inv = dict(steps=steps, gamma=0.5, seed=7, start_step=start_step, order="fireflow")
    ed = dict(steps=steps, start_step=start_step, stop_step=start_step + 3, eta=0.9, order="fireflow")
    inverted, edited, counts = run_counted(runner, flux_dev, source, inv, ed)
    n = steps - start_step
    assert counts == (n + 1, n + 1)  # N + 1 per direction: 22 for the full 10 + 10
    assert sum(counts) <= 22
    assert inverted["rf_inversion"]["order"] == "fireflow"
    want_inv = core.core_invert(pack, flux_dev, comfy_harness.conditioning(seed=0), source, steps, gamma=0.5, seed=7,
                                start_step=start_step, order="fireflow")
    want_edit = core.core_edit(pack, flux_dev, comfy_harness.conditioning(seed=5), inverted["samples"], source, steps,
                               eta=0.9, start_step=start_step, stop_step=start_step + 3, guidance=3.5, order="fireflow")
    torch.testing.assert_close(inverted["samples"], want_inv, rtol=0, atol=1e-5)
    torch.testing.assert_close(edited["samples"], want_edit, rtol=0, atol=1e-5)
    assert not torch.allclose(edited["samples"], source, atol=1e-3)  # the edit did something
    # the same graph with euler takes one evaluation per step, with midpoint two, and each gives another result
    for order, per_direction in (("euler", n), ("midpoint", 2 * n)):
        _, other, other_counts = run_counted(runner, flux_dev, source, dict(inv, order=order), dict(ed, order=order))
        assert other_counts == (per_direction, per_direction), order
        assert (other["samples"] - edited["samples"]).abs().max() > 1e-3, order


def test_fireflow_eta_one_returns_the_reference_and_a_mask_keeps_the_outside(runner, flux_dev):
    source = randn(SHAPE, 22)
    inv = dict(steps=10, order="fireflow")
    _, back, _ = run_counted(runner, flux_dev, source, inv, dict(steps=10, stop_step=10, eta=1.0, order="fireflow"))
    torch.testing.assert_close(back["samples"], source, rtol=0, atol=1e-5)
    ed = dict(steps=10, stop_step=3, eta=0.5, order="fireflow", mask=left_half())  # edit the left half
    _, masked, _ = run_counted(runner, flux_dev, source, inv, ed)
    torch.testing.assert_close(masked["samples"][..., 4:], source[..., 4:], rtol=0, atol=1e-5)
    assert (masked["samples"][..., :4] - source[..., :4]).abs().mean() > 1e-2


def test_fireflow_gamma_one_lands_on_comfyuis_noise_for_the_seed(runner, flux_dev):
    import comfy.sample

    source = randn(SHAPE, 23)
    inverted = run_invert(runner, flux_dev, source, 10, gamma=1.0, seed=5, order="fireflow")
    y1 = comfy.sample.prepare_noise(source, 5)  # what a KSampler with seed 5 starts from (model space)
    torch.testing.assert_close(inverted["samples"], flux_dev.model.process_latent_out(y1), rtol=0, atol=1e-5)


def test_the_sampler_form_refuses_an_edit_with_another_order_than_the_inversion(runner, flux_dev):
    g = Graph()
    m, src = g.model(flux_dev), g.latent(randn(SHAPE, 24))
    i = add_invert(g, m, comfy_harness.conditioning(), src, 6, order="fireflow")
    sampler = add_edit_sampler(g, g.out(i), stop_step=3, order="midpoint")
    s = advanced(g, m, comfy_harness.conditioning(), sampler, scheduler(g, m, 6), src)
    g.capture(g.out(s))
    run = runner.run(g)
    assert not run.success
    assert "made with order fireflow but this edit uses order midpoint" in run.error, run.error
    assert "set order to fireflow" in run.error
