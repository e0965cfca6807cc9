"""What RF-Inversion costs above the model itself, on the CPU: RFInvert + RFControlledSampler (28 + 28 steps) on a
tiny random-weight Flux built with ComfyUI's own classes, against 56 bare forward passes of the same network on
the same shapes, timed in the same run (interleaved repetitions, medians). Also times ComfyUI's own SamplerCustom
(euler, 56 steps: the same number of model evaluations) so the pack's cost can be told apart from ComfyUI's, and
compares peak memory against a plain SamplerCustom run (28 steps), each in a fresh process.

    python bench/overhead_cpu.py                 # latent 1x16x64x64 (a 512x512 image), 5 repetitions
    python bench/overhead_cpu.py --size 32       # smaller latent: the per-step overhead weighs more

Needs ComfyUI (COMFYUI_PATH, or this pack inside ComfyUI/custom_nodes, or /opt/ComfyUI); no model download.
Target: (RFInvert + RFControlledSampler) / (56 forwards) <= 1.05.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import comfy_harness as H  # noqa: E402

TARGET = 1.05


class Setup:
    """The model, conditioning and latent shared by every variant; the variants as callables."""

    def __init__(self, size: int, steps: int, seed: int = 0):
        path = H.find_comfyui()
        if path is None:
            sys.exit(H.SETUP_HINT)
        H.import_comfyui(path)
        H.load_pack()
        import importlib

        import comfy.samplers
        import comfy.utils

        comfy.utils.PROGRESS_BAR_ENABLED = False  # no tqdm bars inside the timings (the nodes honour this)
        self.edit_nodes = importlib.import_module(H.PACK_MODULE + ".nodes.edit_nodes")
        from comfy_extras.nodes_custom_sampler import SamplerCustom

        self.SamplerCustom = SamplerCustom
        self.comfy_samplers = comfy.samplers
        self.steps = steps
        self.model = H.tiny_flux(schnell=False, seed=1)
        self.cond = H.conditioning(seed=2)
        g = torch.Generator().manual_seed(seed)
        self.latent = {"samples": torch.randn((1, 16, size, size), generator=g)}
        import node_helpers

        self.cond_guided = node_helpers.conditioning_set_values(self.cond, {"guidance": 3.5})
        self.forward_evals = 2 * steps

    # The pack: the two all-in-one nodes, exactly as ComfyUI executes them (classmethod execute).
    def rf(self):
        inv = self.edit_nodes.RFInvert.execute(
            self.model, self.cond, self.latent, self.steps, 0.5, 0, 0.0, 0
        ).result[0]
        return self.edit_nodes.RFControlledSampler.execute(
            self.model, self.cond, inv, self.latent, self.steps, 0, 7, 0.9, "constant", 3.5, "ode", 0
        ).result[0]

    # The floor: the network's forward on the same shapes, 2 * steps times (what 56 model evaluations must cost).
    def floor(self):
        dm = self.model.model.diffusion_model
        x = self.latent["samples"]
        ctx = self.cond[0][0]
        y = self.cond[0][1]["pooled_output"]
        guidance = torch.tensor([3.5])
        with torch.no_grad():
            for i in range(self.forward_evals):
                out = dm(x, torch.tensor([1.0 - i / self.forward_evals]), ctx, y=y, guidance=guidance)
        return out

    def _sampler_custom(self, steps: int):
        sampling = self.model.get_model_object("model_sampling")
        sigmas = self.comfy_samplers.calculate_sigmas(sampling, "simple", steps).cpu()
        sampler = self.comfy_samplers.sampler_object("euler")
        return self.SamplerCustom().sample(
            self.model, True, 0, 1.0, self.cond_guided, self.cond, sampler, sigmas, self.latent
        )

    # ComfyUI's own sampler with the same number of model evaluations.
    def core_same_nfe(self):
        return self._sampler_custom(self.forward_evals)

    # The plain SamplerCustom run of the issue (one generation, `steps` steps): the memory reference.
    def core(self):
        return self._sampler_custom(self.steps)


def rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


class PeakRSS:
    """Samples the process's resident set size every 0.5 ms in a thread; .peak is the largest seen."""

    def __init__(self):
        self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss())
            time.sleep(0.0005)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())


def memory_child(variant: str, size: int, steps: int, threads: int) -> None:
    """In a fresh process: set up, warm the network with one forward, then measure one run of `variant`."""
    torch.set_num_threads(threads)
    s = Setup(size, steps)
    s.forward_evals = 1
    s.floor()  # the network's own buffers and the allocator's arenas exist before the baseline
    s.forward_evals = 2 * steps
    gc.collect()
    base = rss()
    with PeakRSS() as p:
        getattr(s, variant)()
    import resource

    print(json.dumps({
        "variant": variant,
        "baseline_rss": base,
        "peak_rss": p.peak,
        "delta": p.peak - base,
        "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


def measure_memory(size: int, steps: int, threads: int, reps: int = 3) -> dict:
    """Median over `reps` fresh processes per variant. glibc's mmap threshold is pinned (MALLOC_MMAP_THRESHOLD_)
    so that freed large tensors go back to the OS and the resident set follows the live tensors; with glibc's
    default dynamic threshold the same run varies by +-15 MiB."""
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="131072")
    runs = {"core": [], "rf": []}
    for _ in range(reps):
        for variant in runs:
            cmd = [sys.executable, __file__, "--memory-child", variant, "--size", str(size), "--steps", str(steps),
                   "--threads", str(threads)]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT), env=env)
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
            if proc.returncode != 0 or not line:
                raise RuntimeError(f"memory child {variant} failed:\n{proc.stderr[-3000:]}")
            runs[variant].append(json.loads(line[-1]))
    out = {}
    for variant, rs in runs.items():
        out[variant] = {k: statistics.median(r[k] for r in rs) for k in ("baseline_rss", "peak_rss", "delta")}
        out[variant]["deltas"] = [r["delta"] for r in rs]
    return out


