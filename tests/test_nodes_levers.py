"""The levers beyond the paper through the nodes (issue 17): RFInvert keeps its trace only when asked and says what
it costs; RFControlledSampler's align and RFInvert's gamma window and schedule give rf_core's results on the model's
velocity, cost no model evaluation, and are refused by name where they cannot act. The exactness of align on every
family is tests/test_model_matrix.py's."""

from __future__ import annotations

import pytest
import torch

import comfy_harness
import core_reference as core
from builders import (SHAPE, add_edit, add_edit_sampler, add_invert, advanced, invert_and_edit, invert_then_edit,
                      run_invert, run_nodes, run_ok, scheduler)
from executor import Graph
from family_runs import recording_clone
from seeded import randn

pytestmark = pytest.mark.comfyui

LEVERS = dict(align=True)
STEPS = 6


def test_the_trace_is_kept_only_when_asked_and_costs_two_latents_per_step_and_one(runner, flux_dev):
    source = randn(SHAPE, 1)
    plain = run_invert(runner, flux_dev, source, STEPS)
    kept = run_invert(runner, flux_dev, source, STEPS, keep_trace=True, start_step=2)
    assert plain["rf_inversion"]["trace"] is None
    trace = kept["rf_inversion"]["trace"]
    walk = STEPS - 2
    assert len(trace.states) == walk + 1 and len(trace.velocities) == walk
    assert trace.nbytes() == (2 * walk + 1) * source.numel() * 4
    assert all(t.device.type == "cpu" for t in trace.states + trace.velocities)  # the intermediate device


def test_the_levers_and_gamma_trend_equal_rf_core_on_the_models_velocity(runner, pack, flux_dev):
    import rf_core

    source = randn((2, 16, 8, 8), 3)
    src_cond, edit_cond = comfy_harness.conditioning(batch=2, seed=0), comfy_harness.conditioning(batch=2, seed=5)
    inv = dict(gamma=0.6, seed=7, gamma_start=1, gamma_stop=4, gamma_schedule="linear_decrease", keep_trace=True)
    ed = dict(stop_step=4, eta=0.7, eta_schedule="power_decay", **LEVERS)
    inverted, edited = invert_and_edit(runner, flux_dev, source, STEPS, src_cond=src_cond, edit_cond=edit_cond,
                                       inv=inv, ed=ed)
    trace = rf_core.InversionTrace(())
    want_inv = core.core_invert(pack, flux_dev, src_cond, source, STEPS, gamma=0.6, seed=7, trace=trace,
                                gamma_window=(1, 4), gamma_schedule="linear_decrease")
    want_edit = core.core_edit(pack, flux_dev, edit_cond, inverted["samples"], source, STEPS, eta=0.7, start_step=0,
                               stop_step=4, guidance=3.5, eta_schedule="power_decay",
                               levers=dict(trace=trace, align=True))
    torch.testing.assert_close(inverted["samples"], want_inv, rtol=0, atol=1e-5)
    torch.testing.assert_close(edited["samples"], want_edit, rtol=0, atol=1e-5)
    _, plain = invert_and_edit(runner, flux_dev, source, STEPS, src_cond=src_cond, edit_cond=edit_cond, inv=inv,
                               ed=dict(ed, align=False))
    assert (edited["samples"] - plain["samples"]).abs().max() > 1e-3  # the levers act


def test_gamma_stop_past_the_last_step_means_to_the_last_step(runner, flux_dev):
    source = randn(SHAPE, 4)
    default = run_invert(runner, flux_dev, source, STEPS)["samples"]
    whole = run_invert(runner, flux_dev, source, STEPS, gamma_start=0, gamma_stop=STEPS)["samples"]
    window = run_invert(runner, flux_dev, source, STEPS, gamma_start=2, gamma_stop=4)["samples"]
    assert torch.equal(default, whole) and not torch.allclose(window, whole, atol=1e-3)


