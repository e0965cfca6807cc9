"""A zoo of tiny real ComfyUI models, one FamilySpec per model family, for the model matrix.

Each family is built the way ComfyUI loads a checkpoint, only tiny and with seeded random weights: its
supported_models config class with a tiny unet_config -> config.get_model (ComfyUI's model_base class, its own
model_sampling) -> ModelPatcher (comfy_harness._patcher). A spec also says what the family's model reads in its
conditioning (context size, pooled output, attention masks, reference latents, concat latents, clip vision
outputs, guidance) and the LATENT a user's graph would hand the sampler (4-D image, 5-D video, audio).

Whether a family exists is decided by introspecting the running ComfyUI (the config class in
comfy.supported_models, the model class in comfy.model_base, and any constructor field the tiny config needs),
never by comparing version numbers. The families are defined in model_zoo_image, model_zoo_image_llm,
model_zoo_video, model_zoo_wan, model_zoo_second_stage and model_zoo_other; FAMILIES lists them all.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Callable

import torch

import comfy_harness
from seeded import gen, randn

CONTEXT_DIM = comfy_harness.CONTEXT_DIM
POOLED_DIM = comfy_harness.POOLED_DIM
TOKENS = 4


@dataclass(frozen=True)
class FamilySpec:
    """One model family: how to build it tiny, what it is conditioned on, what latent it samples."""

    name: str  # the family as users call it, e.g. "Flux.1 Kontext"
    config: str  # its comfy.supported_models class
    model_class: str  # the comfy.model_base class config.get_model returns
    unet_config: Callable[[], dict]  # the tiny unet_config (a function: some fields depend on the version)
    cond_extra: Callable[[int, torch.Tensor], dict] = lambda seed, samples: {}  # extra keys of the cond dict
    context: tuple[int, int] | None = (TOKENS, CONTEXT_DIM)  # (tokens, dim) of the cross-attention context
    pooled: int | None = None  # size of pooled_output, if the model reads one
    shape: tuple = (1, 16, 8, 8)  # the LATENT's samples shape
    latent_extra: Callable[[], dict] = lambda: {}  # extra keys of the LATENT dict (e.g. "type": "audio")
    samples: Callable[[int], object] | None = None  # seed -> samples, where not a plain tensor of `shape`
    make_context: Callable[[int, int], torch.Tensor] | None = None  # (seed, batch) -> context, where not random
    kind: str = "image"  # image | video | audio
    true_cfg: bool = False  # the family's usual sampling is CFG > 1 with a negative prompt
    guidance_embed: bool = False  # the network has a guidance embedding (reads `guidance` as a distilled CFG)
    reads_guidance: bool = False  # the model's extra_conds reads `guidance` (with an embedding or not)
    requires: Callable[[], str | None] = lambda: None  # what the running ComfyUI lacks for this family, or None
    refuse: tuple = ()  # a family the pack must refuse: ((names the refusal says, all), why it says)
    weight_scale: float = 0.05  # std of the seeded random weights (larger where the prompt's effect is tiny)
    x0_network: bool = False  # the network predicts x0 and divides by sigma (see trained_like_x0)
    notes: str = ""

    def missing(self) -> str | None:
        """None if the running ComfyUI has this family; else what is missing."""
        import comfy.model_base
        import comfy.supported_models

        if not hasattr(comfy.supported_models, self.config):
            return f"comfy.supported_models has no {self.config}"
        if not hasattr(comfy.model_base, self.model_class):
            return f"comfy.model_base has no {self.model_class}"
        return self.requires()

    def build(self, seed: int = 0, dtype: torch.dtype = torch.float32, **unet_over):
        """The tiny model as a ModelPatcher, through the family's own config and model classes; unet_over replaces
        fields of its unet_config."""
        patcher = comfy_harness.tiny_model(self.config, {**self.unet_config(), **unet_over}, seed, dtype,
                                           self.weight_scale)
        if type(patcher.model).__name__ != self.model_class:
            built = type(patcher.model).__name__
            raise AssertionError(f"{self.config}.get_model built {built}, not {self.model_class}")
        return trained_like_x0(patcher) if self.x0_network else patcher

    def latent(self, seed: int = 0) -> dict:
        """A LATENT as the family's encode / empty-latent nodes make it (samples plus the family's extra keys)."""
        samples = randn(self.shape, seed) if self.samples is None else self.samples(seed)
        return {"samples": samples, **self.latent_extra()}

    def conditioning(self, seed: int = 0, samples: torch.Tensor | None = None) -> list:
        """A CONDITIONING with what this family's model reads; samples is the latent it goes with (for
        reference / concat latents of the same size)."""
        g = gen(seed)
        batch = self.shape[0]
        tokens, dim = self.context if self.context is not None else (TOKENS, CONTEXT_DIM)
        context = torch.randn((batch, tokens, dim), generator=g)
        if self.make_context is not None:
            context = self.make_context(seed, batch)
        extra = {}
        # CLIPTextEncode always sets pooled_output: None where the text encoder has no pooled output
        extra["pooled_output"] = None if self.pooled is None else torch.randn((batch, self.pooled), generator=g)
        samples = randn(self.shape, 1000 + seed) if samples is None else samples
        extra.update(self.cond_extra(seed, samples))
        return [[context, extra]]


def trained_like_x0(patcher):
    """The tiny x0 network as a trained one behaves near sigma = 0, through ComfyUI's APPLY_MODEL wrapper.

    A random x0 network's estimate D(x, sigma) hardly depends on x, so its flow v = (x - D) / sigma sends every
    latent to one point at sigma = 0 and nothing can be inverted through it (measured: the round trip's error stays
    at ~0.9 for 4 to 32 steps, whatever the inversion's first step). A trained one's estimate tends to x as sigma
    -> 0. This patcher's estimate is (1 - sigma) x + sigma D: the network still runs, with its own division by sigma
    (not finite at sigma = 0 for Chroma Radiance x0 and Z-Image pixel space, clamped at 1e-3 by HiDream-O1)."""
    import comfy.patcher_extension

    def wrapper(executor, x, t, *args, **kwargs):
        sigma = t.reshape((-1,) + (1,) * (x.ndim - 1)).to(torch.float32)
        return (1.0 - sigma) * x + sigma * executor(x, t, *args, **kwargs)

    patcher.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "rf_zoo_trained_like_x0", wrapper)
    return patcher


def _accepted(module_path: str, cls_name: str) -> set[str] | None:
    """The keyword names a ComfyUI class takes (dataclass fields or __init__ parameters), None if it is absent."""
    import importlib
    import inspect

    try:
        cls = getattr(importlib.import_module(module_path), cls_name)
    except (ImportError, AttributeError):
        return None
    if dataclasses.is_dataclass(cls):
        return {f.name for f in dataclasses.fields(cls)}
    return set(inspect.signature(cls.__init__).parameters)


def where_accepted(module_path: str, cls_name: str, **optional) -> dict:
    """The optional constructor arguments that the running version's class takes (newer fields of a family whose
    older versions lack them and behave as if they had their default)."""
    names = _accepted(module_path, cls_name) or set()
    return {k: v for k, v in optional.items() if k in names}


def takes(module_path: str, cls_name: str, *names: str) -> Callable[[], str | None]:
    """requires= for constructor arguments (dataclass fields or __init__ parameters) only newer ComfyUI has."""

    def check():
        accepted = _accepted(module_path, cls_name)
        if accepted is None:
            return f"{module_path} has no {cls_name}"
        lacking = [n for n in names if n not in accepted]
        return f"{cls_name} takes no {', '.join(lacking)}" if lacking else None

    return check


def clip_vision_output(tokens: int, dim: int, seed: int, **attrs):
    """A comfy.clip_vision.Output with random hidden states (what CLIPVisionEncode hands the conditioning)."""
    import comfy.clip_vision

    g = gen(seed)
    out = comfy.clip_vision.Output()
    out.last_hidden_state = torch.randn((1, tokens, dim), generator=g)
    out.penultimate_hidden_states = torch.randn((1, tokens, dim), generator=g)
    out.image_embeds = torch.randn((1, dim), generator=g)
    for k, v in attrs.items():
        setattr(out, k, v)
    return out


@functools.lru_cache(maxsize=1)
def rectified_flow_configs() -> dict[str, str]:
    """Every comfy.supported_models config of the running version whose model samples by rectified flow
    (model_sampling CONST, not the x0-predicting IMG_TO_IMG_FLOW), found by building each config's model_base
    class without its network (disable_unet_model_creation); config -> model class."""
    import inspect
    import logging
    import warnings

    import comfy.latent_formats
    import comfy.model_sampling as ms
    import comfy.supported_models as sm
    import comfy.supported_models_base as smb

    found = {}
    level = logging.getLogger().level
    logging.getLogger().setLevel(logging.ERROR)  # configs warn about fields a bare unet_config lacks
    try:
        for name, cls in vars(sm).items():
            if not (inspect.isclass(cls) and issubclass(cls, smb.BASE)) or cls is smb.BASE:
                continue
            try:  # hidden_size: Flux2's config reads it
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    bare = {**cls.unet_config, "disable_unet_model_creation": True, "hidden_size": 3072}
                    model = cls(bare).get_model({})
            except Exception:  # a config that needs a real state dict or unet_config to build
                continue
            sampling = model.model_sampling
            if type(model.latent_format) is comfy.latent_formats.LatentFormat:
                continue  # not a generative model (detectors and depth/segmentation models keep BASE's default)
            if isinstance(sampling, ms.CONST) and not isinstance(sampling, ms.IMG_TO_IMG_FLOW):
                found[name] = type(model).__name__
    finally:
        logging.getLogger().setLevel(level)
    return found


def _all() -> list[FamilySpec]:
    import model_zoo_image
    import model_zoo_image_llm
    import model_zoo_other
    import model_zoo_second_stage
    import model_zoo_video
    import model_zoo_wan

    return [*model_zoo_image.FAMILIES, *model_zoo_image_llm.FAMILIES, *model_zoo_video.FAMILIES,
            *model_zoo_wan.FAMILIES, *model_zoo_second_stage.FAMILIES, *model_zoo_other.FAMILIES]


FAMILIES: list[FamilySpec] = _all()
BY_NAME: dict[str, FamilySpec] = {f.name: f for f in FAMILIES}
