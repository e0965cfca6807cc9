"""Plain-torch sampling of the toy model: Euler on sigma_i = 1 - i / steps, classifier-free guidance with the
null prompt ("") as the negative."""

from __future__ import annotations

import torch

from . import network


def sigmas(steps: int) -> torch.Tensor:
    """The grid 1 = sigma_0 > ... > sigma_steps = 0, evenly spaced."""
    return torch.linspace(1.0, 0.0, steps + 1)


def guided_velocity(net, x, sigma: float, cond, uncond, cfg: float) -> torch.Tensor:
    """v_uncond + cfg * (v_cond - v_uncond), both from one batched call."""
    t = torch.full((2 * x.shape[0],), sigma * 1000.0)
    v_cond, v_uncond = net(torch.cat([x, x]), t, context=torch.cat([cond, uncond])).chunk(2)
    return v_uncond + cfg * (v_cond - v_uncond)


@torch.no_grad()
def sample(net: network.SceneDiT, text: network.TextEmbedding, captions: list[str], seed: int,
           steps: int = 28, cfg: float = 3.0, size: int = 32) -> torch.Tensor:
    """Images (B, 3, size, size) in [0, 1] for the captions, from seeded noise."""
    noise = torch.randn((len(captions), 3, size, size), generator=torch.Generator().manual_seed(seed))
    cond, uncond = text.encode(captions), text.encode([""] * len(captions))
    x, grid = noise, sigmas(steps)
    for s, s_next in zip(grid[:-1].tolist(), grid[1:].tolist()):
        x = x + (s_next - s) * guided_velocity(net, x, s, cond, uncond, cfg)
    return ((x + 1) / 2).clamp(0, 1)
