"""FlowEdit (Kulikov et al., 2024) on N steps: on [N - n_max, N - n_min), from z = x_src,
z += (sigma' - sigma) mean_k [v_tar(z + zt_k - x_src) - v_src(zt_k)], zt_k = (1 - sigma) x_src + sigma eps_k;
the last n_min steps sample the target from z + zt - x_src."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import torch

from .checks import RFInputError, check_sigmas
from .noise import NoiseSampler
from .schemes import Callback, Velocity, model_of


@dataclass(frozen=True)
class FlowEditPlan:
    sigmas: tuple
    n_min: int
    n_max: int
    n_avg: int = 1

    @property
    def evaluations(self) -> int:
        """Model evaluations of one edit (each doubled by cfg > 1)."""
        return 2 * self.n_avg * (self.n_max - self.n_min) + self.n_min


def flowedit_plan(sigmas: torch.Tensor, *, n_min: int, n_max: int, n_avg: int = 1) -> FlowEditPlan:
    sig = check_sigmas(sigmas, increasing=False)
    n = len(sig) - 1
    if not (0 <= int(n_min) < int(n_max) <= n):
        raise RFInputError(f"FlowEdit needs 0 <= n_min < n_max <= steps ({n}), got n_min {n_min}, n_max {n_max}: "
                           f"lower n_min or set n_max to at most {n}.")
    if int(n_avg) < 1:
        raise RFInputError("FlowEdit averages at least one noise draw per step: n_avg must be 1 or more.")
    return FlowEditPlan(tuple(sig), int(n_min), int(n_max), int(n_avg))


def run_flowedit(v_src: Velocity, v_tar: Velocity, x_src: torch.Tensor, plan: FlowEditPlan, *,
                 noises: Sequence[NoiseSampler], callback: Optional[Callback] = None) -> torch.Tensor:
    """The plan's edit of x_src, one noise sampler per averaged draw."""
    sig, n = list(plan.sigmas), len(plan.sigmas) - 1
    src, tar = model_of(v_src), model_of(v_tar)
    x = x_src.detach().to(torch.float32)
    z, xt = x.clone(), None
    for i in range(n - plan.n_max, n):
        s, s_next = sig[i], sig[i + 1]
        if i < n - plan.n_min:
            zts = [(1 - s) * x + s * draw(s).to(x) for draw in noises]
            dv = sum(tar(z + zt - x, s) - src(zt, s) for zt in zts) / len(zts)
            state, v, z = z, dv, z + (s_next - s) * dv
        else:
            if xt is None:
                xt = z + ((1 - s) * x + s * noises[0](s).to(x)) - x
            state, v = xt, tar(xt, s)
            xt = xt + (s_next - s) * v
        if callback is not None:
            callback({"i": i, "x": state, "v": v, "sigma": s, "sigma_next": s_next, "denoised": state - s * v})
    return z if xt is None else xt


def flowedit(v_src: Velocity, v_tar: Velocity, x_src: torch.Tensor, sigmas: torch.Tensor, *, n_min: int, n_max: int,
             noises: Sequence[NoiseSampler], callback: Optional[Callback] = None) -> torch.Tensor:
    plan = flowedit_plan(sigmas, n_min=n_min, n_max=n_max, n_avg=len(noises))
    return run_flowedit(v_src, v_tar, x_src, plan, noises=noises, callback=callback)
