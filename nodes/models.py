"""What RF-Inversion needs to know of a ComfyUI model."""

from __future__ import annotations

import torch

import comfy.model_base
import comfy.model_sampling

from ..rf_core import RFInputError
from .patches import node_of

_NOT_A_FLOW = {  # why, by prediction type
    "EPS": "an epsilon model",
    "V_PREDICTION": "a v-prediction model",
    "IMG_TO_IMG_FLOW": "an image-to-image flow that never adds noise, so there is no noise to invert to",
    "COSMOS_RFLOW": "a Cosmos flow on an EDM noise scale, not (1 - sigma) image + sigma noise",
}
OBJECT_LATENT_FORMATS = ("Hunyuan3Dv2", "Hunyuan3Dv2_1", "Hunyuan3Dv2mini", "TripoSplat")  # 3-D objects
_LAYOUTS = {1: "(B, C, L), an audio latent", 2: "(B, C, H, W), an image latent", 3: "(B, C, T, H, W), a video latent"}


def prediction_type(sampling) -> str:
    """The prediction class (EPS, CONST, ...) of a sampling object."""
    return next((k.__name__ for k in type(sampling).__mro__
                 if k.__module__ == comfy.model_sampling.__name__ and not issubclass(k, torch.nn.Module)),
                type(sampling).__name__)


def check_flow_model(patcher) -> None:
    """A CONST flow, not image-to-image, on whole image, video or audio latents."""
    sampling = patcher.get_model_object("model_sampling")
    name = type(patcher.model).__name__
    kind = prediction_type(sampling)
    img_to_img = getattr(comfy.model_sampling, "IMG_TO_IMG_FLOW", None)
    if not isinstance(sampling, comfy.model_sampling.CONST) or (img_to_img and isinstance(sampling, img_to_img)):
        why = _NOT_A_FLOW.get(kind, f"a {kind} model")
        setter = node_of(type(sampling))  # a ModelSampling* node's class, made in its patch
        if "<locals>" in type(sampling).__qualname__ and setter.startswith("ModelSampling"):
            raise RFInputError(f"RF-Inversion needs a rectified-flow model, but {setter} makes "
                               f"{name} sample by {kind} ({why}): remove it, or use ModelSamplingFlux, "
                               "ModelSamplingSD3 or ModelSamplingAuraFlow.")
        raise RFInputError(f"RF-Inversion needs a rectified-flow model (Flux, SD3, Qwen-Image, Wan, ...), but {name} "
                           f"samples by {kind}: {why}. Load a flow model.")
    latent_format = patcher.get_model_object("latent_format")
    format_name = type(latent_format).__name__
    if format_name in OBJECT_LATENT_FORMATS:
        raise RFInputError(f"RF-Inversion inverts image, video and audio latents, but {name} makes 3-D objects "
                           f"({format_name} latents): no node encodes a source to invert. Use core samplers.")
    check_whole_latent_sampling(patcher, name)
    check_latent_kept_as_is(latent_format, name)


def check_whole_latent_sampling(patcher, name: str) -> None:
    """Refuses causal models (the KV-cache interface of ComfyUI's ar_video)."""
    net = patcher.get_model_object("diffusion_model")
    if hasattr(net, "init_kv_caches"):
        raise RFInputError(f"{name} is a causal video model: it generates a few frames at a time against a cache of "
                           "the frames before (the ar_video sampler), so a whole-video inversion does not follow how "
                           "it generates. Use a non-causal model of its family (Wan 2.1) to invert.")


def check_latent_kept_as_is(latent_format, name: str) -> None:
    """Refuses a latent format whose process_in changes the latent's shape."""
    dims = int(getattr(latent_format, "latent_dimensions", 2))
    probe = torch.zeros((1, int(latent_format.latent_channels), *(1,) * (dims - 1), 2))
    shape = tuple(latent_format.process_in(probe).shape)
    if shape != tuple(probe.shape):
        raise RFInputError(f"{name}'s latent format ({type(latent_format).__name__}) repacks a latent on its way into "
                           f"the model ({tuple(probe.shape)} becomes {shape}), so ComfyUI samples it only from an "
                           "empty latent: there is no source latent to invert. Invert with the model whose output it "
                           "refines.")


