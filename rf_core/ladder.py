"""Several edits of one grid as one batch: each model call serves every rung."""

from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence

import torch

from .checks import RFInputError, check_option
from .noise import NoiseSampler
from .pipeline import EditPlan, edit_plan
from .schedules import window_values
from .schemes import Callback, Velocity
from .solvers import reverse_walk

SWEEPS = ("stop_step", "eta")


@dataclasses.dataclass(frozen=True)
class EditLadder:
    """Each rung's swept value and plan, strongest edit first."""

    sweep: str
    values: tuple
    plans: tuple


def edit_ladder(sigmas: torch.Tensor, *, sweep: str, rungs: int, eta: float = 0.9, stop_step: int = 7,
                resolution: Optional[float] = None, **settings) -> EditLadder:
    """stop_step over [start_step + 1, stop_step], or eta over (0, eta] rounded to `resolution`."""
    base = edit_plan(sigmas, eta=eta, stop_step=stop_step, **settings)
    check_option("sweep", sweep, SWEEPS)
    rungs = int(rungs)
    if rungs < 2:
        raise RFInputError(f"rungs must be at least 2, got {rungs}: a ladder of 1 is the single edit.")
    if max(base.etas) == 0.0:
        raise RFInputError("eta is 0, so every rung would be the same free generation: set eta above 0.")
    kind = settings.get("eta_schedule", "constant")
    if sweep == "eta":
        values = _eta_values(base.etas[base.start_step], rungs, resolution)
        etas = [window_values(v, base.steps, base.start_step, int(stop_step), kind) for v in values]
    else:
        values = _stop_values(base.start_step, int(stop_step), rungs)
        etas = [window_values(base.etas[base.start_step], base.steps, base.start_step, s, kind) for s in values]
    return EditLadder(sweep, tuple(values), tuple(dataclasses.replace(base, etas=tuple(e)) for e in etas))


def _stop_values(start: int, stop: int, rungs: int) -> list[int]:
    stops = [start + round(k * (stop - start) / rungs) for k in range(1, rungs + 1)]
    if len(set(stops)) < rungs:
        raise RFInputError(f"rungs ({rungs}) is more than the stop_steps from start_step + 1 to stop_step "
                           f"({stop - start}): lower rungs or raise stop_step.")
    return stops


def _eta_values(eta: float, rungs: int, resolution: Optional[float]) -> list[float]:
    values = [eta * k / rungs for k in range(1, rungs + 1)]
    if resolution is None:
        return values
    values = [round(math.floor(v / resolution + 0.5 + 1e-9) * resolution, 10) for v in values]  # halves up
    if values[0] <= 0.0 or len(set(values)) < rungs:
        raise RFInputError(f"rungs ({rungs}) is more than the etas in steps of {resolution} from 0 to eta "
                           f"({eta}): lower rungs or raise eta.")
    return values


def ladder_plans(sigmas: torch.Tensor, *, sweep: str, rungs: int, eta: float = 0.9, stop_step: int = 7,
                 **settings) -> list[EditPlan]:
    return list(edit_ladder(sigmas, sweep=sweep, rungs=rungs, eta=eta, stop_step=stop_step, **settings).plans)


def tile_rungs(t: torch.Tensor, rungs: int, batch: int) -> torch.Tensor:
    """t (batch 1 or `batch`) as `rungs` batches."""
    return t.expand(batch, *t.shape[1:]).repeat(rungs, *((1,) * (t.ndim - 1)))


def run_ladder(velocity: Velocity, x: torch.Tensor, y0: torch.Tensor, plans: Sequence[EditPlan], *,
               mask: Optional[torch.Tensor] = None, noise: Optional[NoiseSampler] = None,
               steps: Optional[Sequence[int]] = None, callback: Optional[Callback] = None,
               tiled: bool = False) -> torch.Tensor:
    """Rung r, out[r * B:(r + 1) * B], equals run_edit with plans[r]; tiled: x is already rung-major."""
    first, rungs = plans[0], len(plans)
    batch = x.shape[0] // rungs if tiled else x.shape[0]
    ones = (1,) * (x.ndim - 1)
    etas = [torch.tensor([p.etas[i] for p in plans]).repeat_interleave(batch).view(rungs * batch, *ones)
            for i in range(first.steps)]
    steps = range(first.start_step, first.steps) if steps is None else range(*steps)
    rung_noise = None if first.mode != "sde" else (lambda sigma: noise(sigma).repeat(rungs, *ones))
    state = x if tiled else tile_rungs(x, rungs, batch)
    return reverse_walk(velocity, state, tile_rungs(y0, rungs, batch), list(first.sigmas), etas, first.order, steps,
                        None if mask is None else tile_rungs(mask, rungs, batch), rung_noise, callback=callback)
