"""Tiny real VAEs (comfy.sd.VAE with seeded random weights) for the tests: Flux's AutoencoderKL layout (16 latent
channels, 8x down) and Wan 2.1's video VAE (16 channels, 8x space, 4x time). The e2e stand-in loaders
(tests/e2e/standin_pack) serve them for the workflows' VAE files; node tests decode with them."""

from __future__ import annotations

import math

import torch

from seeded import gen

FLUX_DDCONFIG = {
    "double_z": True, "z_channels": 16, "resolution": 64, "in_channels": 3,
    "out_ch": 3, "ch": 32, "ch_mult": [1, 1, 1, 1], "num_res_blocks": 1,
    "attn_resolutions": [], "dropout": 0.0,
}


def seeded_state_dict(module: torch.nn.Module, seed: int) -> dict:
    """Random weights with fan-in scaling; norms (and RMS-norm gammas) start at identity."""
    g = gen(seed)
    out = {}
    for name, ref in module.state_dict().items():
        leaf = name.rsplit(".", 1)[-1]
        is_norm = ("norm" in name and leaf in ("weight", "scale")) or leaf in ("scale", "gamma")
        if is_norm:
            out[name] = torch.ones(ref.shape, dtype=torch.float32)
        elif ref.ndim >= 2:
            fan_in = ref[0].numel()
            out[name] = torch.randn(ref.shape, generator=g) / math.sqrt(fan_in)
        else:
            out[name] = torch.randn(ref.shape, generator=g) * 0.02
    return out


def flux_vae():
    """A comfy.sd.VAE around a 32-wide AutoencoderKL with Flux's 16 latent channels and 8x downscale."""
    import comfy.sd

    config = {"params": {"ddconfig": dict(FLUX_DDCONFIG), "embed_dim": 16}}
    probe = comfy.sd.AutoencoderKL(**config["params"])
    sd = seeded_state_dict(probe, 4321)
    del probe
    vae = comfy.sd.VAE(sd=sd, config=config, dtype=torch.float32)
    vae.latent_channels = 16
    return vae


def wan21_vae():
    """A real comfy.sd.VAE that detects a Wan 2.1 VAE (16 latent channels, 8x space, 4x time) of width 4."""
    import comfy.ldm.wan.vae
    import comfy.sd

    probe = comfy.ldm.wan.vae.WanVAE(dim=4, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                                     temperal_downsample=[False, True, True])
    sd = seeded_state_dict(probe, 4322)
    del probe
    return comfy.sd.VAE(sd=sd)
