"""A slice of the scene-model benchmark (bench/toyworld.py eval) through ComfyUI's executor and the pack's nodes,
from the committed weights: its numbers match the recorded run and the edits do what the benchmark says."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # last: bench/toyworld.py is not the package

import toyworld_eval  # noqa: E402
from toyworld import edits, world  # noqa: E402

pytestmark = pytest.mark.comfyui

RECORD = Path(__file__).resolve().parents[1] / "bench" / "toyworld_slice.json"
PSNR_TOLERANCE = 0.5  # dB: float differences across CPUs and torch builds move a 32 x 32 PSNR far less
SUCCESS_TOLERANCE = 1 / 12  # one edit of the slice's 12


@pytest.fixture(scope="module")
def slice_run(comfy):
    record = json.loads(RECORD.read_text())
    results = toyworld_eval.evaluate(record["seed"], record["edits"], list(record["options"]), progress=lambda _: None)
    return record, results


def test_the_slice_reproduces_the_recorded_numbers(slice_run):
    record, results = slice_run
    for name, kinds in record["options"].items():
        got, want = results[name]["all"], kinds["all"]
        assert got["nfe"] == want["nfe"], name
        assert got["success"] == pytest.approx(want["success"], abs=SUCCESS_TOLERANCE), name
        for metric in ("gt_psnr", "bg_psnr", "rec_psnr"):
            assert got[metric] == pytest.approx(want[metric], abs=PSNR_TOLERANCE), (name, metric)


def test_the_paper_edit_moves_towards_the_ground_truth_and_the_region_mask_keeps_the_rest(slice_run):
    record, results = slice_run
    batch = edits.test_set(record["seed"], record["edits"])
    sources = torch.stack([world.render(e.source) for e in batch])
    targets = torch.stack([world.render(e.target) for e in batch])
    untouched = float(toyworld_eval.psnr(sources, targets).mean())  # leaving the source as it is
    paper, masked = results["paper"]["all"], results["region_mask"]["all"]
    assert untouched < paper["gt_psnr"] < masked["gt_psnr"]  # nearer the target than the source is; the mask helps
    assert paper["success"] >= 0.75 and paper["unchanged"] <= 0.1
    assert masked["bg_psnr"] == 100.0  # outside the mask the edit is the source, bit for bit (PSNR's 1e-10 floor)
    assert paper["nfe"] == 28 + 2 * 28  # the inversion, then the edit with cfg's unconditional pass
