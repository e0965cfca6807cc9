"""RF-Inversion on an exact model: a Gaussian-mixture "dataset" whose velocity E[eps - x0 | x_sigma] is closed form.

Every error measured here is the solver's or the method's, never a network's. The study drives the very rf_core
functions the nodes call (rf_core.invert / rf_core.edit on one Flux-shifted sampling grid) and prints:

  1. reconstruction (gamma = eta = 0 round trip) against steps: our sigma clock vs two reference clocks taken
     from published implementations (re-implemented here, in bench only), and Euler vs midpoint at EQUAL model
     evaluations;
  2. the controller identities (eta = 1 returns the source, gamma = 1 lands on y1) for our clock vs the
     "1 - i/N in the controller" clock;
  3. the gamma x eta grid: faithfulness vs editability for an edit from class A to class B;
  4. the stop-step sweep at 28 steps, eta 0.9 (the paper's phase transition);
  5. SDE (Eq. 17) vs ODE (Eq. 15) editing, averaged over noise seeds.

and writes PNG plots. Run from the repository root:

    python bench/exact_study.py --quick      # < 1 minute on a laptop CPU, no model download; bench/_out/*.png
    python bench/exact_study.py              # the full study (about 3 minutes); docs/*.png

The data are "image-like": event shape (4, 8, 8) (a 4-channel 8x8 latent). Every component shares a smooth
background plus its own smooth offset; class A and class B differ by a pattern in the central 4x4 "object"
region. The source images are class-A samples; inversion uses the null prompt (the whole mixture, guidance 0),
the edit uses the prompt "class B" (its two components), as in the paper's recipe.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rf_core import edit, flux_sigmas, invert, seeded_noise, seeded_noise_sampler  # noqa: E402
from rf_core.analytic import GaussianMixture  # noqa: E402

try:
    from tqdm import tqdm
except ImportError:  # the study still runs, without a bar
    tqdm = None

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


# ----------------------------------------------------------------------------------------------------------------
# Reference clocks from published implementations (re-implemented for comparison; NOT used by the pack)


def diffusers_invert(velocity, y0, sigmas, y1, gamma=0.0):
    """The diffusers community pipeline's inversion (examples/community/pipeline_flux_rf_inversion.py, invert()).

    Its scheduler grid is our sampling grid (shifted, sigma_0 = 1 ... sigma_N = 0, N + 1 values). It loops
    i = 0 .. N - 1, queries the model at t_i = i / (N + 1) (unshifted), uses u_cond = (y1 - Y) / (1 - t_i), and
    steps Y += u_hat * (sigma_i - sigma_{i+1}): the sampling grid's step sizes taken in sampling order, so the latent
    actually sits at noise level 1 - sigma_i while the model is told i / (N + 1).
    """
    sig = [float(s) for s in sigmas]
    n_plus_1 = len(sig)
    Y = y0.detach().to(torch.float32).clone()
    for i in range(n_plus_1 - 1):
        t = i / n_plus_1
        u = velocity(Y, t).to(torch.float32)
        u_hat = u + gamma * ((y1 - Y) / (1.0 - t) - u)
        Y = Y + u_hat * (sig[i] - sig[i + 1])
    return Y


def model_clock_invert(velocity, y0, sigmas, y1, gamma=0.0):
    """Our grid walked upwards (the latent really at the shifted sigma), but the model told t = i / (N + 1)."""
    fwd = [float(s) for s in torch.flip(sigmas, (0,))]
    n_plus_1 = len(fwd)
    Y = y0.detach().to(torch.float32).clone()
    for i in range(n_plus_1 - 1):
        t = i / n_plus_1
        u = velocity(Y, t).to(torch.float32)
        u_hat = u + gamma * ((y1 - Y) / (1.0 - fwd[i]) - u)
        Y = Y + u_hat * (fwd[i + 1] - fwd[i])
    return Y


def unshifted_controller_invert(velocity, y0, sigmas, y1, gamma):
    """Eq. 8 on our grid with the model at the right sigma, but the controller's clock is i / N (u_cond over 1 - i/N)."""
    fwd = [float(s) for s in torch.flip(sigmas, (0,))]
    n = len(fwd) - 1
    Y = y0.detach().to(torch.float32).clone()
    for i in range(n):
        u = velocity(Y, fwd[i]).to(torch.float32)
        u_hat = u + gamma * ((y1 - Y) / (1.0 - i / n) - u)
        Y = Y + u_hat * (fwd[i + 1] - fwd[i])
    return Y


