"""RF-Inversion on an exact model: a Gaussian-mixture "dataset" whose velocity E[eps - x0 | x_sigma] is closed form.

Every error measured here is the solver's or the method's, never a network's. The study drives the very rf_core
functions the nodes call (rf_core.invert / rf_core.edit on one Flux-shifted sampling grid) and prints:

  1. reconstruction (gamma = eta = 0 round trip) against steps: our sigma clock vs two reference clocks taken
     from published implementations (re-implemented in exact_clocks.py, bench only), and Euler vs midpoint at
     EQUAL model evaluations;
  2. the controller identities (eta = 1 returns the source, gamma = 1 lands on y1) for our clock vs the
     "1 - i/N in the controller" clock;
  3. the gamma x eta grid: faithfulness vs editability for an edit from class A to class B;
  4. the stop-step sweep at 28 steps, eta 0.9 (the paper's phase transition);
  5. SDE (Eq. 17) vs ODE (Eq. 15) editing, averaged over noise seeds;
  6. euler, midpoint and fireflow at equal model evaluations on every mixture, and issue 12's targets for
     fireflow 10 + 10 against Euler 28 + 28 (exact_orders.py), with the exact controller step as an option;

and writes PNG plots. Run from the repository root:

    python bench/exact_study.py --quick      # < 1 minute on a laptop CPU, no model download; bench/_out/*.png
    python bench/exact_study.py              # the full study (about 10 minutes on a 2-vCPU VM); docs/*.png

The modules: exact_data.py (the dataset and the measures), exact_study.py (this file: the experiments of sections
1-5 and the command line), exact_orders.py (section 6), exact_report.py / exact_report_orders.py (the tables and
PASS / FAIL lines), exact_plots.py (the figures). The exit status is 0 when the clock claim on the study's mixture
and the three targets of section 6 pass.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exact_clocks import (  # noqa: E402
    diffusers_invert,
    model_clock_invert,
    unshifted_controller_edit,
    unshifted_controller_invert,
)
from exact_data import CLASS_B, METRICS, MU, ROOT, background_rms, component_flips, measure, nll_b, rel_err  # noqa: E402
from exact_orders import make_mixture, progress_units, roundtrip, run_orders, steps_for  # noqa: E402
from exact_plots import write_plots  # noqa: E402
from exact_report import claim_clock, print_report  # noqa: E402
from exact_report_orders import claims  # noqa: E402
from grids import flux_sigmas  # noqa: E402
from rf_core import edit, invert, step_noise  # noqa: E402

try:
    from tqdm import tqdm
except ImportError:  # the study still runs, without a bar
    tqdm = None


# ----------------------------------------------------------------------------------------------------------------
# The study


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
    order_nfe: list  # section 6: model evaluations per direction at which the three orders are compared
    frontier_etas: list  # section 6c: the etas of the (eta, stop) frontier
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
                       [0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.25, 0.5, 0.7, 0.9, 1.0], 4, seed,
                       [10, 11, 14, 20, 28, 40, 56], [0.7, 0.9, 1.0])
        return cls(False, 128, [8, 10, 14, 20, 28, 40, 56, 80, 112, 160, 224],
                   [8, 14, 20, 28, 40, 56, 80, 112, 160, 224],
                   [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9, 1.0],
                   [0.0, 0.1, 0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 16, seed,
                   [10, 11, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 60], [0.5, 0.7, 0.8, 0.9, 1.0])


def run_study(cfg: Config, out_dir: Path, show_progress: bool = True, plots: bool = True) -> dict:
    torch.set_grad_enabled(False)
    torch.set_num_threads(1)  # tensors of ~50k elements: a thread pool only adds overhead (13x on a 2-core VM)
    main = make_mixture("main", cfg.seed, cfg.batch)  # class-A sources, one fixed Gaussian target for the inversion
    others = [make_mixture(name, seed, cfg.batch, vr) for name, seed, vr in cfg.variants]
    ds, y0, y1 = main.ds, main.y0, main.y1
    gm = ds.gm
    shape = tuple(y0.shape)
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
        + progress_units(cfg, 1 + len(others))  # section 6
    )
    bar = Progress(total, show_progress)
    res: dict = {"config": cfg, "batch": cfg.batch}

    # 1. Reconstruction vs steps: three clocks (Euler).
    recon = {"ours": [], "diffusers": [], "model_clock": [], "ours_mid": [], "flips": [], "flips_mid": []}
    for n in cfg.steps_list:
        sig = flux_sigmas(n, MU)
        x = roundtrip(null, y0, y1, "midpoint", n // 2)  # the same n model evaluations each way
        recon["ours_mid"].append(rel_err(x, y0))
        recon["flips_mid"].append(component_flips(ds, x, y0))
        x = roundtrip(null, y0, y1, "euler", n)
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
        for order in order_cmp:
            order_cmp[order].append(rel_err(roundtrip(null, y0, y1, order, steps_for(order, nfe)), y0))
            bar.step(f"euler/midpoint NFE={nfe}")
    res["orders"] = order_cmp

    # 1c. The same clock comparison on other datasets (robustness: the claim must not hinge on one mixture).
    variants = []
    for mix in others:
        fv, sv, y1v = mix.ds.gm.field(None), mix.y0, mix.y1
        row = {"name": mix.name, "ours": [], "diffusers": [], "model_clock": [], "ours_mid": []}
        for n in cfg.variant_steps:
            sig = flux_sigmas(n, MU)
            row["ours_mid"].append(rel_err(roundtrip(fv, sv, y1v, "midpoint", n // 2), sv))
            for key, inv in (("ours", None), ("diffusers", diffusers_invert), ("model_clock", model_clock_invert)):
                y = invert(fv, sv, sig, y1v, gamma=0.0) if inv is None else inv(fv, sv, sig, y1v)
                row[key].append(rel_err(edit(fv, y, sv, sig, eta=0.0, stop_step=1), sv))
                bar.step(f"variant {mix.name} N={n}")
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
                ns = step_noise(base + k, shape)
                x = edit(prompt_b, y_half, y0, sig28, eta=e, stop_step=stop_s, mode="sde", noise_sampler=ns)
                vals.append(measure(ds, x, y0))
                bar.step(f"SDE eta={e} seed={k}")
            t = {m: torch.tensor([v[m] for v in vals], dtype=torch.float64) for m in METRICS}
            row[key] = {m: float(t[m].mean()) for m in METRICS}
            row[key + "_std"] = {m: float(t[m].std()) if len(vals) > 1 else 0.0 for m in METRICS}
        sde.append(row)
    res["sde"] = sde

    # 6. The three orders at equal model evaluations, fireflow 10 + 10 against Euler 28 + 28 (exact_orders.py).
    res["orders6"] = run_orders(cfg, [main, *others], bar)
    bar.close()

    if plots:
        res["plots"] = write_plots(res, cfg, out_dir)
    return res


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
    return 0 if ok and claims(res) else 1


if __name__ == "__main__":
    sys.exit(main())
