"""Section 6 of the exact-model study (issue 12): the solvers of rf_core.ORDERS at EQUAL model evaluations, on the
study's mixture and on every robustness mixture, through rf_core.invert / rf_core.edit (what the nodes call).

  6a. reconstruction (gamma = eta = 0) against model evaluations per direction, 10 to 60;
  6b. the edit at the paper's setting (gamma 0.5, eta 0.9, the eta window up to the noise level where Euler's stop
      7 of 28 ends it) at each of those costs, and fireflow 10 + 10 (22 evaluations) against Euler 28 + 28 (56);
  6c. the faithfulness-editability frontier over (eta, stop) of fireflow 10 + 10 against Euler 28 + 28;
  6d. 6b and 6c with the exact controller step (integrating factor, exact_controller.py) as an option (the
      frontier on the study's mixture only).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from exact_controller import edit_exact, invert_exact
from exact_data import CLASS_A, CLASS_B, MU, Dataset, make_dataset, measure, rel_err
from grids import flux_sigmas
from rf_core import ORDERS, edit, invert, seeded_noise

GAMMA, ETA = 0.5, 0.9  # the paper's edit setting (with Euler's stop 7 of 28)
EULER_STEPS, EULER_STOP = 28, 7
FAST_STEPS = 10  # fireflow 10 + 10: 11 + 11 = 22 model evaluations
LEVELS = [k / 100 for k in range(101)]  # edit-strength levels at which the frontiers are compared
VARIANTS = ("rf_core", "exact_reverse", "exact")  # the controller step: rf_core's; exact in the edit; exact in both


def steps_for(order: str, nfe: int):
    """The step count at which `order` takes nfe model evaluations per direction (None where it cannot)."""
    if order == "euler":
        return nfe
    if order == "midpoint":
        return nfe // 2 if nfe % 2 == 0 else None
    return nfe - 1  # fireflow: N + 1


def nfe_of(order: str, steps: int) -> int:
    return {"euler": steps, "midpoint": 2 * steps, "fireflow": steps + 1}[order]


def paper_sigma() -> float:
    """The noise level where the paper setting's eta window ends: sigma_7 of the 28-step grid."""
    return float(flux_sigmas(EULER_STEPS, MU)[EULER_STOP])


def window_stop(steps: int) -> int:
    """The stop step whose noise level is nearest to paper_sigma() on a grid of `steps` steps."""
    sig = flux_sigmas(steps, MU)
    return min(range(1, steps + 1), key=lambda k: abs(float(sig[k]) - paper_sigma()))


def window_stops(steps: int) -> list:
    """The one or two stop steps whose noise levels bracket paper_sigma() (one where a step lands on it)."""
    sig = [float(s) for s in flux_sigmas(steps, MU)]
    k = next(k for k in range(1, steps + 1) if sig[k] <= paper_sigma() + 1e-7)
    return [k] if abs(sig[k] - paper_sigma()) < 1e-6 else [k - 1, k]


@dataclass
class Mixture:
    name: str
    ds: Dataset
    y0: torch.Tensor  # class-A sources
    y1: torch.Tensor  # the inversion's target noise


def make_mixture(name: str, seed: int, batch: int, var_range=(0.3, 0.6)) -> Mixture:
    """A dataset with its sources and target noise, drawn as the rest of the study draws them."""
    ds = make_dataset(seed, var_range)
    y0 = ds.gm.sample(batch, torch.Generator().manual_seed(seed + 1), CLASS_A)
    return Mixture(name, ds, y0, seeded_noise(seed + 2, tuple(y0.shape)))


def roundtrip(null, y0, y1, order: str, steps: int) -> torch.Tensor:
    """gamma = eta = 0: invert with the null prompt, sample back; the reconstruction of y0."""
    sig = flux_sigmas(steps, MU)
    y = invert(null, y0, sig, y1, gamma=0.0, order=order)
    return edit(null, y, y0, sig, eta=0.0, stop_step=1, order=order)


def inverted(mix: Mixture, order: str, steps: int, variant: str = "rf_core") -> torch.Tensor:
    """The gamma 0.5 inversion of the sources with the null prompt."""
    sig, null = flux_sigmas(steps, MU), mix.ds.gm.field(None)
    if variant == "exact":
        return invert_exact(null, mix.y0, sig, mix.y1, gamma=GAMMA, order=order)
    return invert(null, mix.y0, sig, mix.y1, gamma=GAMMA, order=order)


def edited(mix: Mixture, z, order: str, steps: int, eta: float, stop: int, variant: str = "rf_core") -> dict:
    """The class-B edit of the inverted sources z, eta on [0, stop) (stop 0: no controller), measured."""
    sig, prompt = flux_sigmas(steps, MU), mix.ds.gm.field(CLASS_B)
    eta, stop = (eta, stop) if stop > 0 else (0.0, 1)
    if variant == "rf_core":
        x = edit(prompt, z, mix.y0, sig, eta=eta, stop_step=stop, order=order)
    else:
        x = edit_exact(prompt, z, mix.y0, sig, eta=eta, stop_step=stop, order=order)
    return measure(mix.ds, x, mix.y0)


