"""Markdown tables of a toy-world eval JSON (bench/toyworld.py eval --json): one row per option over all edits,
and one row per edit kind for chosen options. docs/benchmarks.md's scene-model tables are printed by this."""

from __future__ import annotations

COLUMNS = (("gt_psnr", "PSNR to truth (dB)"), ("bg_psnr", "PSNR outside (dB)"), ("success", "success"),
           ("unchanged", "unchanged"), ("rec_psnr", "round trip (dB)"), ("nfe", "evaluations"))


def _cell(metric: str, value: float) -> str:
    if metric in ("success", "unchanged"):
        return f"{value:.2f}"
    return f"{value:.0f}" if metric == "nfe" else f"{value:.1f}"


def options_table(results: dict, names: list[str]) -> str:
    """Each option's means over all edits."""
    lines = ["| option | " + " | ".join(t for _, t in COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name in names:
        row = results[name]["all"]
        lines.append(f"| {name} | " + " | ".join(_cell(m, row[m]) for m, _ in COLUMNS) + " |")
    return "\n".join(lines)


def kinds_table(results: dict, names: list[str], metric: str = "gt_psnr") -> str:
    """One metric per edit kind (columns) for each option (rows)."""
    kinds = [k for k in results[names[0]] if k != "all"]
    lines = ["| option | " + " | ".join(kinds) + " | all |", "|---" * (len(kinds) + 2) + "|"]
    for name in names:
        cells = [_cell(metric, results[name][k][metric]) for k in (*kinds, "all")]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(results: dict, names: list[str] | None = None) -> str:
    """The options table, then gt_psnr and success per kind."""
    names = names or [n for n in results if not n.startswith("sweep_")]
    return "\n\n".join((options_table(results, names), kinds_table(results, names, "gt_psnr"),
                        kinds_table(results, names, "success")))
