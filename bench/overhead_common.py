"""What both overhead benchmarks (overhead_cpu.py, overhead_gpu.py) time, and how.

Variants holds one model, conditioning and latent and the runs compared side by side:
  rf             RFInvert + RFControlledSampler (steps + steps, euler), the pack's nodes as ComfyUI executes them;
  floor          2 * steps bare forwards of the same network on the same shapes and dtypes;
  core_same_nfe  ComfyUI's SamplerCustom (euler, 2 * steps steps: the same number of model evaluations);
  core           a plain SamplerCustom generation of `steps` steps (the memory reference);
  rf_fireflow    the same two nodes with order fireflow, fast_steps + fast_steps (2 * (fast_steps + 1) evaluations);
  floor_fast     2 * (fast_steps + 1) bare forwards: fireflow's floor.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

import comfy_harness as H  # noqa: E402


def import_comfyui_and_pack() -> Path:
    """ComfyUI (COMFYUI_PATH, this pack's custom_nodes parent, or the ComfyUI .ci/run fetches) and this pack, as
    the tests load them; console progress bars off, so that no tqdm output lands inside the timings (the nodes honour the flag)."""
    path = H.find_comfyui()
    if path is None:
        sys.exit(H.SETUP_HINT)
    H.import_comfyui(path)
    H.load_pack()
    import comfy.utils

    comfy.utils.PROGRESS_BAR_ENABLED = False
    return path


def comfyui_version() -> str:
    """The version of the ComfyUI that import_comfyui_and_pack() imported (its comfyui_version.py), or '?'."""
    try:
        import comfyui_version as v

        return v.__version__
    except ImportError:
        return "?"


class Variants:
    def __init__(self, model, cond, latent: dict, steps: int, fast_steps: int = 10, fast_stop: int = 3):
        import comfy.samplers
        import node_helpers
        from comfy_extras.nodes_custom_sampler import SamplerCustom

        self.edit_nodes = importlib.import_module(H.PACK_MODULE + ".nodes.edit_nodes")
        self.SamplerCustom, self.comfy_samplers = SamplerCustom, comfy.samplers
        self.model, self.cond, self.latent, self.steps = model, cond, latent, steps
        self.fast_steps, self.fast_stop = fast_steps, fast_stop
        self.cond_guided = node_helpers.conditioning_set_values(cond, {"guidance": 3.5})
        self.forward_evals = 2 * steps
        self.fast_evals = 2 * (fast_steps + 1)  # fireflow: N + 1 model evaluations per direction

    def _edit(self, steps: int, stop: int, order: str):
        """RFInvert + RFControlledSampler (gamma 0.5, eta 0.9 on [0, stop), guidance 0 / 3.5) with this order."""
        nodes = self.edit_nodes
        inv = nodes.RFInvert.execute(self.model, self.cond, self.latent, steps, 0.5, 0, 0.0, 0, order=order).result[0]
        return nodes.RFControlledSampler.execute(
            self.model, self.cond, inv, self.latent, steps, 0, stop, 0.9, "constant", 3.5, "ode", 0, order=order
        ).result[0]

    def rf(self):
        return self._edit(self.steps, 7, "euler")

    def rf_fireflow(self):
        return self._edit(self.fast_steps, self.fast_stop, "fireflow")

    def floor(self):
        return self.forwards(self.forward_evals)

    def floor_fast(self):
        return self.forwards(self.fast_evals)

    def forwards(self, n: int):
        """n forwards of the network, inputs cast as ComfyUI's apply_model casts them (the model's dtype on its
        load device; timestep fp32)."""
        dm = self.model.model.diffusion_model
        dev, dt = self.model.load_device, self.model.model.get_dtype()
        x = self.latent["samples"].to(dev, dt)
        ctx = self.cond[0][0].to(dev, dt)
        y = self.cond[0][1]["pooled_output"].to(dev, dt)
        guidance = torch.full((1,), 3.5, device=dev, dtype=dt)
        with torch.no_grad():
            for i in range(n):
                t = torch.full((1,), 1.0 - i / n, device=dev, dtype=torch.float32)
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


def ratio(times: dict, a: str, b: str) -> tuple[float, float]:
    """a against b: best / best, and the median of the per-round ratios (the rounds are interleaved)."""
    return min(times[a]) / min(times[b]), statistics.median(x / y for x, y in zip(times[a], times[b]))


def summary(times: dict) -> dict:
    """best and median per variant, and rf against the floor: best / best and the median of per-round ratios."""
    r, paired = ratio(times, "rf", "floor")
    return {
        "best": {k: min(v) for k, v in times.items()},
        "med": {k: statistics.median(v) for k, v in times.items()},
        "ratio": r,
        "paired": paired,
    }


def print_fireflow(times: dict, v: Variants, target: float | None = None) -> tuple[float, float]:
    """The fireflow edit against its floor and against the euler edit; returns the ratios to euler (best, median)."""
    best = {k: min(t) for k, t in times.items()}
    med = {k: statistics.median(t) for k, t in times.items()}
    n, f = v.fast_steps, v.fast_evals
    print(f"fireflow {n} + {n} edit (stop_step {v.fast_stop}), {f} evaluations: {best['rf_fireflow']:.3f} s best, "
          f"{med['rf_fireflow']:.3f} s median")
    print(f"{f} bare forwards (fireflow's floor)    {best['floor_fast']:.3f} s best, {med['floor_fast']:.3f} s median")
    r_floor = ratio(times, "rf_fireflow", "floor_fast")
    r_euler = ratio(times, "rf_fireflow", "rf")
    print(f"ratio fireflow / {f}-forward floor      {r_floor[0]:.4f} best   {r_floor[1]:.4f} median of per-rep ratios")
    verdict = "" if target is None else f"   target <= {target}: {'PASS' if r_euler[0] <= target else 'FAIL'}"
    print(f"ratio fireflow / euler {v.steps} + {v.steps} edit  {r_euler[0]:.4f} best   {r_euler[1]:.4f} median of per-rep "
          f"ratios   (evaluations {f} / {v.forward_evals} = {f / v.forward_evals:.3f}){verdict}")
    return r_euler
