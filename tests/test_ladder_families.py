"""RFEditLadder on every rectified-flow family of the model matrix (tests/support/model_zoo*.py), through ComfyUI's
executor: each rung of a stop_step ladder, with the matrix's mask (per frame for video, on the video part of LTX-2),
equals RFControlledSampler at that rung's stop_step, and the ladder's model evaluations are a single edit's, at the
same sigmas. Edit models get their reference latents in the conditioning, as in the matrix."""

from __future__ import annotations

import pytest
import torch

import builders
from executor import Graph
from family_runs import as_mask, recording_clone, region, tensors, video_part
from matrix_record import family_params, zoo_or_none

pytestmark = pytest.mark.comfyui

STEPS, STOPS = 3, (1, 2)  # a ladder of 2 rungs, stop_step 1 and 2 of 3
# ACE-Step 1.5's network gives one item a result that moves by up to about 1e-4 with the batch it is in (measured by
# test_ace_step_15_depends_on_the_batch): its rungs equal the single edits to that noise. Every other family: 1e-5.
BATCH_NOISE = {"ACE-Step 1.5": 1e-3}
# Families a ladder cannot batch, refused by the ladder with the single edit to use: ComfyUI runs MiniMax H3 at
# batch 1 only, and HunyuanVideo 1.5 super-resolution's noise augmentation is drawn per batch (a rung would not be
# its single edit).
REFUSES_A_BATCH = {"MiniMax H3 (audio + video)", "HunyuanVideo 1.5 super-resolution"}


ZOO = zoo_or_none()
FAMILIES = family_params(ZOO, pytest) if ZOO is not None else [pytest.param(None, id="no-comfyui")]


@pytest.mark.parametrize("family", FAMILIES)
def test_each_rung_is_the_single_edit_on_every_family(family, comfy, runner):
    model = family.build(seed=1)
    latent = family.latent(19)
    samples = video_part(latent["samples"])
    conds = dict(src_cond=family.conditioning(0, samples), edit_cond=family.conditioning(5, samples))
    ed = dict(steps=STEPS, stop_step=STOPS[-1], eta=0.5, mask=as_mask(region(samples)))
    logs = {"ladder": [], 1: [], 2: []}
    g = Graph()
    i, ladder = builders.invert_then_edit(g, model, latent, STEPS, node="RFEditLadder", **conds,
                                          ed=dict(ed, rungs=len(STOPS)),
                                          edit_model=recording_clone(model, logs["ladder"], "ladder"))
    singles = [builders.add_edit(g, recording_clone(model, logs[stop], "single"), conds["edit_cond"], g.out(i),
                                 g.prompt[ladder]["inputs"]["reference"], **dict(ed, stop_step=stop))
               for stop in STOPS]
    if family.name in REFUSES_A_BATCH:
        run, _ = builders.run_nodes(runner, g, ladder)
        assert not run.success and "runs its rungs as one batch" in str(run.error), run.error
        assert "RFControlledSampler" in str(run.error), run.error
        return
    rungs, *edits = builders.run_ok(runner, g, ladder, *singles, label=family.name)
    batch, tolerance = samples.shape[0], BATCH_NOISE.get(family.name, 1e-5)
    for r, single in enumerate(edits):
        for got, want in zip(tensors(rungs["samples"]), tensors(single["samples"])):
            torch.testing.assert_close(got[r * batch:(r + 1) * batch], want, rtol=0, atol=tolerance)
    assert [s for _, s in logs["ladder"]] == [s for _, s in logs[1]] == [s for _, s in logs[2]], logs
    rung_gap = (video_part(edits[0]["samples"]) - video_part(edits[1]["samples"])).abs().max().item()
    assert rung_gap > 10 * tolerance, (family.name, rung_gap)  # the rungs differ: a swap would fail


def test_ace_step_15_depends_on_the_batch(comfy, pack):
    """The exception above: the same input at batch 1 and at batch 2 gets velocities 1e-5 to 2e-4 apart."""
    import core_reference

    family = ZOO.BY_NAME["ACE-Step 1.5"]
    model, samples = family.build(seed=1), family.latent(19)["samples"]
    gaps = []

    def both_batches(velocity, y0, inner):
        gaps.append((velocity(y0, 0.5)[:1] - velocity(y0[:1], 0.5)).abs().max().item())
        return y0

    core_reference.run_core(pack, model, family.conditioning(5, samples), samples.repeat(2, 1, 1), both_batches,
                            torch.tensor([1.0, 0.0]))
    assert 1e-5 < gaps[0] < 2e-4, gaps