def test_align_costs_no_model_evaluation(runner, flux_dev):
    counts = []
    for settings in ({}, LEVERS):
        log: list = []
        g = Graph()
        nodes = invert_then_edit(g, flux_dev, randn(SHAPE, 5), STEPS, inv=dict(keep_trace=True),
                                 ed=dict(stop_step=3, **settings),
                                 edit_model=g.model(recording_clone(flux_dev, log, "edit")))
        run_ok(runner, g, *nodes)
        counts.append(len(log))
    assert counts[0] == counts[1] == STEPS


def _refusal(runner, flux_dev, inv=None, ed=None) -> str:
    g = Graph()
    nodes = invert_then_edit(g, flux_dev, randn(SHAPE, 6), 4, inv=inv, ed=dict(stop_step=2, **(ed or {})))
    run, _ = run_nodes(runner, g, *nodes)
    assert not run.success
    return run.error


def test_the_levers_are_refused_by_name_where_they_cannot_act(runner, flux_dev):
    assert "turn keep_trace on in RFInvert" in _refusal(runner, flux_dev, ed=dict(align=True))
    error = _refusal(runner, flux_dev, inv=dict(keep_trace=True, order="fireflow"),
                     ed=dict(align=True, order="fireflow"))
    assert "align retraces the inversion's Euler steps" in error and "order to euler" in error
    error = _refusal(runner, flux_dev, inv=dict(keep_trace=True), ed=dict(align=True, mode="sde"))
    assert "but mode is 'sde'" in error and "set mode to ode" in error


def test_the_sampler_form_reads_rfinverts_trace_and_refuses_without_one(runner, flux_dev):
    """RFControlledSamplerSampler fed RFInvert's LATENT (keep_trace) edits as RFControlledSampler does; fed
    RFInvertSampler's, which cannot carry a trace, it says so."""
    source = randn(SHAPE, 7)
    g = Graph()
    m, cond = g.model(flux_dev), comfy_harness.conditioning(seed=5)
    inv = add_invert(g, m, comfy_harness.conditioning(seed=0), source, STEPS, keep_trace=True)
    node = add_edit(g, m, cond, g.out(inv), source, STEPS, stop_step=3, **LEVERS)
    sampler = add_edit_sampler(g, g.out(inv), stop_step=3, **LEVERS)
    guided = g.add("FluxGuidance", conditioning=g.cond(cond), guidance=3.5)
    form = advanced(g, m, g.out(guided), sampler, scheduler(g, m, STEPS), source)
    node_out, form_out = run_ok(runner, g, node, form)
    torch.testing.assert_close(form_out["samples"], node_out["samples"], rtol=0, atol=1e-6)
    g = Graph()
    flipped = g.out(g.add("RFFlipSigmas", sigmas=scheduler(g, flux_dev, STEPS)))
    inv = advanced(g, flux_dev, comfy_harness.conditioning(seed=0), g.out(g.add("RFInvertSampler", gamma=0.5, seed=0)),
                   flipped, source)
    edit = advanced(g, flux_dev, cond, add_edit_sampler(g, g.out(inv), align=True, stop_step=3),
                    scheduler(g, flux_dev, STEPS),
                    source)
    run, _ = run_nodes(runner, g, edit)
    assert not run.success and "RFInvertSampler cannot keep it" in run.error


def test_two_experts_retrace_their_own_inversion_steps_under_align(runner, zoo):
    """Wan 2.2 A14B: with align the edit reads each step's model at the sigma the inversion read it, so each step
    runs on the expert that made it, and the round trip returns the source where the plain one does not."""
    import model_zoo_video

    high, low, boundary = model_zoo_video.wan22_experts(seed=1, mode="t2v")
    family = zoo.BY_NAME["Wan 2.2 A14B T2V (high-noise expert)"]
    source = family.latent(8)
    cond = family.conditioning(0, source["samples"])
    both = dict(model_low_noise=low, boundary=boundary, guidance=0.0)
    outs = []
    for align in (False, True):
        _, edited = invert_and_edit(runner, high, source, 8, src_cond=cond, edit_cond=cond,
                                    inv=dict(both, gamma=0.0, keep_trace=True),
                                    ed=dict(both, eta=0.0, stop_step=1, align=align))
        outs.append((edited["samples"] - source["samples"]).abs().max().item())
    assert outs[1] < 1e-4 < outs[0], outs
