"""The toy world's command line (run from the repository root).

    python bench/toyworld.py gates --seed 0                # the shipped weights: exit 0 on PASS, 1 on FAIL
    python bench/toyworld.py gates --seed 0 --random       # untrained seeded weights (must FAIL)
    python bench/toyworld.py eval --seed 1 --edits 60 --json bench/_out/eval.json   # the benchmark (ComfyUI)
    python bench/toyworld.py report bench/_out/eval.json   # its markdown tables
    python bench/toyworld.py ladder --out docs/scene_model_ladder.png   # RFEditLadder's rungs, a picture

Training is bench/toyworld_train.py; the gates' logic is bench/toyworld_gates.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # first: this file must not shadow the package

import toyworld_gates  # noqa: E402
from toyworld import weights  # noqa: E402


def gates(args) -> int:
    """Score the gates on the shipped (or given, or random) weights; 0 on PASS."""
    if args.random:
        net, text = toyworld_gates.random_model(args.seed)
        label = f"random weights, seed {args.seed}"
    else:
        net, text = weights.load(args.weights)
        label = f"{Path(args.weights).name}, seed {args.seed}"
    result = toyworld_gates.run_gates(net, text, seed=args.seed, n=args.n, steps=args.steps, cfg=args.cfg)
    print(toyworld_gates.report(result, label))
    if args.record:
        record(args.weights, ("random weights, " if args.random else "") + f"seed {args.seed}", result)
    return 0 if result["pass"] else 1


def record(path: Path, label: str, result: dict) -> None:
    """Add a gate result to the weights' manifest (under "gates", by label)."""
    manifest = json.loads(weights.manifest_path(path).read_text())
    if manifest.get("sha256") != weights.sha256(path):
        raise ValueError(f"{weights.manifest_path(path)} is not {path}'s manifest (sha256 differs): retrain or "
                         "rewrite it with bench/toyworld_train.py")
    manifest.setdefault("gates", {})[label] = result
    weights.manifest_path(path).write_text(json.dumps(manifest, indent=2) + "\n")


def evaluate(args) -> int:
    """Run the benchmark's options through ComfyUI's executor; print a line per option, write the JSON."""
    import toyworld_eval

    extra = {**toyworld_eval.sweep_options(), **toyworld_eval.question_options()}
    names = args.options.split(",") if args.options else [
        *toyworld_eval.OPTIONS, *(toyworld_eval.sweep_options() if args.sweep else ()),
        *(toyworld_eval.question_options() if args.questions else ())]
    results = toyworld_eval.evaluate(args.seed, args.edits, names, extra, weights=args.weights)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"seed": args.seed, "edits": args.edits, "options": results}, indent=1) + "\n")
    return 0 if toyworld_eval.finite(results) else 1


def pictures(args) -> int:
    """The picture grid (--per-kind edits of each kind, each option) and, from an eval JSON, the frontier plot."""
    import toyworld_eval
    import toyworld_plots

    names = args.options.split(",")
    print(toyworld_eval.pictures(args.seed, names, args.out, weights=args.weights, per_kind=args.per_kind))
    if args.frontier_json:
        results = {k: v for path in args.frontier_json for k, v in json.loads(path.read_text())["options"].items()}
        marked = args.marked.split(",") if args.marked else None
        print(toyworld_plots.frontier(results, args.out.with_name(args.out.stem + "_frontier.png"),
                                      **({"marked": marked} if marked else {})))
    return 0


def ladder(args) -> int:
    """RFEditLadder's rungs on the scene model, one edit of each kind (bench/toyworld_ladder.py)."""
    import toyworld_ladder

    print(toyworld_ladder.picture(args.seed, args.out, args.rungs, weights=args.weights))
    return 0


def report(args) -> int:
    """Markdown tables of an eval JSON (bench/toyworld_report.py)."""
    import toyworld_report

    results = json.loads(args.json.read_text())["options"]
    print(toyworld_report.report(results, args.options.split(",") if args.options else None))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gates", help="sample held-out captions and check every attribute gate (>= 0.90)")
    g.add_argument("--seed", type=int, default=0, help="draws the held-out captions and the noise")
    g.add_argument("--weights", type=Path, default=weights.WEIGHTS)
    g.add_argument("--random", action="store_true", help="untrained seeded random weights instead")
    g.add_argument("--n", type=int, default=100, help="how many held-out captions")
    g.add_argument("--steps", type=int, default=28)
    g.add_argument("--cfg", type=float, default=3.0)
    g.add_argument("--record", action="store_true", help="add the result to the weights' manifest")
    g.set_defaults(run=gates)
    e = sub.add_parser("eval", help="the benchmark: every option of the edit on a fresh test set (needs ComfyUI)")
    e.add_argument("--seed", type=int, default=1, help="draws the test set of edits")
    e.add_argument("--edits", type=int, default=60, help="how many edits (balanced over the edit kinds)")
    e.add_argument("--json", type=Path, help="write the results here")
    e.add_argument("--options", default="", help="comma-separated option names, the sweep's and the questions' "
                   "included (default: the main options, and --sweep's and --questions' when given)")
    e.add_argument("--sweep", action="store_true", help="add the (eta, stop_step, gamma) grid for the frontier")
    e.add_argument("--questions", action="store_true", help="add the settings users ask about (steps, shift, cfg)")
    e.add_argument("--weights", type=Path, default=weights.WEIGHTS)
    e.set_defaults(run=evaluate)
    f = sub.add_parser("pictures", help="a grid of real edits per option, and the frontier plot of an eval JSON")
    f.add_argument("--seed", type=int, default=7)
    f.add_argument("--options", default="paper,fireflow_10_stop3,region_mask")
    f.add_argument("--out", type=Path, default=Path("bench/_out/toyworld_edits.png"))
    f.add_argument("--per-kind", type=int, default=2, help="edits of each kind, one row each (default 2)")
    f.add_argument("--frontier-json", type=Path, nargs="+",
                   help="eval JSONs, one with --sweep: also draw <out>_frontier.png")
    f.add_argument("--marked", default="", help="comma-separated options to mark on the frontier (default: the main)")
    f.add_argument("--weights", type=Path, default=weights.WEIGHTS)
    f.set_defaults(run=pictures)
    d = sub.add_parser("ladder", help="a picture of RFEditLadder's stop_step rungs, one edit of each kind")
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--rungs", type=int, default=7)
    d.add_argument("--out", type=Path, default=Path("bench/_out/toyworld_ladder.png"))
    d.add_argument("--weights", type=Path, default=weights.WEIGHTS)
    d.set_defaults(run=ladder)
    r = sub.add_parser("report", help="markdown tables of an eval JSON")
    r.add_argument("json", type=Path)
    r.add_argument("--options", default="", help="comma-separated option names (default: all but the sweep)")
    r.set_defaults(run=report)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    torch.set_num_threads(1)  # tiny tensors: on the shared 2-core machine a second intra-op thread only adds contention
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
