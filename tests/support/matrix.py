"""The model matrix's support (test_model_matrix.py, and the node tests that run a zoo family): the families the
running ComfyUI has, the results record written to tests/_artifacts/model_matrix-<ComfyUI version>.json (for the
README's family table), masks in ComfyUI's conventions, and the invert-then-edit chain (builders) on a family's
tiny model with the family's own conditioning and LATENT."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import torch

import builders
from executor import Graph

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"  # tests/_artifacts
TAG = {"rf_matrix_tag": "kept"}  # an extra LATENT key every node must carry through


def comfyui_version() -> str:
    import comfyui_version

    return str(comfyui_version.__version__)


def family_params(model_zoo, pytest, kinds=None, refused=False, where=None) -> list:
    """pytest params: the zoo's families the running ComfyUI has and `where` (a predicate) picks; others are not
    collected."""
    params = []
    for f in model_zoo.FAMILIES:
        if bool(f.refuse) != refused or (kinds is not None and f.kind not in kinds) or f.missing():
            continue
        if where is not None and not where(f):
            continue
        params.append(pytest.param(f, id=f.name))
    return params


def presence_lines(model_zoo, uncovered: list[str]) -> list[str]:
    lines = []
    for f in model_zoo.FAMILIES:
        missing = f.missing()
        what = "tested (must be refused)" if f.refuse else "tested"
        lines.append(f"{f.name}: {what}" if missing is None else f"{f.name}: not present on this version ({missing})")
    if uncovered:
        lines.append(f"rectified-flow configs of this version not in the zoo ({len(uncovered)}): "
                     + ", ".join(uncovered))
    return lines


def uncovered_configs(model_zoo) -> list[str]:
    """The running version's rectified-flow configs that no family of the zoo builds."""
    covered = {f.config for f in model_zoo.FAMILIES}
    return sorted(c for c in model_zoo.rectified_flow_configs() if c not in covered)


# --- results record ---------------------------------------------------------------------------------------


class Record:
    """family -> check -> {"outcome", "numbers", "message"}, written as JSON at the end of the module."""

    def __init__(self, model_zoo):
        self.version = comfyui_version()
        self.zoo = model_zoo
        self.results: dict[str, dict] = {}
        self.started = time.perf_counter()

    @contextlib.contextmanager
    def check(self, family, name: str):
        numbers: dict = {}
        entry = {"outcome": "passed", "numbers": numbers, "message": ""}
        self.results.setdefault(family.name, {})[name] = entry
        try:
            yield numbers
        except BaseException as e:  # recorded, then re-raised for pytest
            entry["outcome"] = "skipped" if type(e).__name__ == "Skipped" else "failed"
            entry["message"] = f"{type(e).__name__}: {e}"[:2000]
            raise

    def write(self, uncovered: list[str], pytest_args=()) -> Path:
        """The JSON record; pytest_args tells a full run from a selection (-k), which records fewer checks."""
        ARTIFACTS.mkdir(exist_ok=True)
        families = []
        for f in self.zoo.FAMILIES:
            missing = f.missing()
            families.append({
                "family": f.name, "config": f.config, "model_class": f.model_class, "kind": f.kind,
                "present": missing is None, "missing": missing, "refused_family": bool(f.refuse),
                "true_cfg": f.true_cfg, "guidance_embed": f.guidance_embed, "reads_guidance": f.reads_guidance,
                "notes": f.notes, "checks": self.results.get(f.name, {}),
            })
        path = ARTIFACTS / f"model_matrix-{self.version}.json"
        data = {"comfyui_version": self.version, "pytest_args": list(pytest_args),
                "torch_threads": torch.get_num_threads(),
                "wall_seconds": round(time.perf_counter() - self.started, 1), "families": families,
                "rectified_flow_configs_not_in_zoo": uncovered}
        path.write_text(json.dumps(data, indent=1, default=str))
        return path


class SummaryLines:
    """A pytest plugin, registered at the end of the module, that prints its lines in the terminal summary."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.section("model matrix")
        for line in self.lines:
            terminalreporter.write_line(line)


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


def recording_clone(model, log: list, name: str):
    """A clone of the model (public wrapper API) that appends (name, sigma) to log for each evaluation."""
    import comfy.patcher_extension

    def wrapper(executor, x, t, *args, **kwargs):
        log.append((name, float(t.flatten()[0])))
        return executor(x, t, *args, **kwargs)

    m = model.clone()
    m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "rf_matrix_record", wrapper)
    return m
