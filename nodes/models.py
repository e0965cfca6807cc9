"""What a ComfyUI model is, as RF-Inversion needs to know it: a rectified flow or not, its latent layout, whether its
network predicts x0, the std of its prior noise and how many noise levels its schedule has."""

from __future__ import annotations

import torch

import comfy.model_base
import comfy.model_sampling

from ..rf_core import RFInputError

# Why a model that is not a rectified flow (model_sampling CONST) cannot be inverted, by prediction type.
_NOT_A_FLOW = {
    "EPS": "an epsilon model (its network predicts the noise)",
    "V_PREDICTION": "a v-prediction model",
    "IMG_TO_IMG_FLOW": "an image-to-image flow: its network predicts the image itself and its sampling never adds "
    "noise, so there is no noise to invert to",
    "COSMOS_RFLOW": "a Cosmos flow on an EDM noise scale (the image plus sigma times the noise, sigma up to 80), "
    "not the rectified flow's interpolation (1 - sigma) image + sigma noise",
}
# Latent formats of models that make 3-D shapes: their latents are shape tokens (B, C, N).
SHAPE_LATENT_FORMATS = ("Hunyuan3Dv2", "Hunyuan3Dv2_1", "Hunyuan3Dv2mini")
_LAYOUTS = {1: "(B, C, L), an audio latent", 2: "(B, C, H, W), an image latent", 3: "(B, C, T, H, W), a video latent"}


def prediction_type(sampling) -> str:
    """EPS, CONST, IMG_TO_IMG_FLOW, COSMOS_RFLOW, ...: the first class of the sampling object's MRO in
    comfy.model_sampling that is not a schedule (ComfyUI builds the class from a schedule and a prediction)."""
    return next((k.__name__ for k in type(sampling).__mro__
                 if k.__module__ == comfy.model_sampling.__name__ and not issubclass(k, torch.nn.Module)),
                type(sampling).__name__)


def check_flow_model(patcher) -> None:
    """The model samples by rectified flow (CONST, not an image-to-image flow) on images, video or audio."""
    sampling = patcher.get_model_object("model_sampling")
    name = type(patcher.model).__name__
    kind = prediction_type(sampling)
    img_to_img = getattr(comfy.model_sampling, "IMG_TO_IMG_FLOW", None)
    if not isinstance(sampling, comfy.model_sampling.CONST) or (img_to_img and isinstance(sampling, img_to_img)):
        raise RFInputError(
            "RF-Inversion needs a rectified-flow model (model_sampling CONST: Flux, SD3/3.5, AuraFlow, HiDream, "
            f"Chroma, Qwen-Image, Wan, ...), but this model ({name}) samples by {kind}, "
            f"{_NOT_A_FLOW.get(kind, f'a {kind} model')}. Load a flow model (rectified flow), or use the core "
            "samplers for this one."
        )
    latent_format = type(patcher.get_model_object("latent_format")).__name__
    if latent_format in SHAPE_LATENT_FORMATS:
        raise RFInputError(
            f"RF-Inversion inverts image, video and audio latents, but this model ({name}, Hunyuan3D) makes 3-D "
            f"shapes: its latents ({latent_format}) are shape tokens (B, C, N), which no ComfyUI node encodes from a "
            "shape, so there is no source latent to invert, and a mask has no meaning over them. Use the core "
            "samplers for this model."
        )


def check_latent_layout(patcher, name: str, samples: torch.Tensor) -> None:
    """samples has the model's latent layout (its latent_format's dimensions) and channel count."""
    latent_format = patcher.get_model_object("latent_format")
    dims = int(getattr(latent_format, "latent_dimensions", 2))
    if samples.ndim != dims + 2:
        raise RFInputError(
            f"{name} has shape {tuple(samples.shape)} but this model works on latents "
            f"{_LAYOUTS.get(dims, f'{dims + 2}-D')}: give {name} a latent made for this model (its VAE, or its own "
            "empty-latent node)."
        )
    channels = int(latent_format.latent_channels)
    if samples.shape[1] != channels:
        raise RFInputError(
            f"{name} has {samples.shape[1]} channels but this model works on {channels}-channel latents: encode "
            f"the image with this model's VAE ({channels} channels, e.g. the Flux or SD3 VAE), not one of another "
            "model family (SD1.5/SDXL latents have 4)."
        )


def predicts_x0(patcher) -> bool:
    """Whether the network predicts x0 and returns (x - x0_hat) / sigma, not finite at sigma = 0: ComfyUI marks such
    checkpoints with an `__x0__` buffer (Chroma Radiance x0, Z-Image pixel space), and HiDream-O1 always does it."""
    net = patcher.get_model_object("diffusion_model")
    hidream_o1 = getattr(comfy.model_base, "HiDreamO1", None)  # ComfyUI 0.16.3 has no HiDream-O1
    return hasattr(net, "__x0__") or (hidream_o1 is not None and isinstance(patcher.model, hidream_o1))


def noise_scale(patcher) -> float:
    """The std of the model's prior noise: model_sampling.noise_scale where ComfyUI has it (8 for HiDream-O1)."""
    return float(getattr(patcher.get_model_object("model_sampling"), "noise_scale", 1.0))


def check_velocity_at_sigma0(patcher) -> None:
    """The inversion's first step reads the network's raw output at sigma = 0 (x0 networks are read at sigma_1):
    that needs a PyTorch module to hook."""
    net = patcher.get_model_object("diffusion_model")
    if predicts_x0(patcher) or isinstance(net, torch.nn.Module):
        return
    raise RFInputError(
        f"RF-Inversion reads the velocity at sigma = 0, where the inversion starts, from the diffusion model's raw "
        f"output, but this model's diffusion model is a {type(net).__name__}, not a PyTorch module (e.g. a TensorRT "
        "engine). Give RFInvert's model input the same model loaded by a standard loader (Load Diffusion Model / "
        "Load Checkpoint); RFControlledSampler and the stochastic sampler can keep this one."
    )


def noise_levels(patcher) -> int | None:
    """How many noise levels the model's sigma table has (discrete flow: 1000, Flux: 10000): the most steps its
    'simple' schedule gives without repeating a sigma. None if it keeps no table."""
    table = getattr(patcher.get_model_object("model_sampling"), "sigmas", None)
    return int(table.numel()) if isinstance(table, torch.Tensor) else None


def steps_limit_hint(patcher, steps: int) -> str:
    """What to set when `steps` is more than the model has noise levels; "" if it is not."""
    levels = noise_levels(patcher)
    if levels is None or int(steps) <= levels:
        return ""
    kinds = type(patcher.get_model_object("model_sampling")).__mro__
    kind = next((k.__name__ for k in kinds if k.__name__.startswith("ModelSampling") and k.__name__ != "ModelSampling"),
                kinds[0].__name__)
    return (f"steps ({int(steps)}) is more than this model has noise levels ({levels} noise levels, {kind}): set "
            f"steps to {levels} or fewer (its 'simple' schedule would repeat sigmas).")