def time_it(fn) -> float:
    gc.collect()
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def profile_rf(s: Setup, top: int = 25) -> None:
    """Where the pack's time goes outside the network's forward (cProfile, sorted by own time)."""
    import cProfile
    import pstats

    pr = cProfile.Profile()
    pr.enable()
    s.rf()
    pr.disable()
    st = pstats.Stats(pr)
    st.sort_stats("tottime").print_stats(top)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, torch {torch.__version__}, Python {platform.python_version()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=64, help="latent height = width (64: a 512x512 image)")
    ap.add_argument("--steps", type=int, default=28, help="steps of the inversion and of the edit (each)")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions of each variant (interleaved)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch CPU threads (default 1: steady timings; small tensors gain little from more)")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory comparison")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of one RF run")
    ap.add_argument("--memory-child", choices=("core", "rf"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.memory_child:
        memory_child(args.memory_child, args.size, args.steps, args.threads)
        return 0

    torch.set_num_threads(args.threads)
    s = Setup(args.size, args.steps)
    nfe = 2 * args.steps
    variants = {"rf": s.rf, "floor": s.floor, "core_same_nfe": s.core_same_nfe}
    print(f"machine: {machine()}; torch threads {args.threads}")
    print(f"tiny Flux-dev (ComfyUI classes, random fp32 weights), latent 1x16x{args.size}x{args.size}, "
          f"{args.steps} + {args.steps} steps = {nfe} model evaluations; {args.reps} interleaved repetitions")
    for fn in variants.values():  # warm-up: first-call costs (allocations, lazy imports) out of the timings
        fn()
    times = {k: [] for k in variants}
    names = list(variants)
    for r in range(args.reps):
        order = names[r % len(names):] + names[: r % len(names)]  # rotate, so no variant always runs first
        for k in order:
            times[k].append(time_it(variants[k]))
        print(f"  rep {r + 1}/{args.reps}: " + ", ".join(f"{k} {times[k][-1]:.3f} s" for k in names), flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    best = {k: min(v) for k, v in times.items()}
    paired = statistics.median(a / b for a, b in zip(times["rf"], times["floor"]))
    ratio = best["rf"] / best["floor"]
    print("")
    print("                                    best of reps   median")
    print(f"one forward of the network          {1000 * best['floor'] / nfe:9.2f} ms  {1000 * med['floor'] / nfe:7.2f} ms")
    print(f"{nfe} bare forwards (the floor)        {best['floor']:9.3f} s   {med['floor']:7.3f} s")
    print(f"RFInvert + RFControlledSampler      {best['rf']:9.3f} s   {med['rf']:7.3f} s")
    print(f"SamplerCustom euler, {nfe} steps       {best['core_same_nfe']:9.3f} s   {med['core_same_nfe']:7.3f} s"
          "   (ComfyUI's own loop, same NFE)")
    print(f"ratio RF / floor (best of reps)     {ratio:9.4f}   target <= {TARGET}: {'PASS' if ratio <= TARGET else 'FAIL'}")
    print(f"ratio RF / floor (median of the per-repetition ratios) {paired:.4f}")
    print(f"ratio SamplerCustom / floor         {best['core_same_nfe'] / best['floor']:9.4f}   (ComfyUI's per-step cost)")
    print(f"ratio RF / SamplerCustom            {best['rf'] / best['core_same_nfe']:9.4f}   (what the pack adds)")
    per_step = (best["rf"] - best["floor"]) / nfe * 1000
    print(f"time above the floor per model evaluation: {per_step:.2f} ms (best of reps)")
    try:
        print(f"load average during the run: {os.getloadavg()[0]:.2f} (CPUs {os.cpu_count()}): a shared machine "
              "inflates single runs; the best of the repetitions is the least disturbed")
    except OSError:
        pass

    if not args.no_memory:
        mem = measure_memory(args.size, args.steps, args.threads)
        mib = 1024 * 1024
        c, r = mem["core"], mem["rf"]
        print("")
        print("peak memory (resident set sampled every 0.5 ms; fresh process per run after the same setup + one warm "
              "forward; median of 3 runs each):")
        print(f"  SamplerCustom euler {args.steps} steps: peak {c['peak_rss'] / mib:8.1f} MiB, "
              f"above baseline {c['delta'] / mib:7.1f} MiB")
        print(f"  RFInvert + RFControlledSampler:  peak {r['peak_rss'] / mib:8.1f} MiB, "
              f"above baseline {r['delta'] / mib:7.1f} MiB")
        print(f"  runs above baseline (MiB): SamplerCustom {[round(d / mib, 1) for d in c['deltas']]}, "
              f"RF {[round(d / mib, 1) for d in r['deltas']]}")
        print(f"  difference RF - SamplerCustom: {(r['peak_rss'] - c['peak_rss']) / mib:+.1f} MiB peak, "
              f"{(r['delta'] - c['delta']) / mib:+.1f} MiB above baseline "
              f"(one latent is {s.latent['samples'].numel() * 4 / mib:.2f} MiB in fp32)")
    if args.profile:
        print("")
        profile_rf(s)
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
