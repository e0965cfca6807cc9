"""What both overhead benchmarks (overhead_cpu.py, overhead_gpu.py) time, and how.

Variants holds one model, conditioning and latent and the three runs compared side by side:
  rf             RFInvert + RFControlledSampler (steps + steps), the pack's nodes as ComfyUI executes them;
  floor          2 * steps bare forwards of the same network on the same shapes and dtypes;
  core_same_nfe  ComfyUI's SamplerCustom (euler, 2 * steps steps: the same number of model evaluations);
  core           a plain SamplerCustom generation of `steps` steps (the memory reference).
interleaved() times them in rotating order, so that no variant always runs first.
"""

from __future__ import annotations

import gc
import importlib
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import comfy_harness as H  # noqa: E402


def import_comfyui_and_pack() -> Path:
    """ComfyUI (COMFYUI_PATH, this pack's custom_nodes parent, /opt/ComfyUI) and this pack, as the tests load them;
    console progress bars off, so that no tqdm output lands inside the timings (the nodes honour the flag)."""
    path = H.find_comfyui()
    if path is None:
        sys.exit(H.SETUP_HINT)
    H.import_comfyui(path)
    H.load_pack()
    import comfy.utils

    comfy.utils.PROGRESS_BAR_ENABLED = False
    return path


class Variants:
    def __init__(self, model, cond, latent: dict, steps: int):
        import comfy.samplers
        import node_helpers
        from comfy_extras.nodes_custom_sampler import SamplerCustom

        self.edit_nodes = importlib.import_module(H.PACK_MODULE + ".nodes.edit_nodes")
        self.SamplerCustom, self.comfy_samplers = SamplerCustom, comfy.samplers
        self.model, self.cond, self.latent, self.steps = model, cond, latent, steps
        self.cond_guided = node_helpers.conditioning_set_values(cond, {"guidance": 3.5})
        self.forward_evals = 2 * steps

    def rf(self):
        inv = self.edit_nodes.RFInvert.execute(self.model, self.cond, self.latent, self.steps, 0.5, 0, 0.0, 0).result[0]
        return self.edit_nodes.RFControlledSampler.execute(
            self.model, self.cond, inv, self.latent, self.steps, 0, 7, 0.9, "constant", 3.5, "ode", 0
        ).result[0]

    def floor(self):
        """forward_evals forwards of the network, inputs cast as ComfyUI's apply_model casts them (the model's
        dtype on its load device; timestep fp32)."""
        dm = self.model.model.diffusion_model
        dev, dt = self.model.load_device, self.model.model.get_dtype()
        x = self.latent["samples"].to(dev, dt)
        ctx = self.cond[0][0].to(dev, dt)
        y = self.cond[0][1]["pooled_output"].to(dev, dt)
        guidance = torch.full((1,), 3.5, device=dev, dtype=dt)
        with torch.no_grad():
            for i in range(self.forward_evals):
                t = torch.full((1,), 1.0 - i / self.forward_evals, device=dev, dtype=torch.float32)
                out = dm(x, t, ctx, y=y, guidance=guidance).float()
        return out

    def _sampler_custom(self, steps: int):
        sampling = self.model.get_model_object("model_sampling")
        sigmas = self.comfy_samplers.calculate_sigmas(sampling, "simple", steps).cpu()
        return self.SamplerCustom().sample(self.model, True, 0, 1.0, self.cond_guided, self.cond,
                                           self.comfy_samplers.sampler_object("euler"), sigmas, self.latent)

    def core_same_nfe(self):
        return self._sampler_custom(self.forward_evals)

    def core(self):
        return self._sampler_custom(self.steps)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device) -> float:
    gc.collect()
    sync(device)
    t0 = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t0


def interleaved(variants: dict, reps: int, device: torch.device) -> dict:
    """One warm-up call of each variant (model load, kernels, allocator, lazy imports), then `reps` timed rounds in
    rotating order. Prints the warm-up and each round; returns {name: [seconds per round]}."""
    t0 = time.perf_counter()
    for fn in variants.values():
        fn()
    sync(device)
    print(f"warm-up {time.perf_counter() - t0:.1f} s", flush=True)
    times = {k: [] for k in variants}
    names = list(variants)
    for r in range(reps):
        order = names[r % len(names):] + names[: r % len(names)]
        for k in order:
            times[k].append(timed(variants[k], device))
        print(f"  rep {r + 1}/{reps}: " + ", ".join(f"{k} {times[k][-1]:.3f} s" for k in names), flush=True)
    return times


def summary(times: dict) -> dict:
    """best and median per variant, and rf against the floor: best / best and the median of per-round ratios."""
    best = {k: min(v) for k, v in times.items()}
    return {
        "best": best,
        "med": {k: statistics.median(v) for k, v in times.items()},
        "ratio": best["rf"] / best["floor"],
        "paired": statistics.median(a / b for a, b in zip(times["rf"], times["floor"])),
    }
