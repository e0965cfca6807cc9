"""Pictures of the toy-world benchmark: the faithfulness-editability frontier of the (eta, stop_step, gamma) sweep,
and a grid of real edits (source, ground truth, then each option) for two scenes of every edit kind."""

from __future__ import annotations

from pathlib import Path

import torch

from toyworld import edits, world

BIG = 4  # each 32 x 32 scene is drawn 4x larger, nearest neighbour


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def frontier(results: dict, path: Path, marked=("paper", "fireflow_10_stop3", "euler_11_stop3", "region_mask")) -> Path:
    """Background PSNR (faithfulness) against attribute success and ground-truth PSNR (editability) per option."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    sweep = {k: v["all"] for k, v in results.items() if k.startswith("sweep_")}
    gammas = sorted({float(k.split("gamma")[1]) for k in sweep})
    for ax, metric, label in ((axes[0], "success", "attribute success"), (axes[1], "gt_psnr", "PSNR to the true target (dB)")):
        for g in gammas:
            pts = [(v["bg_psnr"], v[metric]) for k, v in sweep.items() if float(k.split("gamma")[1]) == g]
            ax.scatter(*zip(*pts), s=14, alpha=0.7, label=f"sweep, gamma {g}")
        for name in marked:
            r = results.get(name, {}).get("all")
            if r and r["bg_psnr"] >= 100:  # the region mask keeps the outside exactly: a level, not a point
                ax.axhline(r[metric], ls="--", color="gray", label=f"{name} (outside kept exactly)")
            elif r:
                ax.scatter([r["bg_psnr"]], [r[metric]], marker="*", s=140, label=name)
        ax.set_xlabel("PSNR outside the edit, to the source (dB)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("Toy-world scene model: faithfulness against editability (euler 28 sweep over eta, stop_step, gamma)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def examples(seed: int, per_kind: int = 2) -> list[edits.Edit]:
    """per_kind edits of every kind, from a test set drawn from seed."""
    pool = edits.test_set(seed, per_kind * len(edits.KINDS))
    return sorted(pool, key=lambda e: edits.KINDS.index(e.kind))


def grid(rows: list[edits.Edit], columns: dict[str, torch.Tensor], path: Path) -> Path:
    """A picture grid: one row per edit (its kind and target caption), columns source, ground truth, then each
    option's edits (images (N, 3, H, W) in [0, 1], in the rows' order)."""
    plt = _pyplot()
    names = ["source", "ground truth", *columns]
    fig, axes = plt.subplots(len(rows), len(names), figsize=(1.3 * len(names), 1.45 * len(rows)))
    for r, e in enumerate(rows):
        images = [world.render(e.source), world.render(e.target), *(c[r] for c in columns.values())]
        for c, image in enumerate(images):
            ax = axes[r][c]
            ax.imshow(image.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if r == 0:
                ax.set_title(names[c], fontsize=7)
        axes[r][0].set_ylabel(e.kind, fontsize=8)
    fig.tight_layout(pad=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
