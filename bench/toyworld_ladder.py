"""RFEditLadder on the scene model: each rung of a stop_step sweep for a few edits, as a picture (README)."""

from __future__ import annotations

from pathlib import Path

import torch

import toyworld_eval
import toyworld_plots
from toyworld import world


def ladder_images(bench: toyworld_eval.Bench, edits: list, rungs: int, option=toyworld_eval.OPTIONS["paper"]):
    """The ladder's edited images (rungs, N, 3, H, W) in [0, 1], strongest edit first, and its rung labels."""
    g, ex = bench.executor.Graph(), bench.executor
    m, src, inv, _ = bench.invert(g, option, torch.stack([world.render(e.source) for e in edits]))
    ladder = g.add("RFEditLadder", model=m, conditioning=g.cond(bench.captions([e.target_caption for e in edits])),
                   inverted=g.out(inv), reference=src, steps=option.steps, start_step=0, stop_step=option.stop_step,
                   eta=option.eta, eta_schedule="constant", guidance=0.0, mode="ode", seed=0, sweep="stop_step",
                   rungs=rungs, negative=bench.empty(g), cfg=option.cfg, order=option.order)
    name, text = g.capture(g.out(ladder)), "ladder labels"
    g.add("RFTestCaptureOutputs", name=text, text=g.out(ladder, 2))
    run = bench.runner.run(g)
    if not run.success:
        raise RuntimeError(f"the ladder failed: {run.error}")
    images = ((ex.take(name)["samples"].float() + 1) / 2).clamp(0, 1)
    return images.view(rungs, len(edits), *images.shape[1:]), ex.take(text)["text"].splitlines()


def picture(seed: int, path: Path, rungs: int = 7, weights: Path | None = None) -> Path:
    """One edit of each kind: source, ground truth, then every rung of a stop_step ladder up to 7 (the paper's)."""
    edits = toyworld_plots.examples(seed, per_kind=1)
    images, labels = ladder_images(toyworld_eval.Bench(weights), edits, rungs)
    return toyworld_plots.grid(edits, dict(zip(labels, images)), path)