def check_latent_layout(patcher, name: str, tensors: list[torch.Tensor]) -> None:
    """The latents' dims and channels match the model's latent format."""
    latent_format = patcher.get_model_object("latent_format")
    dims = int(getattr(latent_format, "latent_dimensions", 2))
    samples = tensors[0]
    if samples.ndim != dims + 2:
        raise RFInputError(f"{name} has shape {tuple(samples.shape)} but this model takes "
                           f"{_LAYOUTS.get(dims, f'{dims + 2}-D latents')}: give it a latent of this model's VAE.")
    channels = int(latent_format.latent_channels)
    got = max(t.shape[1] for t in tensors)  # a nested latent: its widest part (LTX-2's video, MiniMax H3's audio)
    if got != channels:
        raise RFInputError(f"{name} has {got} channels but this model works on {channels}-channel latents: encode "
                           "the image with this model's VAE.")


def predicts_x0(patcher) -> bool:
    """Whether the network returns (x - x0_hat) / sigma: ComfyUI's `__x0__` marker, or HiDream-O1."""
    net = patcher.get_model_object("diffusion_model")
    hidream_o1 = getattr(comfy.model_base, "HiDreamO1", None)  # ComfyUI 0.16.3 has no HiDream-O1
    return hasattr(net, "__x0__") or (hidream_o1 is not None and isinstance(patcher.model, hidream_o1))


def noise_scale(patcher) -> float:
    """The std of the prior noise (8 for HiDream-O1 on ComfyUI 0.30; else 1)."""
    return float(getattr(patcher.get_model_object("model_sampling"), "noise_scale", 1.0))


def check_velocity_at_sigma0(patcher) -> None:
    """The raw output at sigma = 0 needs a torch module to hook (x0 networks are read at sigma_1)."""
    net = patcher.get_model_object("diffusion_model")
    if predicts_x0(patcher) or isinstance(net, torch.nn.Module):
        return
    raise RFInputError(f"RFInvert reads the network's raw output at sigma = 0, but this diffusion model is a "
                       f"{type(net).__name__}, not a PyTorch module: give RFInvert the model from a standard loader.")


def config_name(patcher) -> str:
    """The class name of the model's ComfyUI config (comfy.supported_models)."""
    return type(getattr(patcher.model, "model_config", None)).__name__


UNBATCHABLE = {  # model_config class -> why a batch run differs from each item's own
    "MiniMaxH3": "ComfyUI runs MiniMax H3 on one item at a time",
    "HunyuanVideo15_SR_Distilled": "HunyuanVideo 1.5 super-resolution draws its noise augmentation for the whole "
                                   "batch, so a rung would not be its single edit",
}


def check_batchable(patcher) -> None:
    """The ladder runs its rungs as one batch: refuses UNBATCHABLE models."""
    why = UNBATCHABLE.get(config_name(patcher))
    if why is not None:
        raise RFInputError(f"RF-Inversion: Edit Ladder runs its rungs as one batch, but {why}: run "
                           "RFControlledSampler once per setting instead.")


DISTILLED = {"FluxSchnell": "Flux.1 schnell"}  # step-distilled model_config classes


def distilled_name(patcher) -> str | None:
    """The name of a step-distilled model; None for others."""
    return DISTILLED.get(config_name(patcher))


def noise_levels(patcher) -> int | None:
    """The most steps 'simple' gives without repeats."""
    table = getattr(patcher.get_model_object("model_sampling"), "sigmas", None)
    return int(table.numel()) if isinstance(table, torch.Tensor) else None


def steps_limit_hint(patcher, steps: int) -> str:
    """The fix when `steps` exceeds the noise levels; "" if not."""
    levels = noise_levels(patcher)
    if levels is None or int(steps) <= levels:
        return ""
    kinds = type(patcher.get_model_object("model_sampling")).__mro__
    kind = next((k.__name__ for k in kinds if k.__name__.startswith("ModelSampling") and k.__name__ != "ModelSampling"),
                kinds[0].__name__)
    return f"steps ({int(steps)}) exceeds this model's {levels} noise levels ({kind}): set steps to {levels} or fewer."
