"""The exact-model study's plots (PNG, matplotlib's Agg backend): what bench/exact_study.py writes to docs/."""

from __future__ import annotations

from pathlib import Path

from exact_data import ROOT
from exact_orders import EULER_STEPS, EULER_STOP, FAST_STEPS, LEVELS, frontier, nfe_of, paper_sigma
from rf_core import ORDERS


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

    plot_orders(plt, res, save)
    plot_frontier(plt, res, save)
    return [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths]


STYLE = {"euler": ("C0", "o"), "midpoint": ("C1", "s"), "fireflow": ("C3", "d")}


def plot_orders(plt, res, save) -> None:
    """Section 6: reconstruction against model evaluations on every mixture, and the paper-setting edit."""
    o6 = res["orders6"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    ax = axes[0]
    for name, row in o6.items():
        main = name == "main"
        for order in ORDERS:
            nfe, err = zip(*row["recon"][order])
            c, m = STYLE[order]
            ax.loglog(nfe, err, m + "-" if main else ":", color=c, lw=1.6 if main else 0.8, ms=4 if main else 0,
                      label=order if main else None)
    t = o6["main"]["target"]
    ax.scatter([FAST_STEPS + 1], [t["recon_fireflow"]], s=120, facecolors="none", edgecolors="k",
               label=f"fireflow {FAST_STEPS} + {FAST_STEPS} (22 evaluations)")
    ax.axhline(t["recon_euler"], color="C0", ls="--", lw=0.8, label=f"euler {EULER_STEPS} + {EULER_STEPS} (56)")
    ax.set_xlabel("model evaluations per direction")
    ax.set_ylabel("relative L2 reconstruction error")
    ax.set_title("Round trip, gamma = eta = 0 (dotted: robustness mixtures)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ref = o6["main"]["target"][("euler", "rf_core")]
    for ax, key, title in ((axes[1], "layout", "layout kept"), (axes[2], "bg", "background RMS")):
        for order in ORDERS:
            rows = o6["main"]["edit"][order]
            c, m = STYLE[order]
            ax.plot([r["nfe"] for r in rows], [r[key] for r in rows], m + "-", color=c, label=order)
        ax.axhline(ref[key], color="k", ls="--", lw=0.8, label=f"euler {EULER_STEPS}, stop {EULER_STOP}")
        ax.set_xscale("log")
        ax.set_xlabel("model evaluations per direction")
        ax.set_title(f"Edit, eta 0.9 down to sigma {paper_sigma():.3f}: {title}", fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    save(fig, "exact_orders")


def plot_frontier(plt, res, save) -> None:
    """Section 6c: every (eta, stop) edit of the study's mixture, layout kept against edit strength, with the fronts."""
    fig, ax = plt.subplots(figsize=(7.5, 5))
    runs = res["orders6"]["main"]["frontier"]
    colors = {("euler", EULER_STEPS): "C0", ("euler", FAST_STEPS + 1): "C2", ("fireflow", FAST_STEPS): "C3"}
    for (order, steps, variant), points in runs.items():
        if variant != "rf_core":
            continue
        c = colors[(order, steps)]
        label = f"{order} {steps} + {steps} ({nfe_of(order, steps) * 2} evaluations)"
        ax.scatter([p["strength"] for p in points], [p["layout"] for p in points], s=6, color=c, alpha=0.35)
        f = frontier(points)
        ax.step([e for e, v in zip(LEVELS, f) if v is not None], [v for v in f if v is not None], where="post",
                color=c, lw=1.6, label=label)
    ax.set_xlabel("edit strength (0 = A, 1 = B)")
    ax.set_ylabel("layout kept")
    ax.set_xlim(0.4, 1.0)
    ax.set_title("Faithfulness-editability frontier over (eta, stop), gamma 0.5", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    save(fig, "exact_frontier")
