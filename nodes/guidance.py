"""The guidance and cfg inputs: guidance reaches only models with a guidance embedding, never over an upstream one."""

from __future__ import annotations

import logging
import math

import torch

import node_helpers

from ..rf_core import RFInputError

GUIDANCE_MODELS = "Flux dev, Flux.2 dev, HunyuanVideo, HunyuanImage"


def has_guidance_embedding(model_patcher) -> bool:
    """The params' guidance_embed flag, else a non-Identity guidance_in, else the config's flag."""
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
    """The conditioning with this guidance."""
    guidance = float(guidance)
    if not math.isfinite(guidance):
        raise RFInputError(f"guidance must be a finite number, got {guidance}: set guidance to a value from 0 to 100.")
    if not has_guidance_embedding(model_patcher):
        return conditioning
    if any("guidance" in extra and extra["guidance"] is None for _, extra in conditioning):
        logging.info("RF-Inversion: the %s's guidance is off (FluxDisableGuidance upstream): the guidance input (%s) "
                     "is not written.", name, guidance)
        return conditioning
    for _, extra in conditioning:
        upstream = extra.get("guidance")
        if upstream is not None and float(upstream) != guidance:
            raise RFInputError(f"the {name} already carries guidance {float(upstream)} (FluxGuidance upstream) but "
                               f"this node's is {guidance}: set guidance to {float(upstream)}, or remove FluxGuidance.")
    return node_helpers.conditioning_set_values(conditioning, {"guidance": guidance})


def check_cfg(cfg: float, negative, name: str = "cfg") -> float:
    """A finite scale; if not 1, a negative prompt to act on."""
    cfg = float(cfg)
    if not math.isfinite(cfg):
        raise RFInputError(f"{name} must be a finite number, got {cfg}: set {name} to 1 (off) or a scale up to 100.")
    if negative is None and cfg != 1.0:
        raise RFInputError(
            f"{name} is {cfg} but no negative conditioning is connected: connect a negative prompt, or set {name} to 1."
        )
    return cfg
