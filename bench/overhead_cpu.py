"""What RF-Inversion costs above the model itself, on the CPU: RFInvert + RFControlledSampler (28 + 28 steps) on a
tiny random-weight Flux built with ComfyUI's own classes, against 56 bare forward passes of the same network on
the same shapes, timed in the same run (interleaved repetitions, medians). Also times ComfyUI's own SamplerCustom
(euler, 56 steps: the same number of model evaluations) so the pack's cost can be told apart from ComfyUI's, the
same edit with order fireflow at 10 + 10 steps (22 model evaluations) against 22 bare forwards and against the
euler 28 + 28 edit, and compares peak memory against a plain SamplerCustom run (28 steps), each in a fresh process.

    python bench/overhead_cpu.py                 # latent 1x16x64x64 (a 512x512 image), 5 repetitions
    python bench/overhead_cpu.py --size 32       # smaller latent: the per-step overhead weighs more

Needs ComfyUI (COMFYUI_PATH, or this pack inside ComfyUI/custom_nodes, or the ComfyUI .ci/run fetches); no model
download.
Target: (RFInvert + RFControlledSampler) / (56 forwards) <= 1.05. Expected: fireflow 10 + 10 / euler 28 + 28 about
22 / 56 = 0.39.
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

from overhead_common import (  # noqa: E402
    Variants,
    comfyui_version,
    import_comfyui_and_pack,
    interleaved,
    print_fireflow,
    summary,
)

import comfy_harness as H  # noqa: E402  (on sys.path through overhead_common)

TARGET = 1.05


def setup(size: int, steps: int, seed: int = 0, fast_steps: int = 10, fast_stop: int = 3) -> Variants:
    """The tests' tiny Flux-dev (random fp32 weights), its conditioning and a seeded 1x16xSIZExSIZE latent."""
    import_comfyui_and_pack()
    g = torch.Generator().manual_seed(seed)
    latent = {"samples": torch.randn((1, 16, size, size), generator=g)}
    return Variants(H.tiny_flux(schnell=False, seed=1), H.conditioning(seed=2), latent, steps, fast_steps, fast_stop)


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
    s = setup(size, steps)
    s.forwards(1)  # the network's own buffers and the allocator's arenas exist before the baseline
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


def profile_rf(s: Variants, top: int = 25) -> None:
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
    ap.add_argument("--fast-steps", type=int, default=10, help="steps of the fireflow edit (each direction)")
    ap.add_argument("--fast-stop", type=int, default=3, help="stop_step of the fireflow edit")
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
    s = setup(args.size, args.steps, fast_steps=args.fast_steps, fast_stop=args.fast_stop)
    nfe = 2 * args.steps
    variants = {"rf": s.rf, "floor": s.floor, "core_same_nfe": s.core_same_nfe, "rf_fireflow": s.rf_fireflow,
                "floor_fast": s.floor_fast}
    print(f"machine: {machine()}; ComfyUI {comfyui_version()}; torch threads {args.threads}")
    print(f"tiny Flux-dev (ComfyUI classes, random fp32 weights), latent 1x16x{args.size}x{args.size}, "
          f"{args.steps} + {args.steps} steps = {nfe} model evaluations; {args.reps} interleaved repetitions")
    times = interleaved(variants, args.reps, torch.device("cpu"))
    res = summary(times)
    best, med, ratio, paired = res["best"], res["med"], res["ratio"], res["paired"]
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
    print("")
    print_fireflow(times, s)
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
