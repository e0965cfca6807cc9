"""Writes README.md's table of model families from the model matrix's records of full runs.

    python tests/build_family_table.py

reads every tests/_artifacts/model_matrix-<ComfyUI version>.json (written by a full run of
tests/test_model_matrix.py on that version: run it on each version CI tests first) and rewrites README.md between
the two MARKERS lines: one row per family of the zoo, its ComfyUI config class, the ComfyUI versions it is present
on and was run on, the checks it passed there, and the zoo's notes; then, per version, the rectified-flow configs
of that ComfyUI that no row covers (none, when the zoo is complete). A check that failed is not listed as checked:
the row says which failed where. tests/test_readme_family_table.py checks the table against the zoo and against what
the matrix collects, so the README lists nothing that no test runs.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
README = TESTS.parent / "README.md"
ARTIFACTS = TESTS / "_artifacts"
MARKERS = ("<!-- model-families:start -->", "<!-- model-families:end -->")

# The matrix's checks: test function -> (the name its record uses, the README's label), in the README's order.
CHECKS = {
    "test_round_trip_error_falls_with_steps": ("round_trip", "round trip"),
    "test_eta_one_returns_the_reference": ("eta_one", "eta 1"),
    "test_mask_keeps_the_outside_and_edits_the_inside": ("mask", "mask"),
    "test_noise_mask_is_the_same_mask": ("noise_mask", "noise_mask"),
    "test_output_is_finite_and_keeps_the_latent_format": ("format", "format"),
    "test_gamma_one_lands_on_the_noise_the_model_samples_from": ("gamma_one", "gamma 1"),
    "test_cfg_with_a_negative_prompt": ("cfg", "cfg"),
    "test_guidance_input_leaves_models_without_an_embedding_alone": ("guidance_ignored", "guidance ignored"),
    "test_aligned_round_trip_returns_the_source": ("align", "align exact"),
    "test_levers_keep_eta_one_and_the_mask": ("levers", "levers keep eta 1 and mask"),
    "test_flowedit_keeps_the_source_with_its_prompt_and_edits_with_another": ("flowedit", "FlowEdit"),
    "test_wan22_a14b_switches_experts_at_the_boundary": ("experts", "two experts"),
    "test_non_rectified_flow_family_is_refused_by_name": ("refused", "refused by name"),
}
LABEL = dict(CHECKS.values())

INTRO = """## Model families

