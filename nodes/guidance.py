"""The nodes' `guidance` input: the distilled-guidance value of models that have a guidance embedding.

Rule (one place, the tooltips say it): the node writes its guidance into the conditioning, as FluxGuidance does,
only when the model has a guidance embedding (Flux dev, Flux.2 dev, HunyuanVideo, HunyuanImage, ...). Other
models get the conditioning unchanged: SD3 or Flux schnell ignore the key, and Chroma, which has no embedding but
READS `guidance` (default 0), would change its output. A guidance already in the conditioning (FluxGuidance
upstream) is the user's: if it differs from the node's value the node refuses, naming both, instead of replacing it.
"""

from __future__ import annotations

import math

import torch

import node_helpers

from ..rf_core import RFInputError

GUIDANCE_MODELS = "Flux dev, Flux.2 dev, HunyuanVideo, HunyuanImage"


def has_guidance_embedding(model_patcher) -> bool:
    """Whether the diffusion model embeds a guidance value: its params' guidance_embed flag (Flux and HunyuanVideo
    families), else a guidance_in layer that is not an Identity, else the model config's guidance_embed (a
    diffusion model that is not a torch module, e.g. a TensorRT engine, keeps only that)."""
    net = model_patcher.get_model_object("diffusion_model")
    flag = getattr(getattr(net, "params", None), "guidance_embed", None)
    if flag is not None:
        return bool(flag)
    layer = getattr(net, "guidance_in", None)
    if isinstance(layer, torch.nn.Module):
        return not isinstance(layer, torch.nn.Identity)
    config = getattr(model_patcher.model, "model_config", None)
    return bool(getattr(config, "unet_config", {}).get("guidance_embed", False))


def conditioning_with_guidance(model_patcher, conditioning, guidance: float, name: str = "conditioning"):
    """The conditioning the node samples with: see the module's rule. Returns the input unchanged if no embedding."""
    guidance = float(guidance)
    if not math.isfinite(guidance):
        raise RFInputError(f"guidance must be a finite number, got {guidance}: set guidance to a value from 0 to 100.")
    if not has_guidance_embedding(model_patcher):
        return conditioning
    for _, extra in conditioning:
        upstream = extra.get("guidance")
        if upstream is not None and float(upstream) != guidance:
            raise RFInputError(
                f"the {name} already carries guidance {float(upstream)} (set upstream, e.g. by FluxGuidance) but "
                f"this node's guidance is {guidance}: set guidance to {float(upstream)} to keep the upstream value, "
                "or remove the upstream FluxGuidance (or give it the same value)."
            )
    return node_helpers.conditioning_set_values(conditioning, {"guidance": guidance})


def check_cfg(cfg: float, negative) -> float:
    """cfg is a finite scale, and a scale other than 1 has a negative prompt to act on."""
    cfg = float(cfg)
    if not math.isfinite(cfg):
        raise RFInputError(f"cfg must be a finite number, got {cfg}: set cfg to 1 (off) or a scale up to 100.")
    if negative is None and cfg != 1.0:
        raise RFInputError(
            f"cfg is {cfg} but no negative conditioning is connected: connect a negative prompt, or set cfg to 1."
        )
    return cfg