def frontier_points(mix: Mixture, order: str, steps: int, etas, variant: str = "rf_core", bar=None) -> list:
    """Every (eta, stop) edit on `steps` steps: [{"eta", "stop", measures...}]; stop 0 is the free edit."""
    z = inverted(mix, order, steps, variant)
    points = [dict(eta=0.0, stop=0, **edited(mix, z, order, steps, 0.0, 0, variant))]
    for eta in etas:
        for stop in range(1, steps + 1):
            points.append(dict(eta=eta, stop=stop, **edited(mix, z, order, steps, eta, stop, variant)))
        if bar is not None:
            bar.step(f"frontier {mix.name} {order} {steps} {variant} eta={eta}")
    return points


def frontier(points) -> list:
    """F(e): the best layout kept among the settings whose edit strength is at least e (None where none reaches e)."""
    return [max((p["layout"] for p in points if p["strength"] >= e), default=None) for e in LEVELS]


def frontier_gap(ref: list, new: list) -> tuple[float, list]:
    """(largest shortfall of new below ref over the levels ref reaches, the levels where new is above ref by > 0.01).
    A level that ref reaches and new does not counts as a shortfall of ref's whole value."""
    worst, better = 0.0, []
    for e, a, b in zip(LEVELS, ref, new):
        if a is None:
            continue
        worst = max(worst, a - (b if b is not None else 0.0))
        if b is not None and b > a + 0.01:
            better.append(e)
    return worst, better


def frontier_eps(ref_points, new_points) -> float:
    """The additive epsilon indicator: the smallest d such that every (eta, stop) edit of ref is matched by one of
    new to within d in layout kept AND in edit strength (0 = new's frontier reaches ref's everywhere)."""
    return max(min(max(r["layout"] - n["layout"], r["strength"] - n["strength"]) for n in new_points)
               for r in ref_points)


def ranges(levels: list) -> str:
    """[0.1, 0.11, 0.12, 0.5] -> '0.10-0.12, 0.50'."""
    if not levels:
        return "nowhere"
    out, start, prev = [], levels[0], levels[0]
    for e in levels[1:] + [None]:
        if e is not None and abs(e - prev - 0.01) < 1e-9:
            prev = e
            continue
        out.append(f"{start:.2f}" if start == prev else f"{start:.2f}-{prev:.2f}")
        if e is not None:
            start = prev = e
    return ", ".join(out)


def run_orders(cfg, mixtures: list, bar) -> dict:
    """Section 6 on each mixture: {name: {"recon", "edit", "target", "frontier"}}."""
    out = {}
    for mix in mixtures:
        null = mix.ds.gm.field(None)
        row = {"recon": {o: [] for o in ORDERS}, "edit": {o: [] for o in ORDERS}}
        for nfe in cfg.order_nfe:
            for order in ORDERS:
                steps = steps_for(order, nfe)
                if steps is None:
                    continue
                row["recon"][order].append((nfe, rel_err(roundtrip(null, mix.y0, mix.y1, order, steps), mix.y0)))
                stop = window_stop(steps)
                m = edited(mix, inverted(mix, order, steps), order, steps, ETA, stop)
                row["edit"][order].append(dict(nfe=nfe, steps=steps, stop=stop, **m))
                bar.step(f"orders {mix.name} NFE={nfe} {order}")
        target = {"recon_euler": rel_err(roundtrip(null, mix.y0, mix.y1, "euler", EULER_STEPS), mix.y0),
                  "recon_fireflow": rel_err(roundtrip(null, mix.y0, mix.y1, "fireflow", FAST_STEPS), mix.y0)}
        for variant in VARIANTS:
            z28, z10 = inverted(mix, "euler", EULER_STEPS, variant), inverted(mix, "fireflow", FAST_STEPS, variant)
            target[("euler", variant)] = edited(mix, z28, "euler", EULER_STEPS, ETA, EULER_STOP, variant)
            for stop in window_stops(FAST_STEPS):
                target[("fireflow", variant, stop)] = edited(mix, z10, "fireflow", FAST_STEPS, ETA, stop, variant)
        bar.step(f"orders {mix.name} targets")
        row["target"] = target
        runs = [("euler", EULER_STEPS, "rf_core"), ("euler", FAST_STEPS + 1, "rf_core")]  # 56 and 22 evaluations
        runs += [("fireflow", FAST_STEPS, v) for v in (VARIANTS if mix is mixtures[0] else VARIANTS[:1])]
        row["frontier"] = {r: frontier_points(mix, *r[:2], cfg.frontier_etas, r[2], bar) for r in runs}
        out[mix.name] = row
    return out


def progress_units(cfg, n_mixtures: int) -> int:
    per_nfe = sum(steps_for(o, n) is not None for n in cfg.order_nfe for o in ORDERS)
    return n_mixtures * (per_nfe + 1 + 3 * len(cfg.frontier_etas)) + (len(VARIANTS) - 1) * len(cfg.frontier_etas)
