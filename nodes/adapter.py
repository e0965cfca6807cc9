"""Glue between ComfyUI's guiders and rf_core: read the flow model's velocity v = eps - x0.

Inside a ComfyUI Sampler, the guider maps (x, sigma) to the x0 estimate D. For every flow model
(model_sampling CONST: Flux, SD3, AuraFlow, HiDream, Chroma, Lumina2, Wan, ...) D = x - sigma * v, so
v = (x - D) / sigma for sigma > 0. At sigma = 0, where the inversion starts, D = x carries no velocity: there
an APPLY_MODEL wrapper (ComfyUI's public extension point, installed only on that call's model_options)
reads the network's raw output and returns x - v, the x0 estimate the same model would give at sigma = 1.
The guider's combination of conds and cfg is linear in D, so v = x - D is then the guided velocity.
An x0-predicting network (predicts_x0) is not finite at sigma = 0: for it the inversion reads its first velocity at
sigma_1 instead (rf_core's first_velocity "sigma1"), and nothing is read at sigma = 0.
"""

from __future__ import annotations

import torch

import comfy.model_base
import comfy.model_management
import comfy.model_patcher
import comfy.model_sampling
import comfy.patcher_extension
import comfy.utils

from ..rf_core import RFInputError

_SIGMA0_WRAPPER_KEY = "rf_inversion_velocity_at_sigma0"


# Why a model whose sampling is not CONST, or an image-to-image flow, cannot be inverted (by prediction type).
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


def prediction_type(sampling) -> str:
    """The prediction type of a model_sampling object (EPS, CONST, IMG_TO_IMG_FLOW, COSMOS_RFLOW, ...): its class is
    the dynamic "ModelSampling" built from a schedule and a prediction class of comfy.model_sampling, so the type is
    the first class of its MRO there that is not a schedule (torch module)."""
    return next((k.__name__ for k in type(sampling).__mro__
                 if k.__module__ == comfy.model_sampling.__name__ and not issubclass(k, torch.nn.Module)),
                type(sampling).__name__)


def flow_model_problem(model_patcher) -> str | None:
    """None if the model samples by rectified flow (CONST, not an image-to-image flow) on images, video or audio;
    otherwise what is wrong, naming the model and why, and what to do."""
    sampling = model_patcher.get_model_object("model_sampling")
    name = type(model_patcher.model).__name__
    kind = prediction_type(sampling)
    img_to_img = getattr(comfy.model_sampling, "IMG_TO_IMG_FLOW", None)
    if not isinstance(sampling, comfy.model_sampling.CONST) or (img_to_img and isinstance(sampling, img_to_img)):
        what = _NOT_A_FLOW.get(kind, f"a {kind} model")
        return (
            "RF-Inversion needs a rectified-flow model (model_sampling CONST: Flux, SD3/3.5, AuraFlow, HiDream, "
            f"Chroma, Qwen-Image, Wan, ...), but this model ({name}) samples by {kind}, {what}. Load a flow model (rectified "
            "flow), or use the core samplers for this one."
        )
    latent_format = type(model_patcher.get_model_object("latent_format")).__name__
    if latent_format in SHAPE_LATENT_FORMATS:
        return (
            f"RF-Inversion inverts image, video and audio latents, but this model ({name}, Hunyuan3D) makes 3-D "
            f"shapes: its latents ({latent_format}) are shape tokens (B, C, N), which no ComfyUI node encodes from a "
            "shape, so there is no source latent to invert, and a mask has no meaning over them. Use the core "
            "samplers for this model."
        )
    return None


def require_flow_model(model_patcher) -> None:
    problem = flow_model_problem(model_patcher)
    if problem is not None:
        raise ValueError(problem)


def predicts_x0(model_patcher) -> bool:
    """Whether the network predicts x0 and returns the velocity (x - x0_hat) / sigma, which is not finite at sigma = 0:
    ComfyUI marks such checkpoints with an `__x0__` buffer on the diffusion model (Chroma Radiance x0, Z-Image pixel
    space; comfy.model_detection reads it from the state dict), and HiDream-O1's network always predicts x0 (it
    divides by sigma clamped at 1e-3, so at sigma = 0 it returns 1000 times its x0 error)."""
    net = model_patcher.get_model_object("diffusion_model")
    hidream_o1 = getattr(comfy.model_base, "HiDreamO1", None)  # ComfyUI 0.16.3 has no HiDream-O1
    return hasattr(net, "__x0__") or (hidream_o1 is not None and isinstance(model_patcher.model, hidream_o1))


