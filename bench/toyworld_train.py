"""Train the toy world's text-to-image rectified-flow DiT on the CPU, seeded, with checkpoints and a time guard.

    nohup python bench/toyworld_train.py > bench/_out/toyworld/train.log 2>&1 &
    python bench/toyworld_train.py --steps 400 --out bench/_out/probe --no-ship   # a timing / loss probe

Data: scenes rendered on the fly, step k's batch from random.Random(data_seed * 1_000_003 + k), held-out
attribute combinations excluded (world.held_out). Sigma ~ logit-normal(0, 1): it spends the steps on the middle
noise levels where the layout and shapes are decided (the ends are easy: pure noise or nearly the image).
Ships the EMA weights to toyworld/scene_model.safetensors with a manifest, after the quality gates.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # first: bench/toyworld.py (the CLI) must not shadow the toyworld package

from toyworld import network, world  # noqa: E402
from toyworld import weights as weights_io  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=7000, help="fixed step count (from the timing probe)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=250)
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--drop", type=float, default=0.1, help="caption dropout to the null prompt (for CFG)")
    p.add_argument("--data-seed", type=int, default=1)
    p.add_argument("--train-seed", type=int, default=2)
    p.add_argument("--max-minutes", type=float, default=42.0, help="wall-time guard: save and stop after this")
    p.add_argument("--ckpt-every", type=int, default=250)
    p.add_argument("--out", type=Path, default=REPO / "bench" / "_out" / "toyworld")
    p.add_argument("--no-ship", action="store_true", help="do not write toyworld/scene_model.* (probes)")
    p.add_argument("--gate-seed", type=int, default=0)
    p.add_argument("--note", default="", help="recorded in the manifest (e.g. why a run was resumed)")
    return p.parse_args(argv)


def lr_at(step: int, args) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak at args.steps."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    done = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    return args.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * done)))


def data(step: int, args) -> tuple[torch.Tensor, torch.Tensor]:
    """Step's batch: data x0 = image * 2 - 1 (B, 3, 32, 32) and token ids (B, T)."""
    images, captions = world.batch(args.data_seed * 1_000_003 + step, args.batch)
    return images * 2 - 1, torch.stack([world.tokenize(c) for c in captions])


def loss_fn(net, text, x0, ids, gen: torch.Generator, drop: float) -> torch.Tensor:
    """Rectified-flow loss: ||net(x_sigma) - (eps - x0)||^2 with logit-normal sigma and caption dropout."""
    b = x0.shape[0]
    sigma = torch.sigmoid(torch.randn(b, generator=gen))
    eps = torch.randn(x0.shape, generator=gen)
    keep = torch.rand(b, generator=gen) >= drop
    ids = torch.where(keep[:, None], ids, torch.zeros_like(ids))
    s = sigma[:, None, None, None]
    v = net((1 - s) * x0 + s * eps, sigma * 1000, context=text(ids))
    return ((v - (eps - x0)) ** 2).mean()


