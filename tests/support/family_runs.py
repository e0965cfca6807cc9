"""A zoo family through the nodes (the model matrix and the node tests that run a family): the family of a name
(a skip where this ComfyUI lacks it), the invert-then-edit chain (builders) on its tiny model with its own
conditioning and LATENT, masks in ComfyUI's conventions, and model clones that record their evaluations."""

from __future__ import annotations

import torch

import builders
from executor import Graph


def present(zoo, name: str, why: str = ""):
    """The zoo's family `name`; a pytest skip where this ComfyUI lacks it (why: what the module loses then)."""
    import pytest

    family = zoo.BY_NAME[name]
    if family.missing():
        pytest.skip(f"{name} is not in this ComfyUI ({family.missing()}){why}")
    return family


# --- masks in ComfyUI's conventions -----------------------------------------------------------------------


def region(samples: torch.Tensor) -> torch.Tensor:
    """Where the matrix edits (1) and keeps (0), at the latent's size without batch and channels. Video: a
    different half on each frame (the left half on even frames, the right half on odd ones)."""
    spatial = samples.shape[2:]
    r = torch.zeros(spatial)
    w = spatial[-1]
    if len(spatial) == 3:
        for t in range(spatial[0]):
            r[t, :, : w // 2] = 1.0 if t % 2 == 0 else 0.0
            r[t, :, w // 2:] = 0.0 if t % 2 == 0 else 1.0
    else:
        r[..., : w // 2] = 1.0
    return r


def as_mask(r: torch.Tensor) -> torch.Tensor:
    """The region as a MASK: (1, H, W) for images and audio spectrograms, (T, H, W) for video (ComfyUI's
    nodes/masks.py reads a MASK batch as frames for 5-D latents), (1, 1, L) for 1-D (audio) latents."""
    if r.ndim == 1:
        return r[None, None]
    return r if r.ndim == 3 else r[None]


def video_part(samples):
    """The tensor a mask applies to: the samples, or the video part of an audio+video NestedTensor."""
    return samples.unbind()[0] if getattr(samples, "is_nested", False) else samples


# --- graphs ------------------------------------------------------------------------------------------------


def run_pair(runner, model, spec, latent: dict, inv: dict, ed: dict, *, src_cond=None, edit_cond=None,
             negative=None, mask=None, noise_mask=None, reference=None):
    """builders.invert_then_edit on a family's model, with the family's conditioning (seeds 0 and 5) unless given,
    through ComfyUI's executor. Returns (inverted LATENT, edited LATENT) or raises AssertionError with the
    executor's error."""
    samples = video_part(latent["samples"])
    g = Graph()
    src = g.latent(**latent)
    ref = src if reference is None else g.latent(**reference)
    if noise_mask is not None:
        ref = builders.noise_masked(g, ref, noise_mask)
    extra = {k: v for k, v in (("mask", mask), ("negative", negative)) if v is not None}
    nodes = builders.invert_then_edit(g, model, src, inv=inv, ed={**ed, **extra}, reference=ref,
                                      src_cond=src_cond or spec.conditioning(0, samples),
                                      edit_cond=edit_cond or spec.conditioning(5, samples))
    inverted, edited = builders.run_ok(runner, g, *nodes, label=spec.name)
    return inverted, edited


def run_flowedit(runner, model, spec, latent: dict, *, same_prompt: bool = False, **over) -> dict:
    """builders.add_flowedit on a family's model with its conditioning (source seed 0, target seed 5, or the source's
    both ways); its LATENT, or AssertionError with the executor's error."""
    samples = video_part(latent["samples"])
    source = spec.conditioning(0, samples)
    target = source if same_prompt else spec.conditioning(5, samples)
    g = Graph()
    (out,) = builders.run_ok(runner, g, builders.add_flowedit(g, model, source, target, g.latent(**latent), **over),
                             label=spec.name)
    return out


def invert_only(runner, model, spec, latent: dict, steps: int = 4):
    """Just RFInvert; returns the executor's Run (for refusals)."""
    g = Graph()
    i = builders.add_invert(g, model, spec.conditioning(0, video_part(latent["samples"])), latent, steps)
    run, _ = builders.run_nodes(runner, g, i)
    return run


def mean_abs(a, b=None) -> float:
    a = a.float() if b is None else (a.float() - b.float())
    return a.abs().mean().item()


def tensors(samples) -> list[torch.Tensor]:
    return list(samples.unbind()) if getattr(samples, "is_nested", False) else [samples]


def model_inputs(node_id: str) -> dict[str, str]:
    """input name -> type of a registered node (required and optional)."""
    import nodes

    types = nodes.NODE_CLASS_MAPPINGS[node_id].INPUT_TYPES()
    return {k: v[0] for part in ("required", "optional") for k, v in types.get(part, {}).items()}


def recording_clone(model, log: list, name: str, what=None):
    """A clone of the model (public wrapper API) that appends (name, sigma) to log for each evaluation, or
    (name, sigma, what(c_concat, c_crossattn, control, ...)) given `what`: the APPLY_MODEL arguments after t."""
    import comfy.patcher_extension

    def wrapper(executor, x, t, *args, **kwargs):
        entry = (name, float(t.flatten()[0]))
        log.append(entry if what is None else (*entry, what(*args, **kwargs)))
        return executor(x, t, *args, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "rf_matrix_record", wrapper)
    return m
