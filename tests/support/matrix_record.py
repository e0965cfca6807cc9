"""The model matrix's record (test_model_matrix.py): which of the zoo's families the running ComfyUI has (the
pytest params), the results of each family's checks written to tests/_artifacts/model_matrix-<ComfyUI version>.json
(from which tests/build_family_table.py writes README.md's table), and the summary lines of a run."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path

import torch

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"  # tests/_artifacts


def comfyui_version() -> str:
    import comfyui_version

    return str(comfyui_version.__version__)


def zoo_or_none():
    """tests/support/model_zoo, importable only with ComfyUI (families are decided by introspecting it); None
    without it (the comfy fixture then skips, or fails under CI=true, with the setup hint)."""
    import comfy_harness

    path = comfy_harness.find_comfyui()
    if path is None:
        return None
    try:
        comfy_harness.import_comfyui(path)
    except ImportError:
        return None
    import model_zoo

    return model_zoo


def family_params(model_zoo, pytest, kinds=None, refused=False, where=None) -> list:
    """pytest params: the zoo's families the running ComfyUI has and `where` (a predicate) picks; others are not
    collected."""
    params = []
    for f in model_zoo.FAMILIES:
        if bool(f.refuse) != refused or (kinds is not None and f.kind not in kinds) or f.missing():
            continue
        if where is not None and not where(f):
            continue
        params.append(pytest.param(f, id=f.name))
    return params


def presence_lines(model_zoo, uncovered: list[str]) -> list[str]:
    lines = []
    for f in model_zoo.FAMILIES:
        missing = f.missing()
        what = "tested (must be refused)" if f.refuse else "tested"
        lines.append(f"{f.name}: {what}" if missing is None else f"{f.name}: not present on this version ({missing})")
    if uncovered:
        lines.append(f"rectified-flow configs of this version not in the zoo ({len(uncovered)}): "
                     + ", ".join(uncovered))
    return lines


def uncovered_configs(model_zoo) -> list[str]:
    """The running version's rectified-flow configs that no family of the zoo builds."""
    covered = {f.config for f in model_zoo.FAMILIES}
    return sorted(c for c in model_zoo.rectified_flow_configs() if c not in covered)


class Record:
    """family -> check -> {"outcome", "numbers", "message"}, written as JSON at the end of the module."""

    def __init__(self, model_zoo):
        self.version = comfyui_version()
        self.zoo = model_zoo
        self.results: dict[str, dict] = {}
        self.started = time.perf_counter()

    @contextlib.contextmanager
    def check(self, family, name: str):
        numbers: dict = {}
        entry = {"outcome": "passed", "numbers": numbers, "message": ""}
        self.results.setdefault(family.name, {})[name] = entry
        try:
            yield numbers
        except BaseException as e:  # recorded, then re-raised for pytest
            entry["outcome"] = "skipped" if type(e).__name__ == "Skipped" else "failed"
            entry["message"] = f"{type(e).__name__}: {e}"[:2000]
            raise

    def write(self, uncovered: list[str], pytest_args=()) -> Path:
        """The JSON record; pytest_args tells a full run from a selection (-k), which records fewer checks."""
        ARTIFACTS.mkdir(exist_ok=True)
        families = []
        for f in self.zoo.FAMILIES:
            missing = f.missing()
            families.append({
                "family": f.name, "config": f.config, "model_class": f.model_class, "kind": f.kind,
                "present": missing is None, "missing": missing, "refused_family": bool(f.refuse),
                "true_cfg": f.true_cfg, "guidance_embed": f.guidance_embed, "reads_guidance": f.reads_guidance,
                "notes": f.notes, "checks": self.results.get(f.name, {}),
            })
        path = ARTIFACTS / f"model_matrix-{self.version}.json"
        data = {"comfyui_version": self.version, "pytest_args": list(pytest_args),
                "torch_threads": torch.get_num_threads(),
                "wall_seconds": round(time.perf_counter() - self.started, 1), "families": families,
                "rectified_flow_configs_not_in_zoo": uncovered}
        path.write_text(json.dumps(data, indent=1, default=str))
        return path


class SummaryLines:
    """A pytest plugin, registered at the end of the module, that prints its lines in the terminal summary."""

    def __init__(self, lines: list[str]):
        self.lines = lines

    def pytest_terminal_summary(self, terminalreporter):
        terminalreporter.section("model matrix")
        for line in self.lines:
            terminalreporter.write_line(line)
