"""RFEditLadder through ComfyUI's executor on the tiny real Flux: each rung equals RFControlledSampler at its setting
(every order, both modes, masks, batches), at the model evaluations of one edit (counted by an APPLY_MODEL wrapper
on a model clone); the labelled grid and the labels; what it refuses; and the few-steps console advice of RFInvert."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

import comfy_harness
import tiny_vaes
from builders import add_edit, invert_then_edit, left_half, run_nodes, run_ok
from executor import CAPTURED, Graph, RFTestInterruptAfter
from seeded import randn

pytestmark = pytest.mark.comfyui

NEVER = 10**6  # RFTestInterruptAfter's evaluation number that interrupts: never reached, it only counts
STEPS = 6


def counted(g, model, key):
    """A clone of the model in the graph whose network evaluations RFTestInterruptAfter.COUNTS[key] counts."""
    return g.out(g.add("RFTestInterruptAfter", model=g.model(model), evaluations=NEVER, key=key))


def rung_settings(sweep: str, values, ed: dict) -> list[dict]:
    """The single edit's inputs at each rung's value."""
    return [{**ed, sweep: v} for v in values]


def ladder_and_singles(runner, model, source, ed: dict, values, steps=STEPS, inv=None):
    """RFInvert -> RFEditLadder (ed) and one RFControlledSampler per rung value, each edit on its own counting
    clone. Returns (ladder LATENT, [single LATENT], {"ladder": n, "single0": n, ...})."""
    g = Graph()
    i, ladder = invert_then_edit(g, model, source, steps, inv=inv, ed=ed, edit_model=counted(g, model, "ladder"),
                                 node="RFEditLadder")
    single = {k: v for k, v in ed.items() if k not in ("sweep", "rungs")}
    singles = [add_edit(g, counted(g, model, f"single{r}"), comfy_harness.conditioning(seed=5), g.out(i),
                        g.prompt[ladder]["inputs"]["reference"], steps, **s)
               for r, s in enumerate(rung_settings(ed["sweep"], values, single))]
    outs = run_ok(runner, g, ladder, *singles)
    return outs[0], outs[1:], dict(RFTestInterruptAfter.COUNTS)


@pytest.mark.parametrize("sweep, values, mode, order, start_step, masked", [
    ("stop_step", [2, 4, 6], "ode", "euler", 0, False),
    ("eta", [0.27, 0.53, 0.8], "sde", "euler", 1, True),
    ("stop_step", [4, 5, 6], "ode", "fireflow", 3, True),
    ("eta", [0.4, 0.8], "ode", "midpoint", 0, False),
])
def test_each_rung_is_the_single_edit_at_the_same_model_evaluations(runner, flux_dev, sweep, values, mode, order,
                                                                     start_step, masked):
    source = randn((2, 16, 8, 8), 31)  # two images: rung r holds both, rung-major
    ed = dict(sweep=sweep, rungs=len(values), start_step=start_step, stop_step=6, eta=0.8, mode=mode, seed=9,
              order=order, eta_schedule="linear_decrease" if sweep == "eta" else "constant")
    if masked:
        ed["mask"] = left_half(2)
    ladder, singles, counts = ladder_and_singles(runner, flux_dev, source, ed, values,
                                                 inv=dict(start_step=start_step, order=order))
    assert ladder["samples"].shape == (2 * len(values), 16, 8, 8)
    for r, single in enumerate(singles):
        torch.testing.assert_close(ladder["samples"][2 * r:2 * r + 2], single["samples"], rtol=0, atol=1e-5)
        assert counts[f"single{r}"] == counts["ladder"], counts
    assert counts["ladder"] == {"euler": 1, "midpoint": 2, "fireflow": 1}[order] * (STEPS - start_step) + (
        order == "fireflow")
    assert not torch.allclose(singles[0]["samples"], singles[-1]["samples"], atol=1e-3)  # the rungs differ
    if masked:  # the right half (0 in the mask) is the source on every rung
        torch.testing.assert_close(ladder["samples"][..., 4:], source.repeat(len(values), 1, 1, 1)[..., 4:],
                                   rtol=0, atol=1e-5)


def test_with_a_negative_prompt_each_rung_is_the_single_edit(runner, flux_dev):
    """cfg 3: the prompt and the negative of every rung share the calls, as the single edit's do."""
    ed = dict(sweep="stop_step", rungs=2, stop_step=6, negative=comfy_harness.conditioning(seed=9), cfg=3.0)
    ladder, singles, counts = ladder_and_singles(runner, flux_dev, randn((1, 16, 8, 8), 41), ed, [3, 6])
    for r, single in enumerate(singles):
        torch.testing.assert_close(ladder["samples"][r:r + 1], single["samples"], rtol=0, atol=1e-5)
    assert counts["ladder"] == counts["single0"] == counts["single1"] == STEPS


