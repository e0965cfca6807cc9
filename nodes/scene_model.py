"""The toy world's scene model as a ComfyUI MODEL (a FLOW BaseModel around SceneDiT, shift 1) and its caption
encoder. The LATENT is the image: samples = image * 2 - 1, (B, 3, 32, 32)."""

from __future__ import annotations

import functools
from pathlib import Path

import comfy.latent_formats
import comfy.model_base
import comfy.model_management
import comfy.model_patcher
import comfy.supported_models_base
import torch

from ..toyworld import network, weights


class SceneLatent(comfy.latent_formats.LatentFormat):
    """Pixel space: RGB mapped to [-1, 1], no VAE."""

    latent_channels = 3
    scale_factor = 1.0
    spacial_downscale_ratio = 1


class SceneModelConfig(comfy.supported_models_base.BASE):
    """Rectified flow with ComfyUI's plain discrete-flow sampling."""

    unet_extra_config = {}
    sampling_settings = {"shift": 1.0, "multiplier": 1000}
    latent_format = SceneLatent
    memory_usage_factor = 1.0
    supported_inference_dtypes = [torch.float32]

    def get_model(self, state_dict, prefix="", device=None):
        return comfy.model_base.BaseModel(self, model_type=comfy.model_base.ModelType.FLOW, device=device,
                                          unet_model=network.SceneDiT)


def load_scene_model(path: str | Path = weights.WEIGHTS) -> comfy.model_patcher.ModelPatcher:
    """The trained scene model as a ComfyUI MODEL (float32)."""
    state, config, _ = weights.read(Path(path))
    model_config = SceneModelConfig(config)
    model_config.set_inference_dtype(torch.float32, None)
    model = model_config.get_model({})
    missing, unexpected = model.diffusion_model.load_state_dict(weights.split(state)[0], strict=False)
    if missing or unexpected:
        raise ValueError(f"{path} does not fit SceneDiT (missing {missing}, unexpected {unexpected}): retrain it "
                         "with bench/toyworld_train.py")
    model = model.to(comfy.model_management.unet_offload_device())
    return comfy.model_patcher.ModelPatcher(model, load_device=comfy.model_management.get_torch_device(),
                                            offload_device=comfy.model_management.unet_offload_device())


@functools.lru_cache(maxsize=4)
def _text(path: str) -> network.TextEmbedding:
    return weights.load(Path(path))[1]


def encode_caption(text: str, path: str | Path = weights.WEIGHTS) -> list:
    """CONDITIONING [[context (1, T, D), {}]] of a toy-world caption ("" = the null prompt)."""
    with torch.no_grad():
        return [[_text(str(path)).encode([text]), {}]]
