"""Tiny, deterministic stand-ins for Flux's UNET, text encoders and VAE (tests only; family_standins.py picks
the tiny model by the file a loader names and registers the VAE loader).

ComfyUI's model detection hard-codes Flux's hidden size (3072), so a small
safetensors file cannot go through the real UNETLoader; these nodes build the
same ComfyUI model classes with small sizes instead. Each loader exposes the
exact inputs of the core node it replaces so the server validates the
workflow's own widget values (file names, dtypes) unchanged.
"""
import hashlib
import importlib
import sys
import zlib
from pathlib import Path

import torch

import comfy.model_management
import comfy.model_patcher
import comfy.supported_models
import nodes

TINY_FLUX_CONFIG = {
    "image_model": "flux",
    "in_channels": 16,
    "out_channels": 16,
    "patch_size": 2,
    "vec_in_dim": 768,        # CLIP-L pooled, as in Flux-dev
    "context_in_dim": 4096,   # T5-XXL context, as in Flux-dev
    "hidden_size": 64,
    "mlp_ratio": 4.0,
    "num_heads": 2,
    "depth": 1,
    "depth_single_blocks": 1,
    "axes_dim": [4, 14, 14],  # sums to hidden_size // num_heads
    "theta": 10000,
    "qkv_bias": True,
    "guidance_embed": True,   # Flux-dev has the distilled guidance input
}

TEXT_TOKENS = 16


SUPPORT_DIR = Path(__file__).resolve().parents[2] / "support"


def tests_module(name):
    """A module of tests/support/ by its own name (comfy_harness: the version-aware model helpers; model_zoo, which
    imports its siblings by name; seeded: the tests' seeded draws): the server imports this pack from a symlink in
    its custom_nodes, where tests/support/ is not on sys.path, so it joins the END of sys.path, in this throw-away
    server only."""
    if str(SUPPORT_DIR) not in sys.path:
        sys.path.append(str(SUPPORT_DIR))
    return importlib.import_module(name)


def _comfy_harness():
    return tests_module("comfy_harness")


def _seeded_state_dict(module, seed):
    return tests_module("tiny_vaes").seeded_state_dict(module, seed)


class StandIn:
    """Base of the loader stand-ins: the inputs of the core loader CORE (so the server validates the workflow's own
    widget values, file names and dtypes, unchanged); `load` builds the tiny object instead."""

    CORE = ""
    FUNCTION = "load"
    CATEGORY = "testing/e2e"

    @classmethod
    def INPUT_TYPES(cls):
        return nodes.NODE_CLASS_MAPPINGS[cls.CORE].INPUT_TYPES()


class Probe:
    """Base of the test-only output nodes: `report` returns what they saw in the history's ui outputs."""

    RETURN_TYPES = ()
    FUNCTION = "report"
    OUTPUT_NODE = True
    CATEGORY = "testing/e2e"


def build_tiny_flux():
    model_config = comfy.supported_models.Flux({**TINY_FLUX_CONFIG, **_comfy_harness().flux_params_compat()})
    model_config.set_inference_dtype(torch.float32, None)
    model = model_config.get_model({}, "")
    model.diffusion_model.load_state_dict(_seeded_state_dict(model.diffusion_model, 1234))
    return comfy.model_patcher.ModelPatcher(
        model,
        load_device=comfy.model_management.get_torch_device(),
        offload_device=comfy.model_management.unet_offload_device(),
    )


class E2ETinyFluxUNETLoader(StandIn):
    """Stands in for UNETLoader: same inputs, returns a tiny Flux-dev-shaped model."""

    CORE = "UNETLoader"
    RETURN_TYPES = ("MODEL",)

    def load(self, unet_name, weight_dtype):
        return (build_tiny_flux(),)


class FakeFluxCLIP:
    """Enough of comfy.sd.CLIP for CLIPTextEncode / CLIPTextEncodeFlux."""

    def clone(self):
        return self

    def tokenize(self, text, return_word_ids=False, **kwargs):
        return {"l": [text], "t5xxl": [text]}

    def _embed(self, text, shape):
        seed = zlib.crc32(text.encode("utf-8"))
        return tests_module("seeded").randn(shape, seed)

    def encode_from_tokens(self, tokens, return_pooled=False, return_dict=False):
        t5_text = "".join(tokens.get("t5xxl", [""]))
        l_text = "".join(tokens.get("l", [""]))
        cond = self._embed("t5:" + t5_text, (1, TEXT_TOKENS, 4096))
        pooled = self._embed("l:" + l_text, (1, 768))
        if return_dict:
            return {"cond": cond, "pooled_output": pooled}
        if return_pooled:
            return cond, pooled
        return cond

    def encode_from_tokens_scheduled(self, tokens, unprojected=False, add_dict={}, show_pbar=True):
        out = self.encode_from_tokens(tokens, return_dict=True)
        cond = out.pop("cond")
        return [[cond, {**out, **add_dict}]]


class E2EFakeDualCLIPLoader(StandIn):
    """Stands in for DualCLIPLoader (clip_l + t5xxl): prompt-hash embeddings of Flux's shapes."""

    CORE = "DualCLIPLoader"
    RETURN_TYPES = ("CLIP",)

    def load(self, clip_name1, clip_name2, type, device="default"):
        return (FakeFluxCLIP(),)


def build_tiny_vae():
    return tests_module("tiny_vaes").flux_vae()


def tensor_stats(t):
    t = t.detach().float().cpu()
    finite = bool(torch.isfinite(t).all())
    safe = torch.nan_to_num(t)
    return {
        "shape": list(t.shape),
        "finite": finite,
        "min": float(safe.min()),
        "max": float(safe.max()),
        "mean": float(safe.mean()),
        "std": float(safe.std()) if safe.numel() > 1 else 0.0,
        "sha1": hashlib.sha1(safe.numpy().tobytes()).hexdigest()[:16],
    }


class E2ETensorStats(Probe):
    """Output node: reports statistics of a LATENT or IMAGE in the history's ui outputs."""

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {"label": ("STRING", {"default": ""})},
            "optional": {"latent": ("LATENT",), "image": ("IMAGE",), "sigmas": ("SIGMAS",)},
        }

    def report(self, label, latent=None, image=None, sigmas=None):
        stats = []
        if latent is not None:
            stats.append({"label": label, "kind": "latent", **tensor_stats(latent["samples"])})
        if image is not None:
            stats.append({"label": label, "kind": "image", **tensor_stats(image)})
        if sigmas is not None:
            stats.append({"label": label, "kind": "sigmas", **tensor_stats(sigmas),
                          "values": [float(s) for s in sigmas.flatten()]})
        return {"ui": {"e2e_stats": stats}}


NODE_CLASS_MAPPINGS = {
    "E2ETinyFluxUNETLoader": E2ETinyFluxUNETLoader,
    "E2EFakeDualCLIPLoader": E2EFakeDualCLIPLoader,
    "E2ETensorStats": E2ETensorStats,
}

NODE_DISPLAY_NAME_MAPPINGS = {k: k + " (test stand-in)" for k in NODE_CLASS_MAPPINGS}
