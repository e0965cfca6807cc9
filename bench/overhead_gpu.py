"""RF-Inversion's cost on a GPU against the model-evaluation floor, at Flux-dev size (for the device machine).

Builds a Flux-dev-sized network (hidden 3072, 19 double + 38 single blocks, guidance embedding: 11.9 B parameters)
with ComfyUI's own classes and seeded random bf16 weights drawn on the GPU, then times, interleaved in one run:
  rf     RFInvert + RFControlledSampler, 28 + 28 steps at 1024x1024 (latent 1x16x128x128), T5 context
         (1, 512, 4096) + pooled (1, 768): the pack's nodes as ComfyUI executes them;
  floor  56 bare forwards of the same network on the same shapes and dtypes;
  core   ComfyUI's SamplerCustom (euler, 56 steps: the same number of model evaluations);
  rf_fireflow  the same nodes with order fireflow, 10 + 10 steps (22 model evaluations), and floor_fast its 22 bare
         forwards;
and the peak GPU memory of rf and rf_fireflow against a plain SamplerCustom run (28 steps).

    python bench/overhead_gpu.py              # on a CUDA machine; about 2.5 minutes on an H200, build included
    python bench/overhead_gpu.py --tiny       # dry run of the same code on the CPU, tiny model (seconds)

Targets: rf / floor <= 1.02; rf_fireflow / rf <= 0.42 (issue 12). Random weights: the numbers are costs, not
images.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time

import torch

from overhead_common import (
    Variants,
    comfyui_version,
    import_comfyui_and_pack,
    interleaved,
    print_fireflow,
    summary,
    sync,
)

import comfy_harness as H  # noqa: E402  (on sys.path through overhead_common)

TARGET = 1.02
TARGET_FIREFLOW = 0.42  # fireflow 10 + 10 against euler 28 + 28, seconds per edit

FLUX_DEV = {
    "image_model": "flux", "guidance_embed": True, "in_channels": 16, "out_channels": 16, "patch_size": 2,
    "vec_in_dim": 768, "context_in_dim": 4096, "hidden_size": 3072, "mlp_ratio": 4.0, "num_heads": 24,
    "depth": 19, "depth_single_blocks": 38, "axes_dim": [16, 56, 56], "theta": 10000, "qkv_bias": True,
}
TINY = dict(FLUX_DEV, vec_in_dim=32, context_in_dim=32, hidden_size=64, mlp_ratio=2.0, num_heads=2, depth=1,
            depth_single_blocks=1, axes_dim=[8, 12, 12])


def build(unet_config: dict, device: torch.device, dtype: torch.dtype, seed: int):
    """A ComfyUI Flux (supported_models.Flux -> model_base.Flux -> ModelPatcher) built directly on `device`, with
    every parameter drawn from N(0, 0.02^2) by a seeded generator on that device (ComfyUI's ops skip init). The
    FluxParams fields only newer ComfyUI has (txt_ids_dims, 0.16+) are set as the tests' models set them."""
    import comfy.model_management as mm
    import comfy.model_patcher
    import comfy.supported_models as sm

    config = sm.Flux(dict(unet_config, **H.flux_params_compat()))
    config.set_inference_dtype(dtype, None)
    model = config.get_model({}, device=device)
    g = torch.Generator(device=device).manual_seed(seed)
    with torch.no_grad():
        for _, p in sorted(model.diffusion_model.named_parameters(), key=lambda kv: kv[0]):
            p.normal_(0.0, 0.02, generator=g)
    n_params = sum(p.numel() for p in model.diffusion_model.parameters())
    patcher = comfy.model_patcher.ModelPatcher(model, load_device=mm.get_torch_device(),
                                               offload_device=mm.unet_offload_device())
    return patcher, n_params


class Bench(Variants):
    """The shared variants on a Flux-dev-sized model (or TINY on the CPU for the dry run), bf16 weights."""

    def __init__(self, tiny: bool, steps: int, fast_steps: int = 10, fast_stop: int = 3, seed: int = 0):
        self.device = torch.device("cuda" if (torch.cuda.is_available() and not tiny) else "cpu")
        os.environ["RF_TEST_DEVICE"] = "gpu" if self.device.type == "cuda" else "cpu"
        self.comfy_path = import_comfyui_and_pack()
        if self.device.type == "cpu":
            torch.set_num_threads(1)  # tiny tensors: a CPU thread pool only adds overhead
        import comfy.model_management as mm

        self.dtype = torch.bfloat16
        cfg = TINY if tiny else FLUX_DEV
        size, tokens = (16, 8) if tiny else (128, 512)
        t0 = time.perf_counter()
        model, self.n_params = build(cfg, self.device, self.dtype, seed)
        sync(self.device)
        self.build_s = time.perf_counter() - t0
        g = torch.Generator().manual_seed(seed + 1)  # conditioning and latent: CPU tensors, as ComfyUI hands them
        context = torch.randn((1, tokens, cfg["context_in_dim"]), generator=g)
        pooled = torch.randn((1, cfg["vec_in_dim"]), generator=g)
        latent = {"samples": torch.randn((1, 16, size, size), generator=g)}
        super().__init__(model, [[context, {"pooled_output": pooled}]], latent, steps, fast_steps, fast_stop)
        mm.load_models_gpu([model])  # the weights where the samplers have them, before the floor's first forward
        self.shape_note = f"latent 1x16x{size}x{size}, context {tuple(context.shape)}, pooled {tuple(pooled.shape)}"


def peak_memory(b: Bench, fn) -> tuple[int, int]:
    """(peak allocated during fn, allocated before it), from torch's CUDA caching allocator statistics."""
    gc.collect()
    torch.cuda.empty_cache()
    sync(b.device)
    before = torch.cuda.memory_allocated(b.device)
    torch.cuda.reset_peak_memory_stats(b.device)
    fn()
    sync(b.device)
    return torch.cuda.max_memory_allocated(b.device), before


def describe(b: Bench) -> str:
    if b.device.type == "cuda":
        p = torch.cuda.get_device_properties(b.device)
        dev = f"{p.name} ({p.total_memory / 2**30:.0f} GiB), CUDA {torch.version.cuda}"
    else:
        dev = f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs)"
    try:
        import comfy.ldm.modules.attention as attn

        attention = attn.optimized_attention.__name__
    except Exception:
        attention = "?"
    return f"{dev}; torch {torch.__version__}; ComfyUI {comfyui_version()}; attention {attention}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="dry run on the CPU with a tiny model (checks the script)")
    ap.add_argument("--steps", type=int, default=28)
    ap.add_argument("--reps", type=int, default=3, help="timed repetitions of each variant (interleaved)")
    ap.add_argument("--fast-steps", type=int, default=10, help="steps of the fireflow edit (each direction)")
    ap.add_argument("--fast-stop", type=int, default=3, help="stop_step of the fireflow edit")
    args = ap.parse_args(argv)
    if not args.tiny and not torch.cuda.is_available():
        print("no CUDA device: run with --tiny for a CPU dry run, or on the GPU machine")
        return 2

    b = Bench(args.tiny, args.steps, args.fast_steps, args.fast_stop)
    print(f"device: {describe(b)}")
    print(f"model: ComfyUI Flux, {b.n_params / 1e9:.3g} B parameters, random {str(b.dtype).split('.')[-1]} weights "
          f"built on {b.device.type} in {b.build_s:.1f} s; {b.shape_note}")
    print(f"{args.steps} + {args.steps} steps = {b.forward_evals} model evaluations; {args.reps} interleaved repetitions",
          flush=True)
    variants = {"rf": b.rf, "floor": b.floor, "core_same_nfe": b.core_same_nfe, "rf_fireflow": b.rf_fireflow,
                "floor_fast": b.floor_fast}
    times = interleaved(variants, args.reps, b.device)
    res = summary(times)
    best, med, ratio, paired = res["best"], res["med"], res["ratio"], res["paired"]
    print("")
    print("                                    best of reps   median")
    print(f"one forward                         {1000 * best['floor'] / b.forward_evals:9.2f} ms  {1000 * med['floor'] / b.forward_evals:7.2f} ms")
    print(f"floor: {b.forward_evals} forwards                 {best['floor']:9.3f} s   {med['floor']:7.3f} s")
    print(f"time per edit: RFInvert + RFControlledSampler {best['rf']:.3f} s (median {med['rf']:.3f} s)")
    print(f"SamplerCustom euler, {b.forward_evals} steps       {best['core_same_nfe']:9.3f} s   {med['core_same_nfe']:7.3f} s")
    print(f"ratio RF / floor                    {ratio:9.4f}   target <= {TARGET}: {'PASS' if ratio <= TARGET else 'FAIL'}"
          f"   (median of per-repetition ratios {paired:.4f})")
    print(f"ratio SamplerCustom / floor         {best['core_same_nfe'] / best['floor']:9.4f}")
    print(f"time above the floor per model evaluation: {(best['rf'] - best['floor']) / b.forward_evals * 1000:.2f} ms")
    print("")
    fireflow_ratio, _ = print_fireflow(times, b, TARGET_FIREFLOW)
    if b.device.type == "cuda":
        gib = 2**30
        core_peak, core_before = peak_memory(b, b.core)
        rf_peak, rf_before = peak_memory(b, b.rf)
        ff_peak, ff_before = peak_memory(b, b.rf_fireflow)
        print("")
        print("peak GPU memory (torch.cuda.max_memory_allocated; weights already loaded):")
        print(f"  SamplerCustom euler {args.steps} steps: peak {core_peak / gib:7.2f} GiB "
              f"({(core_peak - core_before) / 2**20:8.1f} MiB above the weights and inputs)")
        print(f"  RFInvert + RFControlledSampler:  peak {rf_peak / gib:7.2f} GiB "
              f"({(rf_peak - rf_before) / 2**20:8.1f} MiB above the weights and inputs)")
        print(f"  RF, order fireflow {args.fast_steps} + {args.fast_steps}: peak {ff_peak / gib:7.2f} GiB "
              f"({(ff_peak - ff_before) / 2**20:8.1f} MiB above the weights and inputs)")
        print(f"  difference RF - SamplerCustom: {(rf_peak - core_peak) / 2**20:+.1f} MiB; fireflow - euler RF: "
              f"{(ff_peak - rf_peak) / 2**20:+.1f} MiB")
    else:
        print("peak GPU memory: n/a on the CPU (dry run)")
    return 0 if ratio <= TARGET and fireflow_ratio <= TARGET_FIREFLOW else 1


if __name__ == "__main__":
    sys.exit(main())
