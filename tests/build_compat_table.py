"""Writes README.md's compatibility table from the compatibility matrix's records of full runs.

    python tests/build_compat_table.py

reads every tests/_artifacts/compat-<ComfyUI version>.json (written by a full run of tests/test_compat.py on that
version: run it on each version CI tests first) and rewrites README.md between the two MARKERS lines: one row per
entry of tests/support/compat_inventory.py, the versions whose run passed its test, the outcome the test decided,
and what a user should know (with the cache measurements of the newest version's run). An entry whose test
failed somewhere says so. tests/test_readme_compat_table.py checks the table against the inventory.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS / "support"))

import build_family_table as family_table  # noqa: E402
from compat_inventory import INVENTORY  # noqa: E402

README = family_table.README
ARTIFACTS = family_table.ARTIFACTS
MARKERS = ("<!-- compatibility:start -->", "<!-- compatibility:end -->")
ANCHOR = "compatibility-with-other-nodes"  # the section's GitHub anchor: the help pages link to it

INTRO = """## Compatibility with other nodes

Users put ComfyUI's model patches, guiders and prompt tools in front of the pack's nodes. Each of ComfyUI's core
nodes that changes what happens during sampling (read from ComfyUI 0.30.0's source) runs below through ComfyUI's
executor in front of RFInvert and RFControlledSampler (guiders: in front of the SAMPLER forms), on a tiny model of
a family it applies to or on an exact Gaussian-mixture Flux stand-in, on each ComfyUI version named
(`tests/test_compat.py`); the table is generated from those runs by `tests/build_compat_table.py`.
**works**: the round trip (gamma = eta = 0) reconstructs within 1.5 times the error without it plus 0.01 (on the
exact stand-in: equal, to 1e-4, to the round trip of the patched or guided field itself), eta = 1 returns the
source, and the edit run alone equals the edit after the inversion (no state leaks between passes or runs).
**works, with a cost**: the pack turns it off for a pass where it cannot be right and says so on the console
(`RF-Inversion: the inversion runs without ...`): that pass equals the run without it bit for bit, and where it
stays on it changes the result; the SAMPLER forms in SamplerCustomAdvanced leave out the same patches, and under
a guider with a negative prompt (CFGGuider) the CFG-stage patches act in both passes but for the inversion's first
step, from sigma = 0, which ComfyUI never samples at (RescaleCFG divides by sigma): it combines the prompts by plain
CFG (said on the console). **refused**: stopped with a message naming the node (for UNet-only patches, the
model) and what to do. A node a ComfyUI version lacks is not listed on that version.

Not in the table yet: the ControlNets of `comfy_extras/nodes_model_patch.py` (QwenImageDiffsynthControlnet,
ZImageFunControlnet, USOStyleReference, WanUni3CControlnetApply, AnimaLLLiteApply, SUPIRApply: they need
MODEL_PATCH weights that no tiny stand-in has), ControlNetApplySD3 and LTXVReferenceAudio (they need a VAE or an
audio VAE of the model), the hook nodes other than CreateHookLora and SetHookKeyframes, and the per-family
conditioning nodes (WanImageToVideo, ...; TextEncodeQwenImageEdit runs in the e2e tests' qwen_image_edit workflow).
"""


def measured(checks: dict, version: str) -> str:
    """The numbers a cache's or a guider's test measured, as a sentence naming where they come from."""
    where = f"Measured (tests/test_compat.py, ComfyUI {version}"
    n = checks.get("cache", {}).get("numbers", {})
    if n:
        calls = (f"the edit made {n['edit_evaluations']} of its {n['unpatched_edit_evaluations']} model calls, "
                 if "edit_evaluations" in n else "")
        return (f" {where}, {n['steps']} + {n['steps']} steps): {calls}the round trip error is "
                f"{n['round_trip_error']} ({n['unpatched_round_trip_error']} without it), the edit moves by "
                f"{n['edit_change']} from the edit without it, and a plain euler generation by "
                f"{n['generation_change']}.")
    n = checks.get("works", {}).get("numbers", {})
    if "unguided_round_trip_error" in n:
        return (f" {where}, exact stand-in, 6 + 6 steps): round trip error {n['round_trip_error']} "
                f"({n['unguided_round_trip_error']} under BasicGuider).")
    return ""


def rows(runs: dict[str, dict]) -> list[dict]:
    """One row per inventory entry: the versions its test passed on, the ones it failed on, the note."""
    versions = sorted(runs, key=family_table.version_key)
    out = []
    for e in INVENTORY:
        results = {v: next((r for r in runs[v]["entries"] if r["node"] == e.node), None) for v in versions}
        ran = {v: r for v, r in results.items() if r and r["checks"] and not r.get("skipped")}
        passed = [v for v, r in ran.items() if all(c["outcome"] == "passed" for c in r["checks"].values())]
        failed = [v for v in ran if v not in passed]
        newest = passed[-1] if passed else None
        numbers = measured(ran[newest]["checks"], newest) if newest else ""
        note = e.note + ("." if numbers and not e.note.endswith(".") else "") + numbers
        out.append({"node": e.node, "families": e.families, "versions": passed, "failed": failed,
                    "outcome": e.outcome, "note": note})
    return out


def table(runs: dict[str, dict]) -> str:
    lines = [INTRO, "| node | families | ComfyUI | outcome | what to know |", "|---|---|---|---|---|"]
    for r in rows(runs):
        outcome = r["outcome"] + "".join(f"; FAILS on {v}" for v in r["failed"])
        versions = ", ".join(r["versions"]) or "none"
        cells = [f"`{r['node']}`", r["families"], versions, outcome, r["note"]]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def parse_table(readme: str) -> dict[str, dict]:
    """The README's table: node -> {"versions": [...], "outcome": str, "note": str}."""
    out = {}
    for cells in family_table.body_rows(readme, MARKERS, 5):
        if cells[0] == "node":
            continue
        versions = [] if cells[2] == "none" else [v.strip() for v in cells[2].split(",")]
        out[cells[0].strip("`")] = {"families": cells[1], "versions": versions, "outcome": cells[3],
                                    "note": cells[4]}
    return out


def main(argv=None) -> int:
    runs = family_table.load_runs(sorted(ARTIFACTS.glob("compat-*.json")), "compat", "tests/test_compat.py")
    README.write_text(family_table.rewrite(README.read_text(), table(runs), MARKERS))
    print(f"README.md: {len(INVENTORY)} nodes from ComfyUI {', '.join(sorted(runs, key=family_table.version_key))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