def capture_outputs(g, ladder) -> str:
    """RFTestCaptureOutputs of the ladder's grid and labels; the name they are captured under."""
    name = f"outputs{len(g.prompt)}"
    g.add("RFTestCaptureOutputs", name=name, image=g.out(ladder, 1), text=g.out(ladder, 2))
    return name


def test_the_grid_shows_each_rung_decoded_with_its_setting_written_under_it(runner, pack, flux_dev):
    """Rungs as columns, images as rows; each cell is the VAE's decode of that rung's latent, and under it a strip
    that is the pack's label drawing of exactly the rung's setting. The labels output lists the same settings."""
    grid = pack.nodes.grid
    vae = tiny_vaes.flux_vae()
    g = Graph()
    _, ladder = invert_then_edit(g, flux_dev, randn((2, 16, 8, 8), 32), STEPS, node="RFEditLadder",
                                 ed=dict(sweep="stop_step", rungs=3, stop_step=6, vae=vae))
    name = capture_outputs(g, ladder)
    (edited,) = run_ok(runner, g, ladder)
    captured = CAPTURED.pop(name)
    picture, want = captured["image"], ["stop_step 2", "stop_step 4", "stop_step 6"]
    assert captured["text"] == "\n".join(want)
    strip, gap = grid.strip_height(64), 2
    assert picture.shape == (1, 2 * (64 + strip) + gap, 3 * 66 - gap, 3)
    for r, label in enumerate(want):
        x = r * (64 + gap)
        with torch.inference_mode():  # the executor's tensors are inference tensors
            decoded = vae.decode(edited["samples"][2 * r:2 * r + 2])
        for b in range(2):
            y = b * (64 + strip + gap)
            torch.testing.assert_close(picture[0, y:y + 64, x:x + 64], decoded[b], rtol=0, atol=1 / 255)
            drawn = torch.from_numpy(np.asarray(grid.label_image(label, 64, strip)).astype(np.float32) / 255)
            assert torch.equal(picture[0, y + 64:y + 64 + strip, x:x + 64], drawn), (label, b)
    assert (picture[0, 64:64 + strip, :64] < 0.5).any(), "the label strip is blank"


def test_the_labels_are_the_single_edits_values_and_the_grid_needs_a_vae(runner, flux_dev):
    g = Graph()
    _, ladder = invert_then_edit(g, flux_dev, randn((1, 16, 8, 8), 33), STEPS, node="RFEditLadder",
                                 ed=dict(sweep="eta", rungs=4, eta=0.9, stop_step=6))
    name = f"labels{len(g.prompt)}"
    g.add("RFTestCaptureOutputs", name=name, text=g.out(ladder, 2))
    run_ok(runner, g, ladder)
    assert CAPTURED.pop(name)["text"] == "eta 0.23\neta 0.45\neta 0.68\neta 0.9"  # on the eta input's 0.01 steps
    g = Graph()
    _, ladder = invert_then_edit(g, flux_dev, randn((1, 16, 8, 8), 33), STEPS, node="RFEditLadder",
                                 ed=dict(stop_step=6))
    g.add("RFTestCaptureOutputs", name="blocked", image=g.out(ladder, 1))
    run, _ = run_nodes(runner, g, ladder)
    assert "Execution Blocked" in run.error and "connect the model's VAE to its vae input" in run.error, run.error


def test_a_video_grid_shows_each_rungs_first_frame(runner, wan21):
    vae = tiny_vaes.wan21_vae()
    source = randn((1, 16, 2, 8, 8), 34)
    g = Graph()
    _, ladder = invert_then_edit(g, wan21, source, 4, node="RFEditLadder",
                                 ed=dict(sweep="stop_step", rungs=2, stop_step=2, guidance=0.0, vae=vae),
                                 src_cond=comfy_harness.conditioning(tokens=8, seed=0),
                                 edit_cond=comfy_harness.conditioning(tokens=8, seed=5))
    name = capture_outputs(g, ladder)
    (edited,) = run_ok(runner, g, ladder)
    picture = CAPTURED.pop(name)["image"]
    with torch.inference_mode():
        first = vae.decode(edited["samples"][1:2])[:, 0]
    assert picture.shape[1:3] == (64 + 16, 2 * 64 + 2)
    torch.testing.assert_close(picture[0, :64, 66:], first[0], rtol=0, atol=1 / 255)


