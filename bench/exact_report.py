"""The exact-model study's report: the tables it prints and its claims as PASS / FAIL lines."""

from __future__ import annotations

import os

import torch

from exact_data import CLASS_A, CLASS_B, EVENT, LAYOUTS, MU
from exact_report_orders import print_orders


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
    print_orders(res, cfg, p)
    p("")
    for path in res.get("plots", []):
        p(f"wrote {path}")
    p(f"done in {elapsed:.1f} s (1 torch thread; {os.cpu_count()} CPUs; torch {torch.__version__}).")
