"""Where inversion stops being reliable: the gamma = eta = 0 round trip at 1 to 28 steps, per solver order, on the
exact-model study's five mixtures (128 class-A sources each), through rf_core.invert / rf_core.edit.

A round trip at N steps is called reliable when it is at most twice as bad as the paper's own setting, Euler at 28
steps, on both counts: the largest relative error over the mixtures, and the sources that come back in another
mixture component than their own (a "flip": the composition changed, exact_data.component_flips). An order's
threshold is the fewest steps from which every step count up to 28 is reliable; rf_core.RELIABLE_STEPS holds the
thresholds this script prints, and it exits 1 when they differ.

    python bench/exact_few_steps.py            # about 2 minutes on a shared 2-vCPU VM
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exact_data import component_flips, rel_err  # noqa: E402
from exact_orders import make_mixture, roundtrip  # noqa: E402
from rf_core import ORDERS, RELIABLE_STEPS  # noqa: E402

MIXTURES = [("study's", 0, (0.3, 0.6)), ("narrow", 0, (0.08, 0.2)), ("wide", 0, (0.6, 1.0)),
            ("seed + 10", 10, (0.3, 0.6)), ("seed + 20", 20, (0.3, 0.6))]  # exact_study.py's five
MAX_STEPS = 28


def measure(order: str, steps: int, mixtures: list) -> tuple[int, float]:
    """(flips summed over the mixtures, the largest relative error) of the round trip at `steps`."""
    flips, worst = 0, 0.0
    for mix in mixtures:
        x = roundtrip(mix.ds.gm.field(None), mix.y0, mix.y1, order, steps)
        flips += component_flips(mix.ds, x, mix.y0)
        worst = max(worst, rel_err(x, mix.y0))
    return flips, worst


def threshold(results: dict, paper: tuple[int, float]) -> int:
    """The fewest steps from which every step count up to MAX_STEPS flips and errs at most twice as much as paper."""
    bad = [n for n, (flips, worst) in results.items() if flips > 2 * paper[0] or worst > 2 * paper[1]]
    return max(bad) + 1 if bad else min(results)


def main(batch: int = 128) -> int:
    torch.set_num_threads(1)
    mixtures = [make_mixture(name, seed, batch, vr) for name, seed, vr in MIXTURES]
    paper = measure("euler", 28, mixtures)
    print(f"the paper's setting, euler 28: {paper[0]} flips of {batch * len(mixtures)}, largest error {paper[1]:.4f}")
    found = {}
    for order in ORDERS:
        results = {}
        print(f"\n{order}: steps, flips, largest relative error")
        for n in range(1, MAX_STEPS + 1):
            results[n] = measure(order, n, mixtures)
            print(f"  {n:2d} {results[n][0]:4d} {results[n][1]:.4f}")
        found[order] = threshold(results, paper)
        print(f"{order}: reliable from {found[order]} steps (rf_core.RELIABLE_STEPS: {RELIABLE_STEPS[order]})")
    return 0 if found == dict(RELIABLE_STEPS) else 1


if __name__ == "__main__":
    sys.exit(main())