Each family below is built tiny (seeded random weights) through ComfyUI's own config and model classes (the
`config` column: its class in `comfy.supported_models`) with the conditioning its ComfyUI nodes give it, and run
through the pack's nodes by ComfyUI's executor, on each ComfyUI version named (`tests/test_model_matrix.py`);
the table is generated from those runs by `tests/build_family_table.py`. Every rectified-flow config of those
ComfyUI versions is a row, checked or refused by name (the line under the table says which configs, if any, are
not).
Checks: **round trip** (gamma = eta = 0 reconstructs, the error falling with steps), **eta 1** (returns the
source), **mask** (keeps the outside, per frame for video), **noise_mask** (SetLatentNoiseMask on the source
edits as the mask input does), **format** (finite, the latent's shape, dtype and keys), **gamma 1** (lands on
the noise the model samples from, its noise_scale included), **cfg** (cfg 3 with a negative prompt, for
true-CFG families), **guidance ignored** (the guidance input leaves models without a guidance embedding alone),
**align exact** (with `align`, the same prompt both ways and eta 0, the round trip returns the source to float
precision at gamma 0 and 0.5), **levers keep eta 1 and mask** (with align on, eta 1 still
returns the source and a mask still keeps the outside), **FlowEdit** (the source prompt both ways keeps the source,
another edits, at 2 n_avg (n_max - n_min) + n_min evaluations), **two experts** (each step on the expert of its
sigma), **refused by name** (a family the pack cannot run says so, naming the model and why).
"""


def load_runs(paths, record: str = "model_matrix", test: str = "tests/test_model_matrix.py") -> dict[str, dict]:
    """version -> the record of a full run of `test`; a run of a selection (-k, a test id) is refused."""
    runs = {}
    for path in paths:
        data = json.loads(Path(path).read_text())
        args = [str(a) for a in data.get("pytest_args", [])]
        if any(a in ("-k", "--deselect", "--lf", "--last-failed") or "::" in a for a in args):
            raise SystemExit(f"{path} records a selection ({' '.join(args)}): run the whole of {test} on "
                             f"ComfyUI {data['comfyui_version']} first.")
        runs[data["comfyui_version"]] = data
    if not runs:
        raise SystemExit(f"no {ARTIFACTS}/{record}-*.json: run {test} on each ComfyUI version.")
    return runs


def version_key(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"[.]", v))


def rows(runs: dict[str, dict]) -> list[dict]:
    """One row per zoo family (the zoo's order): the versions it is present on, checks passed, failures, notes."""
    versions = sorted(runs, key=version_key)
    order = [f["family"] for f in runs[versions[-1]]["families"]]
    out = []
    for name in order:
        per_version = {v: next((f for f in runs[v]["families"] if f["family"] == name), None) for v in versions}
        present = [v for v, f in per_version.items() if f is not None and f["present"]]
        passed, failed = {}, {}
        for v in present:
            for check, result in per_version[v]["checks"].items():
                (passed if result["outcome"] == "passed" else failed).setdefault(check, []).append(v)
        spec = next(f for f in per_version.values() if f is not None)
        out.append({"family": name, "config": spec.get("config", ""), "versions": present, "passed": passed,
                    "failed": failed, "notes": spec["notes"]})
    return out


def checked_cell(row: dict) -> str:
    labels = []
    for record_name, label in CHECKS.values():
        on = row["passed"].get(record_name)
        if on:
            labels.append(label if on == row["versions"] else f"{label} ({', '.join(on)})")
    return ", ".join(labels)


def notes_cell(row: dict) -> str:
    fails = [f"FAILS {LABEL.get(c, c)} on {', '.join(v)}" for c, v in row["failed"].items()]
    return "; ".join(fails + ([row["notes"]] if row["notes"] else [])).replace("|", "/")


def uncovered_line(runs: dict[str, dict]) -> str:
    """Per version, the rectified-flow configs of that ComfyUI that no family of the zoo builds."""
    parts = [f"{v}: {', '.join(runs[v].get('rectified_flow_configs_not_in_zoo', [])) or 'none'}"
             for v in sorted(runs, key=version_key)]
    return "Rectified-flow configs of ComfyUI not in this table (" + "; ".join(parts) + ")."


def table(runs: dict[str, dict]) -> str:
    lines = [INTRO, "| family | config | ComfyUI | checked | notes |", "|---|---|---|---|---|"]
    for row in rows(runs):
        versions = ", ".join(row["versions"]) or "none (not in these versions)"
        cells = [row["family"], f"`{row['config']}`", versions, checked_cell(row), notes_cell(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + uncovered_line(runs) + "\n"


def body_rows(readme: str, markers, width: int):
    """The cells of each body row of the table between markers that has `width` columns."""
    start, end = readme.index(markers[0]), readme.index(markers[1])
    for line in readme[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == width and not set(cells[0]) <= {"-"} and line.startswith("|"):
            yield cells


def parse_table(readme: str) -> dict[str, dict]:
    """The README's table: family -> {"config", "versions": [...], "checked": {label: versions or None (all)},
    "notes"}."""
    start, end = readme.index(MARKERS[0]), readme.index(MARKERS[1])
    out = {}
    for line in readme[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("family", "---"):
            continue
        family, config, cells = cells[0], cells[1].strip("`"), cells[:1] + cells[2:]
        versions = [] if cells[1].startswith("none") else [v.strip() for v in cells[1].split(",")]
        checked = {}
        for item in filter(None, re.split(r",\s*(?![^()]*\))", cells[2])):
            m = re.fullmatch(r"(.+?)(?: \((.+)\))?", item.strip())
            checked[m.group(1)] = None if m.group(2) is None else [v.strip() for v in m.group(2).split(",")]
        out[family] = {"config": config, "versions": versions, "checked": checked, "notes": cells[3]}
    return out


def parse_uncovered(readme: str) -> dict[str, list[str]]:
    """The line under the table: version -> the configs it names (empty for none)."""
    start, end = readme.index(MARKERS[0]), readme.index(MARKERS[1])
    m = re.search(r"Rectified-flow configs of ComfyUI not in this table \((.*)\)\.", readme[start:end])
    out = {}
    for part in m.group(1).split("; ") if m else []:
        version, names = part.split(": ", 1)
        out[version] = [] if names == "none" else names.split(", ")
    return out


def rewrite(readme: str, block: str, markers=MARKERS) -> str:
    start, end = readme.index(markers[0]), readme.index(markers[1])
    return readme[: start + len(markers[0])] + "\n" + block + readme[end:]


def main(argv=None) -> int:
    paths = sorted(ARTIFACTS.glob("model_matrix-*.json"))
    runs = load_runs(paths)
    README.write_text(rewrite(README.read_text(), table(runs)))
    print(f"README.md: {len(rows(runs))} families from ComfyUI {', '.join(sorted(runs, key=version_key))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
