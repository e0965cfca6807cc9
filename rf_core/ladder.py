"""An edit ladder: several edits of one sampling grid as one batch, so each model call serves every rung."""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import torch

from .checks import RFInputError, check_option
from .noise import NoiseSampler
from .pipeline import EditPlan, edit_plan
from .schedules import window_values
from .schemes import Callback, Velocity
from .solvers import reverse_walk

SWEEPS = ("stop_step", "eta")


def ladder_plans(sigmas: torch.Tensor, *, sweep: str, rungs: int, eta: float = 0.9, stop_step: int = 7,
                 **settings) -> list[EditPlan]:
    """One plan per rung, from the strongest edit to the setting given: stop_step evenly over
    [start_step + 1, stop_step], or eta evenly over (0, eta]; settings as edit_plan."""
    base = edit_plan(sigmas, eta=eta, stop_step=stop_step, **settings)
    check_option("sweep", sweep, SWEEPS)
    rungs, start = int(rungs), base.start_step
    if rungs < 2:
        raise RFInputError(f"rungs must be at least 2, got {rungs}: a ladder of 1 is the single edit.")
    if sweep == "eta":
        return [dataclasses.replace(base, etas=tuple(e * k / rungs for e in base.etas)) for k in range(1, rungs + 1)]
    stops = [start + round(k * (int(stop_step) - start) / rungs) for k in range(1, rungs + 1)]
    if len(set(stops)) < rungs:
        raise RFInputError(f"rungs ({rungs}) is more than the stop_steps from start_step + 1 to stop_step "
                           f"({int(stop_step) - start}): lower rungs or raise stop_step.")
    kind = settings.get("eta_schedule", "constant")
    return [dataclasses.replace(base, etas=tuple(window_values(float(eta), base.steps, start, s, kind))) for s in stops]


def run_ladder(velocity: Velocity, x: torch.Tensor, y0: torch.Tensor, plans: Sequence[EditPlan], *,
               mask: Optional[torch.Tensor] = None, noise: Optional[NoiseSampler] = None,
               steps: Optional[Sequence[int]] = None, callback: Optional[Callback] = None) -> torch.Tensor:
    """The plans' edits of x as one batch, rung-major: rung r is out[r * B:(r + 1) * B] and equals run_edit with
    plans[r] (the same noise per rung). The plans share grid, start step, mode and order (ladder_plans)."""
    first, rungs, batch = plans[0], len(plans), x.shape[0]
    ones = (1,) * (x.ndim - 1)
    etas = [torch.tensor([p.etas[i] for p in plans]).repeat_interleave(batch).view(rungs * batch, *ones)
            for i in range(first.steps)]
    tile = (lambda t: t.expand(batch, *t.shape[1:]).repeat(rungs, *ones))
    steps = range(first.start_step, first.steps) if steps is None else range(*steps)
    rung_noise = None if first.mode != "sde" else (lambda sigma: noise(sigma).repeat(rungs, *ones))
    return reverse_walk(velocity, tile(x), tile(y0), list(first.sigmas), etas, first.order, steps,
                        None if mask is None else tile(mask), rung_noise, callback=callback)
