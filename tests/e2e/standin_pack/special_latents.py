"""Test-only nodes that hand a real server the inputs no core node makes on purpose: latents, masks and sigmas
that are tiny, empty, NaN or inf, of any batch, channel or frame count, and an output node that reports a
latent's values (so an e2e test can compare regions, which statistics would hide). Deterministic: every random
draw takes its own seeded generator."""
import torch

from .standins import Probe, tests_module

LATENT_KINDS = ["randn", "zeros", "nan", "inf"]
MASK_KINDS = ["ones", "zeros", "left_half", "nan"]


class E2ESpecialLatent:
    """A LATENT of the given shape: seeded Gaussian, zeros, or Gaussian with one NaN / inf value.
    frames 0 gives an image latent (B, C, H, W), frames >= 1 a video latent (B, C, T, H, W); batch 0 is empty."""

    @classmethod
    def INPUT_TYPES(cls):
        size = {"default": 8, "min": 0, "max": 64}
        return {"required": {
            "kind": (LATENT_KINDS, {"default": "randn"}),
            "batch": ("INT", {"default": 1, "min": 0, "max": 8}),
            "channels": ("INT", {"default": 16, "min": 1, "max": 128}),
            "frames": ("INT", {"default": 0, "min": 0, "max": 16}),
            "height": ("INT", size),
            "width": ("INT", size),
            "seed": ("INT", {"default": 0, "min": 0, "max": 2**31}),
        }}

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "make"
    CATEGORY = "testing/e2e"

    def make(self, kind, batch, channels, frames, height, width, seed):
        shape = (batch, channels, *((frames,) if frames else ()), height, width)
        if kind == "zeros":
            return ({"samples": torch.zeros(shape)},)
        samples = tests_module("seeded").randn(shape, seed)
        if kind in ("nan", "inf") and samples.numel():
            samples.view(-1)[0] = float(kind)
        return ({"samples": samples},)


class E2ESpecialMask:
    """A MASK (batch, height, width): all ones, all zeros, 1 on the left half, or ones with one NaN."""

    @classmethod
    def INPUT_TYPES(cls):
        size = {"default": 64, "min": 1, "max": 512}
        return {"required": {
            "kind": (MASK_KINDS, {"default": "left_half"}),
            "batch": ("INT", {"default": 1, "min": 0, "max": 16}),
            "height": ("INT", size),
            "width": ("INT", size),
        }}

    RETURN_TYPES = ("MASK",)
    FUNCTION = "make"
    CATEGORY = "testing/e2e"

    def make(self, kind, batch, height, width):
        mask = torch.zeros((batch, height, width)) if kind == "zeros" else torch.ones((batch, height, width))
        if kind == "left_half":
            mask[..., width // 2:] = 0.0
        if kind == "nan" and mask.numel():
            mask.view(-1)[0] = float("nan")
        return (mask,)


class E2ESpecialSigmas:
    """SIGMAS from a comma-separated list ("1, 0.5, 0", "nan" and "inf" allowed); empty text gives no values."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"values": ("STRING", {"default": "1, 0.5, 0"})}}

    RETURN_TYPES = ("SIGMAS",)
    FUNCTION = "make"
    CATEGORY = "testing/e2e"

    def make(self, values):
        return (torch.tensor([float(v) for v in values.split(",") if v.strip()], dtype=torch.float32),)


class E2ELatentValues(Probe):
    """Output node: a LATENT's shape and every value (flattened, C order) in the history's ui outputs."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"label": ("STRING", {"default": ""}), "latent": ("LATENT",)}}

    def report(self, label, latent):
        samples = latent["samples"].detach().float().cpu()
        return {"ui": {"e2e_values": [{"label": label, "shape": list(samples.shape),
                                       "values": samples.flatten().tolist()}]}}


NODE_CLASS_MAPPINGS = {
    "E2ESpecialLatent": E2ESpecialLatent,
    "E2ESpecialMask": E2ESpecialMask,
    "E2ESpecialSigmas": E2ESpecialSigmas,
    "E2ELatentValues": E2ELatentValues,
}

NODE_DISPLAY_NAME_MAPPINGS = {k: k + " (test-only input)" for k in NODE_CLASS_MAPPINGS}