def unshifted_controller_edit(velocity, x, y0, sigmas, eta, stop):
    """Eq. 15 on our grid with the model at the right sigma, but v_cond = (y0 - X) / (1 - i/N) (unshifted clock)."""
    sig = [float(s) for s in sigmas]
    n = len(sig) - 1
    X = x.detach().to(torch.float32).clone()
    for i in range(n):
        v_hat = -velocity(X, sig[i]).to(torch.float32)
        e = eta if i < stop else 0.0
        v_tilde = v_hat + e * ((y0 - X) / (1.0 - i / n) - v_hat)
        X = X + (sig[i] - sig[i + 1]) * v_tilde
    return X


# ----------------------------------------------------------------------------------------------------------------
# The study


def roundtrip_midpoint(velocity, y0, nfe, y1, out=False):
    """Our gamma = eta = 0 round trip with the midpoint solver at nfe model evaluations per direction."""
    sig = flux_sigmas(nfe // 2, MU)
    y = invert(velocity, y0, sig, y1, gamma=0.0, order="midpoint")
    x = edit(velocity, y, y0, sig, eta=0.0, stop_step=1, order="midpoint")
    return x if out else rel_err(x, y0)


def component_flips(ds: Dataset, x: torch.Tensor, src: torch.Tensor) -> int:
    """How many reconstructions land in another mixture component than their source (a solver error that
    crossed a decision boundary: one such sample dominates the batch's relative error)."""
    return int((_component_posterior(ds, x).argmax(1) != _component_posterior(ds, src).argmax(1)).sum())


class Progress:
    def __init__(self, total: int, enabled: bool):
        self.bar = tqdm(total=total, unit="solve", dynamic_ncols=True) if (enabled and tqdm is not None) else None

    def step(self, desc: str, n: int = 1):
        if self.bar is not None:
            self.bar.set_description(desc)
            self.bar.update(n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


@dataclass
class Config:
    quick: bool
    batch: int
    steps_list: list
    nfe_list: list
    gammas: list
    etas: list
    sde_seeds: int
    seed: int
    variants: list = None
    variant_steps: list = None

    def __post_init__(self):
        if self.variants is None:
            narrow = [("narrow components (var 0.08-0.2)", self.seed, (0.08, 0.2)),
                      ("wide components (var 0.6-1.0)", self.seed, (0.6, 1.0))]
            more = [("seed + 10", self.seed + 10, (0.3, 0.6)), ("seed + 20", self.seed + 20, (0.3, 0.6))]
            self.variants = narrow if self.quick else narrow + more
        if self.variant_steps is None:
            self.variant_steps = [14, 20, 28, 56] if self.quick else [n for n in self.steps_list if n >= 14]

    @classmethod
    def make(cls, quick: bool, seed: int):
        if quick:
            return cls(True, 32, [14, 20, 28, 40, 56, 80], [14, 20, 28, 40, 56, 80],
                       [0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.25, 0.5, 0.7, 0.9, 1.0], 4, seed)
        return cls(False, 128, [8, 10, 14, 20, 28, 40, 56, 80, 112, 160, 224],
                   [8, 14, 20, 28, 40, 56, 80, 112, 160, 224],
                   [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0],
                   [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 16, seed)


def run_study(cfg: Config, out_dir: Path, show_progress: bool = True, plots: bool = True) -> dict:
    torch.set_grad_enabled(False)
    torch.set_num_threads(1)  # tensors of ~50k elements: a thread pool only adds overhead (13x on a 2-core VM)
    ds = make_dataset(cfg.seed)
    gm = ds.gm
    g = torch.Generator().manual_seed(cfg.seed + 1)
    y0 = gm.sample(cfg.batch, g, CLASS_A)  # the source images: class A
    shape = tuple(y0.shape)
    y1 = seeded_noise(cfg.seed + 2, shape)  # one fixed Gaussian target for the inversion
    null = gm.field(None)  # the null prompt: the whole mixture
    prompt_b = gm.field(CLASS_B)  # the edit prompt: class B
    steps_edit = 28
    stops = list(range(0, steps_edit + 1))

    total = (
        len(cfg.steps_list) * 3  # ours, diffusers, model-clock reconstructions
        + len(cfg.nfe_list) * 2  # euler vs midpoint at equal NFE
        + len(cfg.variants) * len(cfg.variant_steps) * 3
        + len(cfg.steps_list) * 4  # controller identities: ours / unshifted, eta and gamma
        + len(cfg.gammas) * len(cfg.etas)
        + len(stops)
        + 2 * (1 + 2 * cfg.sde_seeds)  # SDE vs ODE at two settings
        + 1  # the 1 - i/N controller at the paper's setting
    )
    bar = Progress(total, show_progress)
    res: dict = {"config": cfg, "batch": cfg.batch}

    # 1. Reconstruction vs steps: three clocks (Euler).
    recon = {"ours": [], "diffusers": [], "model_clock": [], "ours_mid": [], "flips": [], "flips_mid": []}
    for n in cfg.steps_list:
        sig = flux_sigmas(n, MU)
        recon["ours_mid"].append(roundtrip_midpoint(null, y0, n, y1))
        recon["flips_mid"].append(component_flips(ds, roundtrip_midpoint(null, y0, n, y1, out=True), y0))
        y = invert(null, y0, sig, y1, gamma=0.0)
        x = edit(null, y, y0, sig, eta=0.0, stop_step=1)
        recon["ours"].append(rel_err(x, y0))
        recon["flips"].append(component_flips(ds, x, y0))
        bar.step(f"reconstruction N={n}")
        y = diffusers_invert(null, y0, sig, y1)
        recon["diffusers"].append(rel_err(edit(null, y, y0, sig, eta=0.0, stop_step=1), y0))
        bar.step(f"reconstruction N={n}")
        y = model_clock_invert(null, y0, sig, y1)
        recon["model_clock"].append(rel_err(edit(null, y, y0, sig, eta=0.0, stop_step=1), y0))
        bar.step(f"reconstruction N={n}")
    res["recon"] = recon

    # 1b. Euler vs midpoint at equal model evaluations per direction (midpoint: nfe / 2 steps).
    order_cmp = {"euler": [], "midpoint": []}
    for nfe in cfg.nfe_list:
        sig = flux_sigmas(nfe, MU)
        y = invert(null, y0, sig, y1, gamma=0.0, order="euler")
        order_cmp["euler"].append(rel_err(edit(null, y, y0, sig, eta=0.0, stop_step=1, order="euler"), y0))
        bar.step(f"euler/midpoint NFE={nfe}")
        sig2 = flux_sigmas(nfe // 2, MU)
        y = invert(null, y0, sig2, y1, gamma=0.0, order="midpoint")
        order_cmp["midpoint"].append(rel_err(edit(null, y, y0, sig2, eta=0.0, stop_step=1, order="midpoint"), y0))
        bar.step(f"euler/midpoint NFE={nfe}")
    res["orders"] = order_cmp

    # 1c. The same clock comparison on other datasets (robustness: the claim must not hinge on one mixture).
    variants = []
    for name, seed, vr in cfg.variants:
        dv = make_dataset(seed, vr)
        fv = dv.gm.field(None)
        sv = dv.gm.sample(cfg.batch, torch.Generator().manual_seed(seed + 1), CLASS_A)
        y1v = seeded_noise(seed + 2, tuple(sv.shape))
        row = {"name": name, "ours": [], "diffusers": [], "model_clock": [], "ours_mid": []}
        for n in cfg.variant_steps:
            sig = flux_sigmas(n, MU)
            row["ours_mid"].append(roundtrip_midpoint(fv, sv, n, y1v))
            for key, inv in (("ours", None), ("diffusers", diffusers_invert), ("model_clock", model_clock_invert)):
                y = invert(fv, sv, sig, y1v, gamma=0.0) if inv is None else inv(fv, sv, sig, y1v)
                row[key].append(rel_err(edit(fv, y, sv, sig, eta=0.0, stop_step=1), sv))
                bar.step(f"variant {name} N={n}")
        variants.append(row)
    res["variants"] = variants

    # 2. Controller identities: eta = 1 on every step returns y0; gamma = 1 lands on y1.
    ident = {"eta1_ours": [], "eta1_unshifted": [], "gamma1_ours": [], "gamma1_unshifted": []}
    for n in cfg.steps_list:
        sig = flux_sigmas(n, MU)
        start = y1  # any start state: eta = 1 everywhere must forget it
        ident["eta1_ours"].append(rel_err(edit(prompt_b, start, y0, sig, eta=1.0, stop_step=n), y0))
        bar.step(f"identities N={n}")
        ident["eta1_unshifted"].append(rel_err(unshifted_controller_edit(prompt_b, start, y0, sig, 1.0, n), y0))
        bar.step(f"identities N={n}")
        ident["gamma1_ours"].append(rel_err(invert(null, y0, sig, y1, gamma=1.0), y1))
        bar.step(f"identities N={n}")
        ident["gamma1_unshifted"].append(rel_err(unshifted_controller_invert(null, y0, sig, y1, 1.0), y1))
        bar.step(f"identities N={n}")
    res["identities"] = ident

    # 3. gamma x eta grid at 28 steps, eta on [0, 7) (diffusers' default stop 0.25 * 28; the paper's 5-8).
    sig28 = flux_sigmas(steps_edit, MU)
    stop = 7
    inverted = {}
    grid = {m: torch.zeros(len(cfg.gammas), len(cfg.etas)) for m in METRICS}
    for a, gamma in enumerate(cfg.gammas):
        inverted[gamma] = invert(null, y0, sig28, y1, gamma=gamma)
        for b, eta in enumerate(cfg.etas):
            x = edit(prompt_b, inverted[gamma], y0, sig28, eta=eta, stop_step=stop)
            for m, v in measure(ds, x, y0).items():
                grid[m][a, b] = v
            bar.step(f"grid gamma={gamma} eta={eta}")
    grid["stop"] = stop
    res["grid"] = grid

    # 4. Stop-step sweep: 28 steps, gamma 0.5, eta 0.9 on [0, stop).
    y_half = inverted.get(0.5)
    if y_half is None:
        y_half = invert(null, y0, sig28, y1, gamma=0.5)
    sweep = {"stop": stops, **{m: [] for m in METRICS}}
    for s in stops:
        x = edit(prompt_b, y_half, y0, sig28, eta=0.9 if s > 0 else 0.0, stop_step=max(s, 1))
        for m, v in measure(ds, x, y0).items():
            sweep[m].append(v)
        bar.step(f"stop-step sweep stop={s}")
    res["sweep"] = sweep

    # 4b. The "1 - i/N controller" at the paper's setting, for reference.
    x = unshifted_controller_edit(prompt_b, unshifted_controller_invert(null, y0, sig28, y1, 0.5), y0, sig28, 0.9, stop)
    res["paper_unshifted"] = measure(ds, x, y0)
    bar.step("1 - i/N controller")

    # 5. SDE vs ODE editing at two settings (gamma 0.5; eta 0.9 on [0, 7) and eta 0.7 on [0, 5)), over noise seeds.
    ref = gm.sample(cfg.batch, torch.Generator().manual_seed(cfg.seed + 3), CLASS_B)
    res["nll_b_true"] = nll_b(ds, ref)
    res["bg_unrelated"] = background_rms(ds, ref, y0)
    sde = []
    for eta, stop_s in ((0.9, 7), (0.7, 5)):
        row = {"eta": eta, "stop": stop_s}
        row["ode"] = measure(ds, edit(prompt_b, y_half, y0, sig28, eta=eta, stop_step=stop_s, mode="ode"), y0)
        bar.step(f"ODE eta={eta}")
        for key, e, base in (("sde", eta, 1000), ("sde_eta0", 0.0, 2000)):
            vals = []
            for k in range(cfg.sde_seeds):
                ns = seeded_noise_sampler(base + k, shape)
                x = edit(prompt_b, y_half, y0, sig28, eta=e, stop_step=stop_s, mode="sde", noise_sampler=ns)
                vals.append(measure(ds, x, y0))
                bar.step(f"SDE eta={e} seed={k}")
            t = {m: torch.tensor([v[m] for v in vals], dtype=torch.float64) for m in METRICS}
            row[key] = {m: float(t[m].mean()) for m in METRICS}
            row[key + "_std"] = {m: float(t[m].std()) if len(vals) > 1 else 0.0 for m in METRICS}
        sde.append(row)
    res["sde"] = sde
    bar.close()

    if plots:
        res["plots"] = write_plots(res, cfg, out_dir)
    return res


# ----------------------------------------------------------------------------------------------------------------
# Report


def claim_clock(res, cfg) -> tuple[bool, list]:
    """Ours must not be worse than either reference clock at any step count from 14 up."""
    bad = []
    for k, n in enumerate(cfg.steps_list):
        if n < 14:
            continue
        r = res["recon"]
        if r["ours"][k] > r["diffusers"][k] or r["ours"][k] > r["model_clock"][k]:
            bad.append(f"reconstruction N={n}")
        i = res["identities"]
        if i["eta1_ours"][k] > i["eta1_unshifted"][k] or i["gamma1_ours"][k] > i["gamma1_unshifted"][k]:
            bad.append(f"controller identity N={n}")
    return not bad, bad


def claim_variants(res, cfg, key: str) -> tuple[bool, list]:
    bad = []
    rows = list(res["variants"])
    if key == "ours_mid":
        rows.append({"name": "main", **res["recon"]})
    for row in rows:
        steps = cfg.steps_list if row["name"] == "main" else cfg.variant_steps
        for k, n in enumerate(steps):
            if n >= 14 and row[key][k] > min(row["diffusers"][k], row["model_clock"][k]):
                bad.append(f"{row['name']} N={n}")
    return not bad, bad


def print_report(res, cfg, elapsed: float):
    p = print
    p("")
    p(f"RF-Inversion on an exact Gaussian-mixture model ({'quick' if cfg.quick else 'full'} study): event {EVENT}, "
      f"6 components = {LAYOUTS} layouts x 2 classes (class A = {CLASS_A}, class B = {CLASS_B}), {cfg.batch} class-A sources, Flux grid mu = {MU}.")
    p("")
    p("1. Reconstruction, gamma = eta = 0 (relative L2 error of the round trip, Euler, N steps each way)")
    p(f"{'N':>5} {'ours (sigma clock)':>19} {'diffusers invert':>17} {'model at i/(N+1)':>17} {'ours midpoint':>14}"
      f" {'flips Euler/mid':>16}")
    r = res["recon"]
    for k, n in enumerate(cfg.steps_list):
        p(f"{n:>5} {r['ours'][k]:>19.3e} {r['diffusers'][k]:>17.3e} {r['model_clock'][k]:>17.3e} "
          f"{r['ours_mid'][k]:>14.3e} {r['flips'][k]:>9}/{r['flips_mid'][k]}")
    p("   diffusers invert = the community pipeline's invert(): model at i/(N+1), sampling-order step sizes;")
    p("   model at i/(N+1) = our grid, model told i/(N+1) instead of the latent's sigma.")
    p("   ours midpoint = our clock, midpoint solver with N/2 steps: the same N model evaluations each way.")
    p(f"   flips = sources (of {cfg.batch}) whose reconstruction lands in another component (ours Euler / midpoint);")
    p("   one flipped sample (relative error ~0.7) sets the floor of the Euler column at large N.")
    p("")
    p("1b. Euler vs midpoint at equal model evaluations (NFE per direction; midpoint takes NFE/2 steps)")
    p(f"{'NFE':>5} {'Euler':>11} {'midpoint':>11} {'Euler/midpoint':>15}")
    o = res["orders"]
    for k, nfe in enumerate(cfg.nfe_list):
        p(f"{nfe:>5} {o['euler'][k]:>11.3e} {o['midpoint'][k]:>11.3e} {o['euler'][k] / o['midpoint'][k]:>15.1f}")
    p("")
    p("1c. The clock comparison on other mixtures (relative reconstruction error at N model evaluations each way)")
    p(f"{'mixture':>34} {'N':>4} {'ours Euler':>11} {'diffusers':>10} {'i/(N+1)':>8} {'ours midpoint':>14}")
    for row in res["variants"]:
        for k, n in enumerate(cfg.variant_steps):
            p(f"{row['name'] if k == 0 else '':>34} {n:>4} {row['ours'][k]:>11.3e} {row['diffusers'][k]:>10.3e} "
              f"{row['model_clock'][k]:>8.3f} {row['ours_mid'][k]:>14.3e}")
    p("")
    p("2. Controller identities (relative error; ours should be at float32 round-off)")
    p(f"{'N':>5} {'eta=1->y0 ours':>15} {'eta=1 1-i/N':>12} {'gamma=1->y1 ours':>17} {'gamma=1 1-i/N':>14}")
    i = res["identities"]
    for k, n in enumerate(cfg.steps_list):
        p(f"{n:>5} {i['eta1_ours'][k]:>15.2e} {i['eta1_unshifted'][k]:>12.2e} {i['gamma1_ours'][k]:>17.2e} "
          f"{i['gamma1_unshifted'][k]:>14.2e}")
    p("")
    ok, bad = claim_clock(res, cfg)
    p("")
    p(f"CLAIM ours (Euler) <= both reference clocks at every N >= 14, main mixture (reconstruction and identities): "
      f"{'PASS' if ok else 'FAIL: ' + ', '.join(bad)}")
    ok_v, bad_v = claim_variants(res, cfg, "ours")
    p(f"CLAIM ours (Euler) <= both reference clocks at every N >= 14, other mixtures (reconstruction): "
      f"{'PASS' if ok_v else 'FAIL: ' + ', '.join(bad_v)}")
    ok_m, bad_m = claim_variants(res, cfg, "ours_mid")
    p(f"CLAIM ours (midpoint, same NFE) <= both reference clocks at every N >= 14, all mixtures: "
      f"{'PASS' if ok_m else 'FAIL: ' + ', '.join(bad_m)}")
    k28 = cfg.steps_list.index(28)
    p(f"   at N = 28: ours {r['ours'][k28]:.3e}, diffusers {r['diffusers'][k28]:.3e} "
      f"({r['diffusers'][k28] / r['ours'][k28]:.2f}x ours), model at i/(N+1) {r['model_clock'][k28]:.3e} "
      f"({r['model_clock'][k28] / r['ours'][k28]:.2f}x ours)")
    k = cfg.nfe_list.index(28)
    p(f"   at 28 NFE per direction: midpoint is {o['euler'][k] / o['midpoint'][k]:.1f}x more accurate than Euler")
    p("")
    gr = res["grid"]
    p(f"3. gamma x eta grid (28 steps, eta on [0, {gr['stop']}), class-A sources edited with the prompt 'class B').")
    p("   Faithfulness: layout kept = P(the source's layout | edit) (a random class-B image: ~0.33), and background")
    p(f"   RMS distance to the source (an unrelated class-B sample: {res['bg_unrelated']:.3f}). Editability: edit")
    p("   strength = how far the object moved along (B pattern - A pattern): 0 = unchanged, 1 = fully B.")
    head = " ".join(f"{e:>15}" for e in [f"eta={x:g}" for x in cfg.etas])
    p(f"{'':>10} {head}")
    for a, gamma in enumerate(cfg.gammas):
        cells = " ".join(
            f"{gr['layout'][a, b]:.2f}/{gr['bg'][a, b]:.2f}/{gr['strength'][a, b]:.2f}".rjust(15)
            for b in range(len(cfg.etas))
        )
        p(f"gamma={gamma:<4g} {cells}")
    p("   cell = layout kept / background RMS / edit strength")
    p("")
    s = res["sweep"]
    p("4. Stop-step sweep (28 steps, gamma 0.5, eta 0.9 on [0, stop))")
    p(f"{'stop':>5} {'layout kept':>12} {'background RMS':>15} {'edit strength':>14} {'P(class B)':>11}")
    for k, st in enumerate(s["stop"]):
        if cfg.quick and st > 12 and st % 4:
            continue
        p(f"{st:>5} {s['layout'][k]:>12.3f} {s['bg'][k]:>15.3f} {s['strength'][k]:>14.3f} {s['pb'][k]:>11.3f}")
    half_e = next((st for k, st in enumerate(s["stop"]) if s["strength"][k] < 0.5), None)
    half_l = next((st for k, st in enumerate(s["stop"]) if s["layout"][k] > 0.5 * (1 + s["layout"][0])), None)
    p(f"   layout kept passes halfway (between stop 0 and 1) at stop {half_l}; edit strength drops below 0.5 at "
      f"stop {half_e} (the paper's transition on Flux: near 4-5 of 28).")
    u = res["paper_unshifted"]
    k7 = s["stop"].index(7)
    p(f"   gamma 0.5, eta 0.9, stop 7: ours layout {s['layout'][k7]:.3f} / strength {s['strength'][k7]:.3f}; "
      f"'1 - i/N controller' clock layout {u['layout']:.3f} / strength {u['strength']:.3f}.")
    p("")
    p(f"5. SDE (Eq. 17) vs ODE (Eq. 15) editing, gamma 0.5, mean over {cfg.sde_seeds} noise seeds (+- std).")
    p(f"   Realism = NLL per dim under class B (true class-B samples: {res['nll_b_true']:.3f}; lower = more typical).")
    p(f"{'setting':>18} {'mode':>9} {'layout kept':>13} {'background RMS':>15} {'edit strength':>14} {'P(B)':>6} "
      f"{'NLL_B':>7}")
    for row in res["sde"]:
        name = f"eta {row['eta']} stop {row['stop']}"
        for label, key in (("ODE", "ode"), ("SDE", "sde"), ("SDE eta 0", "sde_eta0")):
            m = row[key]
            sd = row.get(key + "_std")
            pm = (lambda k: f"{m[k]:.3f}+-{sd[k]:.3f}") if sd else (lambda k: f"{m[k]:.3f}")
            p(f"{name if key == 'ode' else '':>18} {label:>9} {pm('layout'):>13} {pm('bg'):>15} {pm('strength'):>14} "
              f"{m['pb']:>6.3f} {m['nll']:>7.3f}")
    p("")
    for path in res.get("plots", []):
        p(f"wrote {path}")
    p(f"done in {elapsed:.1f} s (1 torch thread; {os.cpu_count()} CPUs; torch {torch.__version__}).")


def write_plots(res, cfg, out_dir: Path) -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = "_quick" if cfg.quick else ""
    paths = []

    def save(fig, name: str) -> None:
        fig.tight_layout()
        paths.append(out_dir / f"{name}{suffix}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)

    # Reconstruction vs steps, and Euler vs midpoint at equal NFE.
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    ax = axes[0]
    r = res["recon"]
    ax.loglog(cfg.steps_list, r["ours"], "o-", label="ours (model at the latent's sigma)")
    ax.loglog(cfg.steps_list, r["diffusers"], "s--", label="diffusers community invert()")
    ax.loglog(cfg.steps_list, r["model_clock"], "^--", label="our grid, model told i/(N+1)")
    ax.loglog(cfg.steps_list, r["ours_mid"], "d-", label="ours, midpoint (same NFE)")
    ax.axvline(14, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("model evaluations N each way (Euler: N steps)")
    ax.set_ylabel("relative L2 reconstruction error")
    ax.set_title("Round trip, gamma = eta = 0, Euler")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax = axes[1]
    o = res["orders"]
    ax.loglog(cfg.nfe_list, o["euler"], "o-", label="Euler (N = NFE steps)")
    ax.loglog(cfg.nfe_list, o["midpoint"], "s-", label="midpoint (N = NFE / 2 steps)")
    ax.set_xlabel("model evaluations per direction")
    ax.set_ylabel("relative L2 reconstruction error")
    ax.set_title("Euler vs midpoint at equal model evaluations")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    save(fig, "exact_reconstruction")

    # gamma x eta grid: faithfulness and editability heat maps.
    gr = res["grid"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, key, title, cmap in (
        (axes[0], "layout", "faithfulness: layout kept (higher = better)", "viridis"),
        (axes[1], "bg", "faithfulness: background RMS to source (lower = better)", "viridis_r"),
        (axes[2], "strength", "editability: edit strength (0 = A, 1 = B)", "magma"),
    ):
        im = ax.imshow(gr[key].numpy(), origin="lower", aspect="auto", cmap=cmap)
        ax.set_xticks(range(len(cfg.etas)), [f"{e:g}" for e in cfg.etas])
        ax.set_yticks(range(len(cfg.gammas)), [f"{g:g}" for g in cfg.gammas])
        ax.set_xlabel(f"eta (on steps [0, {gr['stop']}) of 28)")
        ax.set_ylabel("gamma")
        ax.set_title(title, fontsize=10)
        for a in range(len(cfg.gammas)):
            for b in range(len(cfg.etas)):
                ax.text(b, a, f"{gr[key][a, b]:.2f}", ha="center", va="center", fontsize=6, color="grey")
        fig.colorbar(im, ax=ax)
    save(fig, "exact_gamma_eta")

    # Stop-step sweep.
    s = res["sweep"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    ax.plot(s["stop"], s["strength"], "o-", label="edit strength (0 = A, 1 = B)")
    ax.plot(s["stop"], s["layout"], "s-", label="layout kept")
    ax.plot(s["stop"], [v / res["bg_unrelated"] for v in s["bg"]], "^-", label="background RMS / unrelated sample")
    ax.axvspan(4, 5, color="orange", alpha=0.15, label="paper's transition on Flux (4-5)")
    ax.set_xlabel("stop step (eta = 0.9 on [0, stop) of 28; gamma 0.5)")
    ax.set_title("Stop-step sweep")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    save(fig, "exact_stop_sweep")

    # SDE vs ODE.
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for row, marker in zip(res["sde"], ("o", "s")):
        lab = f"eta {row['eta']}, stop {row['stop']}"
        ax.scatter([row["ode"]["layout"]], [row["ode"]["strength"]], marker=marker, s=60, c="C0", label=f"ODE, {lab}")
        m, sd = row["sde"], row["sde_std"]
        ax.errorbar([m["layout"]], [m["strength"]], xerr=[sd["layout"]], yerr=[sd["strength"]], fmt=marker, c="C3",
                    ms=8, label=f"SDE, {lab}")
    m = res["sde"][0]["sde_eta0"]
    ax.scatter([m["layout"]], [m["strength"]], marker="x", s=60, c="k", label="SDE, eta 0 (no controller)")
    ax.set_xlabel("layout kept (higher = more faithful)")
    ax.set_ylabel("edit strength (0 = A, 1 = B)")
    ax.set_title(f"SDE vs ODE editing (gamma 0.5, {cfg.sde_seeds} noise seeds)")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    save(fig, "exact_sde_vs_ode")
    return [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small study (< 1 minute on a laptop CPU)")
    ap.add_argument("--out", default=None,
                    help="folder for the PNG plots (default: bench/_out/ with --quick, docs/ for the full study)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    cfg = Config.make(args.quick, args.seed)
    t0 = time.perf_counter()
    out = Path(args.out) if args.out else ROOT / ("bench/_out" if args.quick else "docs")
    res = run_study(cfg, out.resolve(), show_progress=not args.no_progress, plots=not args.no_plots)
    print_report(res, cfg, time.perf_counter() - t0)
    ok, _ = claim_clock(res, cfg)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
