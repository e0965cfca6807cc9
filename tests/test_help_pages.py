"""The node help pages (web/docs/<node id>.md, shown by the frontend's node help panel) against the real schema:
one page per registered node, every input named with its real default, the paper's settings where they apply,
and pictures that exist. The server side (the URLs the frontend fetches) is tests/e2e/test_e2e_help_pages.py."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "web" / "docs"
# The paper's per-task settings (Rout et al. 2025; ../shared/reference/rf-inversion.md section 3):
# task words as the pages name them -> (start_step, stop_step, eta), all at 28 steps and gamma 0.5.
PAPER_SETTINGS = {
    "stroke painting to image": (3, 5, 0.9),
    "insert an object": (0, 6, 1.0),
    "change gender": (0, 8, 1.0),
    "change age": (0, 5, 1.0),
    "add glasses": (6, 25, 0.7),
    "stylize": (0, 6, 0.9),
}
EDIT_NODES = ("RFInvert", "RFControlledSampler", "RFInvertSampler", "RFControlledSamplerSampler")
NO_DEFAULT = ("connect", "not connected")


@pytest.fixture(scope="module")
def infos(pack):
    async def node_list():
        return await (await pack.comfy_entrypoint()).get_node_list()

    return {info["name"]: info for info in (cls.GET_NODE_INFO_V1() for cls in asyncio.run(node_list()))}


def page(node_id: str) -> str:
    return (DOCS / f"{node_id}.md").read_text()


def input_rows(text: str) -> dict[str, list[str]]:
    """The page's input table: {input name: [what it does, default]} from rows '| `name` | ... | default |'."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `(\w+)` \|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def schema_inputs(info: dict) -> dict[str, tuple[str, dict]]:
    return {name: (spec[0], spec[1] if len(spec) > 1 else {})
            for section in ("required", "optional") for name, spec in info["input"].get(section, {}).items()}


@pytest.mark.comfyui
def test_web_directory_is_declared_and_holds_the_docs(pack):
    assert (REPO / pack.WEB_DIRECTORY).resolve() == DOCS.parent
    assert DOCS.is_dir()


@pytest.mark.comfyui
def test_one_page_per_registered_node_and_no_stale_pages(infos):
    assert sorted(p.stem for p in DOCS.glob("*.md")) == sorted(infos)


@pytest.mark.comfyui
def test_each_page_names_every_input_with_its_default(infos):
    problems = []
    for node_id, info in sorted(infos.items()):
        rows, want = input_rows(page(node_id)), schema_inputs(info)
        if list(rows) != list(want):
            problems.append(f"{node_id}: page lists {list(rows)}, schema has {list(want)}")
            continue
        for name, (io_type, opts) in want.items():
            cell = rows[name][-1]
            if "default" not in opts:
                ok = cell in NO_DEFAULT
            elif io_type in ("INT", "FLOAT"):
                ok = re.fullmatch(r"-?[\d.]+", cell) is not None and float(cell) == opts["default"]
            else:
                ok = cell == f"`{opts['default']}`"
            if not ok:
                problems.append(f"{node_id}.{name}: page default {cell!r}, schema {opts.get('default', 'none')!r}")
            if len(rows[name][0]) < 25:
                problems.append(f"{node_id}.{name}: too short to say what it does: {rows[name][0]!r}")
    assert problems == []


@pytest.mark.comfyui
def test_combo_options_are_each_explained(infos):
    """Every option of a combo input appears, in backticks, in its row (e.g. order: euler, midpoint, ...)."""
    problems = []
    for node_id, info in sorted(infos.items()):
        rows = input_rows(page(node_id))
        for name, (io_type, opts) in schema_inputs(info).items():
            if io_type == "COMBO":
                problems += [f"{node_id}.{name}: {o}" for o in opts["options"] if f"`{o}`" not in rows[name][0]]
    assert problems == []


@pytest.mark.parametrize("node_id", EDIT_NODES)
def test_edit_pages_carry_the_papers_settings_and_troubleshooting(node_id):
    text = page(node_id)
    for task, (start, stop, eta) in PAPER_SETTINGS.items():
        assert re.search(rf"^\| {task} \| {start} \| {stop} \| {eta} \|$", text, re.M), (node_id, task)
    assert "diffusers community pipeline" in text, "say where the default eta 0.9 on [0, 7) comes from"
    assert "## When the result is not what you want" in text
    assert "edit does not show" in text and "layout is lost" in text


def test_pictures_exist_and_match_the_studys_plots():
    """The help pages' pictures are web/docs/ copies of the exact-model study's docs/ plots, kept identical."""
    linked = {t for p in DOCS.glob("*.md") for t in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", p.read_text())}
    assert linked, "no page shows a picture"
    for name in sorted(linked):
        assert (DOCS / name).is_file(), name
        study = REPO / "docs" / name
        if study.is_file():
            assert (DOCS / name).read_bytes() == study.read_bytes(), f"web/docs/{name} differs from docs/{name}"
