"""FlowEdit's node (nodes/flowedit.py) through ComfyUI's executor: each step asks the target prompt, then the source
prompt, once per draw, on FlowEdit's window, then the target alone on the last n_min steps; bad settings are
refused by name. Its maths is tests/test_rf_core_flowedit.py's; every family is tests/test_model_matrix.py's."""

from __future__ import annotations

import pytest
import torch

import comfy_harness
from builders import SHAPE, add_flowedit, run_nodes, run_ok
from core_reference import model_grid
from executor import Graph
from seeded import randn

pytestmark = pytest.mark.comfyui

STEPS = 6


def prompt_log(model, log: list):
    """A clone (public wrapper API) that logs (which prompt by its context's first value, sigma) per evaluation."""
    import comfy.patcher_extension

    def wrapper(executor, x, t, c_concat=None, c_crossattn=None, *args, **kwargs):
        context = c_crossattn
        log.append((round(float(context.flatten()[0]), 4), round(float(t.flatten()[0]), 6)))
        return executor(x, t, c_concat, c_crossattn, *args, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "rf_flowedit_prompts", wrapper)
    return m


def test_each_step_asks_the_target_then_the_source_per_draw_then_the_target_alone(runner, flux_dev):
    source, target = comfy_harness.conditioning(seed=0), comfy_harness.conditioning(seed=5)
    src, tar = (round(float(c[0][0].flatten()[0]), 4) for c in (source, target))
    log: list = []
    g = Graph()
    node = add_flowedit(g, prompt_log(flux_dev, log), source, target, randn(SHAPE, 1), STEPS, n_max=4, n_min=1,
                        n_avg=2)
    (out,) = run_ok(runner, g, node)
    t = [round(float(s), 6) for s in model_grid(flux_dev, STEPS)]  # apply_model is handed the sigma
    want = [(p, t[i]) for i in (2, 3, 4) for _ in range(2) for p in (tar, src)] + [(tar, t[5])]
    assert log == want and torch.isfinite(out["samples"]).all()


def _fails(runner, flux_dev, latent=None, **over) -> str:
    g = Graph()
    node = add_flowedit(g, flux_dev, comfy_harness.conditioning(seed=0), comfy_harness.conditioning(seed=5),
                        randn(SHAPE, 2) if latent is None else latent, STEPS, **over)
    run, _ = run_nodes(runner, g, node)
    assert not run.success
    return run.error


def test_flowedit_refuses_what_it_cannot_do_by_name(runner, flux_dev):
    assert "0 <= n_min < n_max <= steps (6)" in _fails(runner, flux_dev)  # n_max 24 of 6 steps
    assert "0 <= n_min < n_max" in _fails(runner, flux_dev, n_max=3, n_min=3)
    assert "connect a negative prompt, or set target_cfg to 1" in _fails(runner, flux_dev, n_max=3, target_cfg=4.0)
    masked = {"samples": randn(SHAPE, 2), "noise_mask": torch.ones(1, 8, 8)}
    assert "remove the noise_mask" in _fails(runner, flux_dev, latent=masked, n_max=3)
