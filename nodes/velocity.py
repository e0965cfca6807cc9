"""The guided velocity v = (x - D) / sigma, and the raw network output at sigma = 0."""

from __future__ import annotations

import torch

import comfy.model_management
import comfy.model_patcher
import comfy.patcher_extension
import comfy.utils

from ..rf_core import RFInputError
from . import patches

_SIGMA0_WRAPPER_KEY = "rf_inversion_velocity_at_sigma0"


def _velocity_output_at_sigma0(executor, x, t, *args, **kwargs):
    """APPLY_MODEL wrapper for sigma = 0: returns x - v instead of D = x."""
    captured = []
    net = executor.class_obj.diffusion_model
    handle = net.register_forward_hook(lambda _module, _inputs, output: captured.append(output))
    try:
        executor(x, t, *args, **kwargs)
    finally:
        handle.remove()
    if len(captured) != 1:
        raise RFInputError(f"RFInvert reads one network output at sigma = 0 but saw {len(captured)}: a patch or "
                           "cache node changes how the network is called: connect RFInvert's model input before it.")
    out = captured[0]
    if not torch.is_tensor(out):  # LTX-2's network returns [video, audio]: packed as _apply_model packs it
        out = comfy.utils.pack_latents(out)[0]
    return x - out.to(x.dtype)


class GuiderVelocity:
    """velocity(x, sigma) for rf_core from a Sampler's (model_wrap, extra_args)."""

    def __init__(self, model_wrap, extra_args: dict):
        self.model_wrap = model_wrap
        self.extra_args = extra_args

    def _model_options_sigma0(self) -> dict:
        """The pass's model_options plus the sigma = 0 wrapper, less the CFG-stage functions (logged)."""
        options = comfy.model_patcher.create_model_options_clone(self.extra_args.get("model_options", {}))
        patches.say([(n, patches.AT_SIGMA0) for n in patches.drop_cfg_functions(options)], "step from sigma = 0")
        comfy.patcher_extension.add_wrapper_with_key(
            comfy.patcher_extension.WrappersMP.APPLY_MODEL, _SIGMA0_WRAPPER_KEY, _velocity_output_at_sigma0,
            options, is_model_options=True,
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
