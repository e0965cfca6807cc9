"""The exact-model study's data and measures: a Gaussian-mixture "dataset" whose flow velocity E[eps - x0 | x_sigma]
is closed form (tests/support/exact_fields.py), and the metrics the study reports.

The data are "image-like": event shape (4, 8, 8) (a 4-channel 8x8 latent). Every component shares a smooth
background plus its own smooth offset; class A and class B differ by a pattern in the central 4x4 "object"
region. The source images are class-A samples; inversion uses the null prompt (the whole mixture, guidance 0),
the edit uses the prompt "class B" (its components), as in the paper's recipe.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "support"))

from exact_fields import GaussianMixture  # noqa: E402

EVENT = (4, 8, 8)
LAYOUTS = 3
CLASS_A = [0, 1, 2]  # component k = (layout k % 3, class k // 3)
CLASS_B = [3, 4, 5]
MU = 1.15  # Flux-dev's shift at 1024x1024 (ComfyUI ModelSamplingFlux / diffusers calculate_shift)


# ----------------------------------------------------------------------------------------------------------------
# The "dataset"


def _smooth(g: torch.Generator, shape=(4, 8, 8), coarse=3) -> torch.Tensor:
    """A smooth random field: coarse Gaussian noise, bilinearly upsampled (an image-like low-frequency pattern)."""
    c = torch.randn((1, shape[0], coarse, coarse), generator=g, dtype=torch.float64)
    up = torch.nn.functional.interpolate(c, size=shape[1:], mode="bilinear", align_corners=True)
    return up[0]


def region_mask() -> torch.Tensor:
    m = torch.zeros(EVENT, dtype=torch.float64)
    m[:, 2:6, 2:6] = 1.0
    return m


@dataclass
class Dataset:
    gm: GaussianMixture
    region: torch.Tensor  # (4, 8, 8), 1 = the "object" that distinguishes class A from class B
    mean_a: torch.Tensor  # the class-A object pattern (inside the region)
    mean_b: torch.Tensor


def make_dataset(seed: int = 0, var_range=(0.3, 0.6)) -> Dataset:
    """Six components = 3 layouts x 2 classes. A layout is a smooth whole-image pattern (the "composition"),
    a class is a pattern in the central 4x4 object region (the "subject"); within-component variance 0.3-0.6
    (per-dimension variance of the data about 1, like a normalised latent). An ideal edit A -> B keeps the
    source's layout and its within-component detail and swaps the object."""
    g = torch.Generator().manual_seed(seed)
    region = region_mask()
    layouts = [1.0 * _smooth(g) for _ in range(LAYOUTS)]
    pattern_a = 1.2 * _smooth(g) * region
    pattern_b = 1.2 * _smooth(g) * region
    means = torch.stack([layouts[k % LAYOUTS] * (1 - region) + layouts[k % LAYOUTS] * region * 0.5
                         + (pattern_a if k < LAYOUTS else pattern_b) for k in range(2 * LAYOUTS)])
    lo, hi = var_range
    variances = lo + (hi - lo) * torch.rand(means.shape, generator=g, dtype=torch.float64)
    gm = GaussianMixture(means, variances)
    return Dataset(gm, region, pattern_a, pattern_b)


# ----------------------------------------------------------------------------------------------------------------
# Metrics


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """||a - b|| / ||b|| over the whole batch."""
    return float((a.double() - b.double()).norm() / b.double().norm())


def background_rms(ds: Dataset, x: torch.Tensor, src: torch.Tensor) -> float:
    """RMS distance to the source outside the object region: faithfulness (lower = more faithful)."""
    keep = (1.0 - ds.region).bool()
    d = (x.double() - src.double())[:, keep]
    return float(d.pow(2).mean().sqrt())


def edit_strength(ds: Dataset, x: torch.Tensor, src: torch.Tensor) -> float:
    """How far the object moved from the source along (class-B pattern - class-A pattern): 0 = unchanged,
    1 = moved by exactly the A -> B difference (editability)."""
    d = (ds.mean_b - ds.mean_a) * ds.region
    s = ((x.double() - src.double()) * d).flatten(1).sum(1) / d.pow(2).sum()
    return float(s.mean())


def _component_posterior(ds: Dataset, x: torch.Tensor) -> torch.Tensor:
    gm = ds.gm
    k = gm.means.shape[0]
    xf = x.to(torch.float64).reshape(x.shape[0], 1, -1)
    mu, var = gm.means.reshape(1, k, -1), gm.variances.reshape(1, k, -1)
    lp = -0.5 * (((xf - mu) ** 2) / var + torch.log(var)).sum(-1) + torch.log(gm.weights)[None]
    return torch.softmax(lp, dim=1)


def prob_b(ds: Dataset, x: torch.Tensor) -> float:
    """Mean posterior probability of class B at sigma = 0 under the mixture (the exact "classifier")."""
    return float(_component_posterior(ds, x)[:, CLASS_B].sum(1).mean())


def layout_kept(ds: Dataset, x: torch.Tensor, src: torch.Tensor) -> float:
    """Mean posterior probability that x has the source's layout (faithfulness of the composition; a random
    class-B sample scores about 1/3)."""
    def layouts(post):
        return post.reshape(post.shape[0], 2, LAYOUTS).sum(1)

    src_layout = layouts(_component_posterior(ds, src)).argmax(1)
    px = layouts(_component_posterior(ds, x))
    return float(px.gather(1, src_layout[:, None]).mean())


def nll_b(ds: Dataset, x: torch.Tensor) -> float:
    """Mean negative log-likelihood per dimension under class B (realism as a class-B image; lower = more typical)."""
    gm = ds.gm
    mu, var, w = gm._select(CLASS_B)
    xf = x.to(torch.float64).reshape(x.shape[0], 1, -1)
    mu, var = mu.reshape(1, mu.shape[0], -1), var.reshape(1, var.shape[0], -1)
    lp = -0.5 * (((xf - mu) ** 2) / var + torch.log(2 * math.pi * var)).sum(-1) + torch.log(w)[None]
    return float(-torch.logsumexp(lp, dim=1).mean() / xf.shape[-1])


METRICS = ("bg", "layout", "strength", "pb", "nll")


def measure(ds: Dataset, x: torch.Tensor, src: torch.Tensor) -> dict:
    return {
        "bg": background_rms(ds, x, src),
        "layout": layout_kept(ds, x, src),
        "strength": edit_strength(ds, x, src),
        "pb": prob_b(ds, x),
        "nll": nll_b(ds, x),
    }


def component_flips(ds: Dataset, x: torch.Tensor, src: torch.Tensor) -> int:
    """How many reconstructions land in another mixture component than their source (a solver error that
    crossed a decision boundary: one such sample dominates the batch's relative error)."""
    return int((_component_posterior(ds, x).argmax(1) != _component_posterior(ds, src).argmax(1)).sum())
