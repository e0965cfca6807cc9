"""Quality gates of the toy model: sample held-out captions, read the samples with the exact reader, and score
per attribute the share of samples that show the caption's value. PASS needs every share >= THRESHOLD.

Object attributes (the slot included) are scored per caption object, after matching the read objects to the
caption's objects in the way that agrees best; a caption object with no read object counts as wrong in all.
"""

from __future__ import annotations

import itertools
import random
import sys
from pathlib import Path

import torch

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:  # run as a script; imported by the tests, the order stays (ComfyUI's nodes.py first)
    sys.path.insert(0, ROOT)

from toyworld import network, reader, sampling, world  # noqa: E402

THRESHOLD = 0.90
OBJECT_ATTRS = ("colour", "shape", "texture", "slot")
ATTRIBUTES = (*OBJECT_ATTRS, "bg_colour", "bg_texture", "count")


def held_out_scenes(seed: int, n: int) -> list[world.Scene]:
    """n scenes whose attribute combinations training never saw, deterministic from the seed."""
    rng = random.Random(seed)
    return [world.sample_split(rng, held=True) for _ in range(n)]


def _agreement(want: world.Obj, got: world.Obj | None) -> dict[str, int]:
    """1 per object attribute that got shows as want, 0 otherwise (all 0 for a missing object)."""
    return {a: int(got is not None and getattr(got, a) == getattr(want, a)) for a in OBJECT_ATTRS}


def object_hits(want: tuple, got: tuple) -> dict[str, int]:
    """Per-attribute hits over the caption's objects, under the best matching to the read objects."""
    padded = list(got) + [None] * len(want)
    best = None
    for order in itertools.permutations(range(len(padded)), len(want)):
        hits = [_agreement(w, padded[i]) for w, i in zip(want, order)]
        total = {a: sum(h[a] for h in hits) for a in OBJECT_ATTRS}
        if best is None or sum(total.values()) > sum(best.values()):
            best = total
    return best


def scene_hits(want: world.Scene, got: world.Scene) -> dict[str, tuple[int, int]]:
    """(hits, trials) per attribute for one sample."""
    objects = object_hits(want.objects, got.objects)
    out = {a: (objects[a], len(want.objects)) for a in OBJECT_ATTRS}
    out["bg_colour"] = (int(got.bg_colour == want.bg_colour), 1)
    out["bg_texture"] = (int(got.bg_texture == want.bg_texture), 1)
    out["count"] = (int(len(got.objects) == len(want.objects)), 1)
    return out


def shares(wants, gots) -> dict[str, float]:
    """Share of hits per attribute over all samples."""
    hits = [scene_hits(w, g) for w, g in zip(wants, gots)]
    return {a: sum(h[a][0] for h in hits) / sum(h[a][1] for h in hits) for a in ATTRIBUTES}


def run_gates(net, text, seed: int, n: int = 100, steps: int = 28, cfg: float = 3.0, chunk: int = 50) -> dict:
    """Sample n held-out captions (noise seeded from seed), read them, and score the gates."""
    scenes = held_out_scenes(seed, n)
    captions = [world.caption(s) for s in scenes]
    images = torch.cat([sampling.sample(net, text, captions[i:i + chunk], seed=seed * 1000 + i, steps=steps,
                                        cfg=cfg) for i in range(0, n, chunk)])
    result = shares(scenes, [reader.read(im) for im in images])
    return {"n": n, "steps": steps, "cfg": cfg, "threshold": THRESHOLD,
            "shares": {k: round(v, 3) for k, v in result.items()},
            "pass": all(v >= THRESHOLD for v in result.values())}


def random_model(seed: int, scale: float = 0.05):
    """An untrained (net, text) pair: every parameter seeded N(0, scale^2)."""
    net, text = network.build()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in (net, text):
            for _, p in sorted(module.named_parameters()):
                p.copy_(torch.randn(p.shape, generator=g) * scale)
    return net.eval(), text.eval()


def report(result: dict, label: str) -> str:
    """A few lines: each gate's share and mark, then PASS / FAIL."""
    lines = [f"toyworld gates ({label}; {result['n']} held-out captions, Euler {result['steps']} steps, "
             f"cfg {result['cfg']}; each gate >= {result['threshold']:.2f})"]
    for name, share in result["shares"].items():
        lines.append(f"  {name:<11} {share:6.3f}  {'ok' if share >= result['threshold'] else 'LOW'}")
    lines.append("PASS" if result["pass"] else "FAIL")
    return "\n".join(lines)
