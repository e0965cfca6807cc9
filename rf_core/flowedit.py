"""FlowEdit (Kulikov et al., 2024), inversion-free editing on a sampling grid of N steps: on the steps
[N - n_max, N - n_min), z <- z + (sigma' - sigma) mean_k [v_tar(z + zt_k - x_src, sigma) - v_src(zt_k, sigma)] with
zt_k = (1 - sigma) x_src + sigma eps_k, from z = x_src; the last n_min steps then sample the target from
z + zt - x_src. Model evaluations: 2 n_avg (n_max - n_min) + n_min."""

from __future__ import annotations

from typing import Optional, Sequence

import torch

from .checks import RFInputError, check_sigmas
from .noise import NoiseSampler
from .schemes import Callback, Velocity, model_of


def flowedit(v_src: Velocity, v_tar: Velocity, x_src: torch.Tensor, sigmas: torch.Tensor, *, n_min: int, n_max: int,
             noises: Sequence[NoiseSampler], callback: Optional[Callback] = None) -> torch.Tensor:
    """The edit of x_src (float32), one noise sampler per averaged draw (n_avg = len(noises))."""
    sig = check_sigmas(sigmas, increasing=False)
    n = len(sig) - 1
    if not (0 <= int(n_min) < int(n_max) <= n):
        raise RFInputError(f"FlowEdit needs 0 <= n_min < n_max <= steps ({n}), got n_min {n_min}, n_max {n_max}: "
                           f"lower n_min or set n_max to at most {n}.")
    if not noises:
        raise RFInputError("FlowEdit averages at least one noise draw per step: n_avg must be 1 or more.")
    src, tar = model_of(v_src), model_of(v_tar)
    x = x_src.detach().to(torch.float32)
    z, xt = x.clone(), None
    for i in range(n - int(n_max), n):
        s, s_next = sig[i], sig[i + 1]
        if i < n - int(n_min):
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
