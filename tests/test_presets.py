"""The per-task subgraph blueprints, subgraphs/RF-Inversion edit (<task>).json: one per row of the paper's table
(README.md), each giving that row's start_step (to both nodes), stop_step and eta in plain sight: as the values of the
blueprint node's own widgets, whose inputs feed the inner RFInvert and RFControlledSampler. What the real editor makes
of them is tests/e2e/test_e2e_subgraphs.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paper import paper_rows

SUBGRAPHS = Path(__file__).resolve().parents[1] / "subgraphs"
FEEDS = {"start_step": [("RFControlledSampler", "start_step"), ("RFInvert", "start_step")],
         "stop_step": [("RFControlledSampler", "stop_step")], "eta": [("RFControlledSampler", "eta")]}


def blueprint(task: str) -> dict:
    return json.loads((SUBGRAPHS / f"RF-Inversion edit ({task}).json").read_text())


def shown_values(data: dict) -> dict:
    """The blueprint node's widget values by input label (the values the node shows)."""
    (node,) = data["nodes"]
    return dict(zip([i["label"] for i in node["inputs"] if "widget" in i], node["widgets_values"]))


def feeds(data: dict) -> dict:
    """Each blueprint input's label -> the inner (node type, input name) its links reach."""
    graph = data["definitions"]["subgraphs"][0]
    nodes, links = {n["id"]: n for n in graph["nodes"]}, {link["id"]: link for link in graph["links"]}
    out = {}
    for entry in graph["inputs"]:
        targets = [nodes[links[i]["target_id"]] for i in entry["linkIds"]]
        slots = [links[i]["target_slot"] for i in entry["linkIds"]]
        out[entry["label"]] = sorted((n["type"], n["inputs"][s]["name"]) for n, s in zip(targets, slots))
    return out


def test_one_blueprint_per_row_of_the_papers_table():
    presets = sorted(p.name for p in SUBGRAPHS.glob("RF-Inversion edit (*).json"))
    assert presets == sorted(f"RF-Inversion edit ({task}).json" for task in paper_rows())


@pytest.mark.parametrize("task", list(paper_rows()))
def test_the_preset_gives_the_papers_numbers_on_both_nodes(task):
    start, stop, eta = paper_rows()[task]
    data = blueprint(task)
    shown = shown_values(data)
    assert (shown["start_step"], shown["stop_step"], shown["eta"], shown["steps"]) == (start, stop, eta, 28), shown
    assert {k: v for k, v in feeds(data).items() if k in FEEDS} == FEEDS
    assert data["definitions"]["subgraphs"][0]["name"] == f"RF-Inversion edit ({task})"
    assert f"eta {eta} on steps [{start}, {stop})" in data["extra"]["BlueprintDescription"]


def widget_counts(nodes: list) -> dict:
    """Node type -> how many widget values each node of it saves (one count per type, or an error)."""
    counts: dict = {}
    for n in nodes:
        counts.setdefault(n["type"], set()).add(len(n.get("widgets_values") or []))
    return counts


@pytest.mark.parametrize("path", sorted(SUBGRAPHS.glob("*.json")), ids=lambda p: p.stem)
def test_blueprints_save_the_widgets_of_the_current_nodes(path):
    """The inner RF nodes save as many widget values as the same nodes in workflows/rf_inversion_edit.json, whose
    values the real editor keeps on load (tests/e2e/test_e2e_frontend_load.py): a blueprint built before an input
    was added would load with that input at its default, behind the user's back."""
    workflow = json.loads((SUBGRAPHS.parent / "workflows" / "rf_inversion_edit.json").read_text())["nodes"]
    want = widget_counts([n for n in workflow if n["type"] in ("RFInvert", "RFControlledSampler")])
    inner = json.loads(path.read_text())["definitions"]["subgraphs"][0]["nodes"]
    got = widget_counts([n for n in inner if n["type"] in want])
    assert got == want, (got, want)