@pytest.mark.parametrize("ed, message", [
    (dict(sweep="stop_step", rungs=8, stop_step=5), r"rungs \(8\) is more than the stop_steps"),
    (dict(sweep="eta", rungs=2, eta=0.0, stop_step=6), "eta is 0, so every rung would be the same"),
    (dict(sweep="stop_step", rungs=2, stop_step=9), r"stop_step \(9\) is beyond steps \(6\)"),
])
def test_a_ladder_it_cannot_make_is_refused_with_what_to_change(runner, flux_dev, ed, message):
    import re

    g = Graph()
    _, ladder = invert_then_edit(g, flux_dev, randn((1, 16, 8, 8), 35), STEPS, node="RFEditLadder", ed=ed)
    run, _ = run_nodes(runner, g, ladder)
    assert not run.success and re.search(message, run.error), run.error


def test_an_audio_latent_gets_no_grid_but_its_ladder(runner, zoo):
    family = zoo.BY_NAME["ACE-Step 1.5"]
    model, latent = family.build(seed=1), family.latent(36)
    samples = latent["samples"]
    conds = dict(src_cond=family.conditioning(0, samples), edit_cond=family.conditioning(5, samples))
    g = Graph()
    _, ladder = invert_then_edit(g, model, latent, 4, node="RFEditLadder", ed=dict(rungs=2, stop_step=2, guidance=0.0,
                                                                                  vae=tiny_vaes.flux_vae()), **conds)
    run, _ = run_nodes(runner, g, ladder)
    assert not run.success and "the grid shows images, but this latent holds audio" in run.error, run.error
    g = Graph()
    _, ladder = invert_then_edit(g, model, latent, 4, node="RFEditLadder", ed=dict(rungs=2, stop_step=2, guidance=0.0),
                                 **conds)
    (edited,) = run_ok(runner, g, ladder)
    assert edited["samples"].shape == (2, *latent["samples"].shape[1:])


def test_two_experts_serve_every_rung_at_their_own_steps(runner, comfy):
    """Wan 2.2 A14B: the ladder's evaluations are the single edit's, each on the expert of its sigma, and each rung
    is the single edit with the same two experts."""
    import model_zoo_video
    from family_runs import recording_clone

    high, low, boundary = model_zoo_video.wan22_experts(seed=1)
    family = next(f for f in model_zoo_video.FAMILIES if f.name.startswith("Wan 2.2 A14B T2V"))
    latent = family.latent(37)
    logs = {"ladder": [], "single": []}
    g = Graph()
    src_cond, edit_cond = family.conditioning(0, latent["samples"]), family.conditioning(5, latent["samples"])
    experts = dict(model_low_noise=g.model(low), boundary=boundary)
    i, ladder = invert_then_edit(g, high, latent, 8, src_cond=src_cond, edit_cond=edit_cond, inv=experts,
                                 node="RFEditLadder", ed=dict(rungs=2, stop_step=4, guidance=0.0, **experts),
                                 edit_model=g.model(recording_clone(high, logs["ladder"], "high")))
    single = add_edit(g, recording_clone(high, logs["single"], "high"), edit_cond, g.out(i),
                      g.prompt[ladder]["inputs"]["reference"], 8, stop_step=4, guidance=0.0,
                      model_low_noise=g.model(recording_clone(low, logs["single"], "low")), boundary=boundary)
    g.prompt[ladder]["inputs"]["model_low_noise"] = g.model(recording_clone(low, logs["ladder"], "low"))
    edited, one = run_ok(runner, g, ladder, single)
    torch.testing.assert_close(edited["samples"][1:], one["samples"], rtol=0, atol=1e-5)
    assert logs["ladder"] == logs["single"] and {who for who, _ in logs["ladder"]} == {"high", "low"}
    assert not [(who, s) for who, s in logs["ladder"] if (who == "high") != (s >= boundary)]


def test_rfinvert_says_on_the_console_what_few_steps_and_distilled_models_do(runner, flux_dev, flux_schnell, caplog):
    from builders import run_invert

    with caplog.at_level(logging.WARNING):
        run_invert(runner, flux_dev, randn((1, 16, 8, 8), 38), 4)
    text = caplog.text
    assert "4 steps of order euler invert unreliably: below 17" in text and "order fireflow (reliable from 4)" in text
    assert "Z-Image Turbo, lightning LoRAs" in text and "is a step-distilled model" not in text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        run_invert(runner, flux_dev, randn((1, 16, 8, 8), 39), 4, order="fireflow")
        run_invert(runner, flux_dev, randn((1, 16, 8, 8), 39), 17)
    assert "RF-Inversion" not in caplog.text
    with caplog.at_level(logging.WARNING):
        run_invert(runner, flux_schnell, randn((1, 16, 8, 8), 40), 28)
    assert "Flux.1 schnell is a step-distilled model" in caplog.text and "invert unreliably" not in caplog.text