def first_velocity(model_patcher) -> str:
    """rf_core's first_velocity for the inversion: "sigma1" for x0-predicting networks, the paper's "sigma0" else."""
    return "sigma1" if predicts_x0(model_patcher) else "sigma0"


def noise_scale(model_patcher) -> float:
    """The std of the model's prior noise: newer ComfyUI's CONST.noise_scaling multiplies the noise by
    model_sampling.noise_scale (8 for HiDream-O1); ComfyUI 0.16.3 has no noise_scale, its noise has std 1."""
    return float(getattr(model_patcher.get_model_object("model_sampling"), "noise_scale", 1.0))


def velocity_at_sigma0_problem(model_patcher) -> str | None:
    """None if the sigma = 0 velocity can be read (it hooks the diffusion model's output); else what to do."""
    net = model_patcher.get_model_object("diffusion_model")
    if isinstance(net, torch.nn.Module):
        return None
    return (
        f"RF-Inversion reads the velocity at sigma = 0, where the inversion starts, from the diffusion model's raw "
        f"output, but this model's diffusion model is a {type(net).__name__}, not a PyTorch module (e.g. a TensorRT "
        "engine). Give RFInvert's model input the same model loaded by a standard loader (Load Diffusion Model / "
        "Load Checkpoint); RFControlledSampler and the stochastic sampler can keep this one."
    )


def require_velocity_at_sigma0(model_patcher) -> None:
    """The inversion reads the velocity at sigma = 0 (every model but an x0-predicting one): it can be read."""
    if predicts_x0(model_patcher):
        return
    problem = velocity_at_sigma0_problem(model_patcher)
    if problem is not None:
        raise RFInputError(problem)


def _velocity_output_at_sigma0(executor, x, t, *args, **kwargs):
    """APPLY_MODEL wrapper for sigma = 0 calls: returns x - v instead of the (uninformative) D = x."""
    captured = []
    net = executor.class_obj.diffusion_model
    handle = net.register_forward_hook(lambda _module, _inputs, output: captured.append(output))
    try:
        executor(x, t, *args, **kwargs)
    finally:
        handle.remove()
    if len(captured) != 1:
        raise RFInputError(
            "RF-Inversion reads the velocity at sigma = 0, where the inversion starts, from one diffusion-model "
            f"output per evaluation, but saw {len(captured)}: a model patch or caching node (e.g. TeaCache, First "
            "Block Cache) changes how the network is called. Connect RFInvert's model input to the model before "
            "that node (the edit may keep it), or switch the node off for the inversion."
        )
    out = captured[0]
    if not torch.is_tensor(out):  # LTX-2's network returns [video, audio]: packed as _apply_model packs it
        out = comfy.utils.pack_latents(out)[0]
    return x - out.to(x.dtype)


class GuiderVelocity:
    """velocity(x, sigma) for rf_core from a ComfyUI guider, as handed to Sampler.sample (model_wrap)."""

    def __init__(self, model_wrap, extra_args: dict):
        self.model_wrap = model_wrap
        self.extra_args = extra_args

    def _model_options_sigma0(self) -> dict:
        options = comfy.model_patcher.create_model_options_clone(self.extra_args.get("model_options", {}))
        comfy.patcher_extension.add_wrapper_with_key(
            comfy.patcher_extension.WrappersMP.APPLY_MODEL,
            _SIGMA0_WRAPPER_KEY,
            _velocity_output_at_sigma0,
            options,
            is_model_options=True,
        )
        return options

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        comfy.model_management.throw_exception_if_processing_interrupted()
        s = x.new_full((x.shape[0],), float(sigma))
        if sigma > 0:
            denoised = self.model_wrap(x, s, **self.extra_args)
            return (x - denoised.to(torch.float32)) / float(sigma)
        extra = dict(self.extra_args, model_options=self._model_options_sigma0())
        return x - self.model_wrap(x, s, **extra).to(torch.float32)