def ema_update(ema: dict, model: dict, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model, over the flat state dicts."""
    with torch.no_grad():
        for k, v in model.items():
            ema[k].lerp_(v, 1 - decay)


def flat_state(net, text) -> dict:
    """One flat dict of both modules' tensors: 'net.*' and 'text.*' (shared storage, not copies)."""
    return {**{f"net.{k}": v for k, v in net.state_dict().items()},
            **{f"text.{k}": v for k, v in text.state_dict().items()}}


def save_ckpt(path: Path, step, net, text, ema, opt, gen, loss_avg, elapsed) -> None:
    """Everything needed to resume exactly (written to a temporary file, then renamed)."""
    state = {"step": step, "net": net.state_dict(), "text": text.state_dict(), "ema": ema,
             "opt": opt.state_dict(), "gen": gen.get_state(), "loss_avg": loss_avg, "elapsed": elapsed}
    torch.save(state, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)


def setup(args):
    """(net, text, ema, opt, gen, start step, loss avg, elapsed) fresh or resumed from args.out/ckpt.pt."""
    torch.manual_seed(args.train_seed)
    net, text = network.build()
    network.init_weights(net, text)
    ema = {k: v.detach().clone() for k, v in flat_state(net, text).items()}
    opt = torch.optim.AdamW(list(net.parameters()) + list(text.parameters()), lr=args.lr, weight_decay=0.01)
    gen = torch.Generator().manual_seed(args.train_seed)
    ckpt = args.out / "ckpt.pt"
    if not ckpt.exists():
        return net, text, ema, opt, gen, 0, None, 0.0
    state = torch.load(ckpt, weights_only=False)
    net.load_state_dict(state["net"]), text.load_state_dict(state["text"]), opt.load_state_dict(state["opt"])
    gen.set_state(state["gen"])
    print(f"resumed at step {state['step']}", flush=True)
    return net, text, state["ema"], opt, gen, state["step"], state["loss_avg"], state["elapsed"]


def train(args) -> dict:
    """The training loop; returns what the manifest records about the run."""
    net, text, ema, opt, gen, step, loss_avg, elapsed = setup(args)
    params = sum(p.numel() for p in net.parameters()) + sum(p.numel() for p in text.parameters())
    print(f"{params} parameters, {args.steps} steps of batch {args.batch}", flush=True)
    start = time.time() - elapsed
    model_state = flat_state(net, text)
    while step < args.steps and time.time() - start < args.max_minutes * 60:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args)
        loss = loss_fn(net, text, *data(step, args), gen, args.drop)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        ema_update(ema, model_state, min(args.ema, (1 + step) / (10 + step)))
        loss_avg = loss.item() if loss_avg is None else 0.99 * loss_avg + 0.01 * loss.item()
        if step % 50 == 0:
            t = time.time() - start
            print(f"step {step} loss {loss.item():.4f} ema-loss {loss_avg:.4f} {t / 60:.1f} min "
                  f"{t / step:.3f} s/step (incl. resumes) lr {lr_at(step, args):.2e}", flush=True)
        if step % args.ckpt_every == 0:
            save_ckpt(args.out / "ckpt.pt", step, net, text, ema, opt, gen, loss_avg, time.time() - start)
    wall = time.time() - start
    save_ckpt(args.out / "ckpt.pt", step, net, text, ema, opt, gen, loss_avg, wall)
    stopped = "steps done" if step >= args.steps else f"wall-time guard ({args.max_minutes} min)"
    print(f"stopped at step {step} ({stopped}) after {wall / 60:.1f} min", flush=True)
    return {"steps": step, "planned_steps": args.steps, "stopped": stopped, "wall_s": round(wall, 1),
            "s_per_step": round(wall / max(step, 1), 3), "final_loss_ema": round(loss_avg, 5), "params": params,
            "ema": ema}


def record(args, run: dict) -> dict:
    """The manifest's training record."""
    keys = ("batch", "lr", "warmup", "ema", "drop", "data_seed", "train_seed", "max_minutes", "note")
    return {"config": network.CONFIG, "text_config": network.TEXT_CONFIG,
            "training": {**{k: getattr(args, k) for k in keys}, "optimizer": "AdamW(weight_decay=0.01)",
                         "sigma_sampling": "logit-normal(0, 1)", "lr_schedule": "warm-up, cosine to 0.1",
                         **{k: v for k, v in run.items() if k != "ema"}},
            "machine": f"{platform.machine()} {platform.processor() or ''} {torch.get_num_threads()} threads, "
                       f"torch {torch.__version__}, {platform.platform()}"}


def ship(args, run: dict) -> None:
    """Write the EMA weights, run the gates on them, write the manifest."""
    from toyworld_gates import run_gates

    path = weights_io.save(run["ema"], network.CONFIG, network.TEXT_CONFIG)
    manifest = record(args, run)
    weights_io.write_manifest(path, manifest)
    net, text = weights_io.load(path)
    gates = run_gates(net, text, seed=args.gate_seed)
    weights_io.write_manifest(path, {**manifest, "gates": {f"seed {args.gate_seed}": gates}})
    print(f"gates {'PASS' if gates['pass'] else 'FAIL'}: {gates['shares']}", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(2)
    args.out.mkdir(parents=True, exist_ok=True)
    run = train(args)
    if not args.no_ship:
        ship(args, run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
