"""The nodes' `guidance` input: written only for models with a guidance embedding, never over a value set upstream.

Flux dev and HunyuanVideo have a guidance embedding (Flux.2 dev and HunyuanImage too); Chroma has none but its
conditioning READS `guidance` (default 0), so writing the node's value there would change its output; SD3 and
Flux schnell ignore the key. Issue 10, bug 2.
"""

from __future__ import annotations

import pytest
import torch

import comfy_harness
import core_reference as core
from builders import EDIT_PROMPT, SHAPE, SOURCE_PROMPT, invert_then_edit, run_nodes
from executor import Graph
from seeded import randn

pytestmark = pytest.mark.comfyui

STEPS, EDIT = 4, dict(stop_step=2, eta=0.5)  # the step count, edit window and strength of this module's chains


def run_chain(runner, model, source, inv_guidance=None, edit_guidance=None, upstream=None):
    """builders.invert_then_edit with the nodes' guidance values (DEFAULTS' unless given) and upstream = (inversion,
    edit) FluxGuidance values on the prompts (None: no FluxGuidance). Returns (inverted, edited samples, run)."""
    g = Graph()
    conds = [g.cond(comfy_harness.conditioning(seed=seed)) for seed in (SOURCE_PROMPT, EDIT_PROMPT)]
    for k, value in enumerate(upstream or (None, None)):
        if value is not None:
            conds[k] = g.out(g.add("FluxGuidance", conditioning=conds[k], guidance=value))
    inv = {} if inv_guidance is None else dict(guidance=inv_guidance)
    ed = EDIT if edit_guidance is None else dict(EDIT, guidance=edit_guidance)
    run, outs = run_nodes(runner, g, *invert_then_edit(g, model, source, STEPS, src_cond=conds[0],
                                                       edit_cond=conds[1], inv=inv, ed=ed))
    if outs is None:
        return None, None, run
    return outs[0]["samples"], outs[1]["samples"], run


def test_chroma_reads_guidance_so_the_node_leaves_it_alone(runner, pack, chroma):
    """Chroma has no guidance embedding: the node's guidance must not reach it (before the fix 3.5 did)."""
    source = randn(SHAPE, 30)
    inv_a, edit_a, run = run_chain(runner, chroma, source, inv_guidance=0.0, edit_guidance=3.5)
    assert run.success, run.error
    inv_b, edit_b, run = run_chain(runner, chroma, source, inv_guidance=7.0, edit_guidance=0.0)
    assert run.success, run.error
    assert torch.equal(inv_a, inv_b) and torch.equal(edit_a, edit_b)
    # and it is the edit of a conditioning without the key (Chroma's own default, 0)
    want = core.core_edit(pack, chroma, comfy_harness.conditioning(seed=5), inv_a, source, 4, eta=0.5,
                          start_step=0, stop_step=2, guidance=None)
    torch.testing.assert_close(edit_a, want, rtol=0, atol=1e-5)


def test_a_guidance_set_upstream_on_chroma_is_what_chroma_gets(runner, chroma):
    """The user's FluxGuidance on Chroma's conditioning is theirs: the node neither removes nor replaces it."""
    source = randn(SHAPE, 31)
    _, plain, run = run_chain(runner, chroma, source)
    assert run.success, run.error
    _, upstream, run = run_chain(runner, chroma, source, upstream=(None, 4.0))
    assert run.success, run.error
    assert (plain - upstream).abs().mean() > 1e-6


def test_hunyuan_video_gets_the_nodes_guidance(runner, pack, hunyuan_video):
    """A model with a guidance embedding other than Flux: the node's value reaches it."""
    source = randn((1, 16, 3, 8, 8), 32)
    inv, out, run = run_chain(runner, hunyuan_video, source, edit_guidance=3.5)
    assert run.success, run.error
    want = core.core_edit(pack, hunyuan_video, comfy_harness.conditioning(seed=5), inv, source, 4, eta=0.5,
                          start_step=0, stop_step=2, guidance=3.5)
    torch.testing.assert_close(out, want, rtol=0, atol=1e-5)
    _, at_six, run = run_chain(runner, hunyuan_video, source, edit_guidance=6.0)
    assert run.success and (out - at_six).abs().mean() > 1e-6


@pytest.mark.parametrize("which", ["flux_dev", "hunyuan_video"])
def test_an_upstream_guidance_that_differs_is_refused_not_replaced(runner, request, which):
    """FluxGuidance 2.0 upstream and the node's 3.5: before the fix the node silently replaced the user's value."""
    model = request.getfixturevalue(which)
    source = randn(SHAPE if which == "flux_dev" else (1, 16, 3, 8, 8), 33)
    _, _, run = run_chain(runner, model, source, upstream=(None, 2.0), edit_guidance=3.5)
    assert not run.success
    assert "guidance 2.0" in run.error and "set guidance to 2.0" in run.error, run.error
    _, _, run = run_chain(runner, model, source, upstream=(3.0, None), inv_guidance=0.0)
    assert not run.success and "set guidance to 3.0" in run.error, run.error


def test_an_upstream_guidance_equal_to_the_nodes_runs_unchanged(runner, flux_dev):
    source = randn(SHAPE, 34)
    a = run_chain(runner, flux_dev, source, upstream=(0.0, 3.5))
    b = run_chain(runner, flux_dev, source)
    assert a[2].success and b[2].success, (a[2].error, b[2].error)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_models_without_guidance_embedding_get_their_conditioning_unchanged(pack, flux_schnell, sd3, chroma,
                                                                           flux_dev, hunyuan_video):
    guidance = pack.nodes.guidance
    cond = comfy_harness.conditioning(seed=0)
    for model in (flux_schnell, sd3, chroma):
        assert not guidance.has_guidance_embedding(model)
        assert guidance.conditioning_with_guidance(model, cond, 3.5) is cond
    for model in (flux_dev, hunyuan_video):
        assert guidance.has_guidance_embedding(model)
        out = guidance.conditioning_with_guidance(model, cond, 3.5)
        assert [d["guidance"] for _, d in out] == [3.5] and "guidance" not in cond[0][1]
