"""The node help pages (web/docs/<node id>.md in English, web/docs/<node id>/<locale>.md translated, shown by the
frontend's node help panel) against the real schema: one page per registered node and locale, every input named
with its real default, the paper's settings where they apply, and pictures that exist. A translated page has the
English page's shape (sections, tables, pictures, numbers), is translated from the CURRENT English page
(tests/i18n_sources.json) and is in that language. The server side (the URLs the frontend fetches) is
tests/e2e/test_e2e_help_pages.py."""

from __future__ import annotations

import re

import pytest

import translations as i18n
from translations import DOCS, REPO, schema_inputs

LOCALES = ("en", *i18n.LANGS)
# The paper's per-task settings (Rout et al. 2025, the table of per-task hyper-parameters):
# task words as the English pages name them -> (start_step, stop_step, eta), all at 28 steps and gamma 0.5.
PAPER_SETTINGS = {
    "stroke painting to image": (3, 5, 0.9),
    "insert an object": (0, 6, 1.0),
    "change gender": (0, 8, 1.0),
    "change age": (0, 5, 1.0),
    "add glasses": (6, 25, 0.7),
    "stylize": (0, 6, 0.9),
}
# What each locale's pages call the tasks, the defaults of inputs that have none, and the sections they must have.
WORDS = {
    "en": {"tasks": {t: t for t in PAPER_SETTINGS}, "no_default": ("connect", "not connected"),
           "source_of_defaults": "diffusers community pipeline",
           "troubleshooting": ("## When the result is not what you want", "edit does not show", "layout is lost")},
    "zh": {"tasks": {"stroke painting to image": "笔画生成图像", "insert an object": "插入物体",
                     "change gender": "改变性别", "change age": "改变年龄", "add glasses": "添加眼镜",
                     "stylize": "风格化"},
           "no_default": ("必须连接", "默认不连接"), "source_of_defaults": "diffusers 社区 pipeline",
           "troubleshooting": ("## 结果不理想时", "编辑效果不明显", "构图丢失")},
}
EDIT_NODES = ("RFInvert", "RFControlledSampler", "RFInvertSampler", "RFControlledSamplerSampler")
PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def page_path(node_id: str, locale: str = "en"):
    return DOCS / f"{node_id}.md" if locale == "en" else DOCS / node_id / f"{locale}.md"


def page(node_id: str, locale: str = "en") -> str:
    return page_path(node_id, locale).read_text(encoding="utf-8")


def input_rows(text: str) -> dict[str, list[str]]:
    """The page's input table: {input name: [what it does, default]} from rows '| `name` | ... | default |'."""
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^\| `(\w+)` \|(.*)\|\s*$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


@pytest.mark.comfyui
def test_web_directory_is_declared_and_holds_the_docs(pack):
    assert (REPO / pack.WEB_DIRECTORY).resolve() == DOCS.parent
    assert DOCS.is_dir()


@pytest.mark.comfyui
def test_one_page_per_registered_node_and_no_stale_pages(infos):
    assert sorted(p.stem for p in DOCS.glob("*.md")) == sorted(infos)
    folders = sorted(p.name for p in DOCS.iterdir() if p.is_dir())
    assert folders == sorted(infos), "web/docs/<folder>/ holds one node's translated pages"
    assert sorted(p.relative_to(DOCS).as_posix() for p in DOCS.glob("*/*")) == sorted(
        f"{n}/{locale}.md" for n in infos for locale in i18n.LANGS)


@pytest.mark.comfyui
@pytest.mark.parametrize("locale", LOCALES)
def test_titles_are_the_display_names(infos, locale):
    """The page's title is the name the node library shows in that language."""
    names = {n: (info["display_name"] if locale == "en" else i18n.node_defs(locale)[n]["display_name"])
             for n, info in infos.items()}
    assert {n: page(n, locale).splitlines()[0] for n in infos} == {n: f"# {d}" for n, d in names.items()}


@pytest.mark.comfyui
@pytest.mark.parametrize("locale", LOCALES)
def test_each_page_names_every_input_with_its_default(infos, locale):
    problems = []
    for node_id, info in sorted(infos.items()):
        rows, want = input_rows(page(node_id, locale)), schema_inputs(info)
        if list(rows) != list(want):
            problems.append(f"{node_id}: page lists {list(rows)}, schema has {list(want)}")
            continue
        for name, (io_type, opts) in want.items():
            cell = rows[name][-1]
            if "default" not in opts:
                ok = cell in WORDS[locale]["no_default"]
            elif io_type in ("INT", "FLOAT"):
                ok = re.fullmatch(r"-?[\d.]+", cell) is not None and float(cell) == opts["default"]
            else:
                ok = cell == f"`{opts['default']}`"
            if not ok:
                problems.append(f"{node_id}.{name}: page default {cell!r}, schema {opts.get('default', 'none')!r}")
            if len(rows[name][0]) < (25 if locale == "en" else 12):
                problems.append(f"{node_id}.{name}: too short to say what it does: {rows[name][0]!r}")
    assert problems == []


@pytest.mark.comfyui
@pytest.mark.parametrize("locale", LOCALES)
def test_combo_options_are_each_explained(infos, locale):
    """Every option of a combo input appears, in backticks, in its row (e.g. order: euler, midpoint, ...)."""
    problems = []
    for node_id, info in sorted(infos.items()):
        rows = input_rows(page(node_id, locale))
        for name, (io_type, opts) in schema_inputs(info).items():
            if io_type == "COMBO":
                problems += [f"{node_id}.{name}: {o}" for o in opts["options"] if f"`{o}`" not in rows[name][0]]
    assert problems == []


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("node_id", EDIT_NODES)
def test_edit_pages_carry_the_papers_settings_and_troubleshooting(node_id, locale):
    text, words = page(node_id, locale), WORDS[locale]
    for task, (start, stop, eta) in PAPER_SETTINGS.items():
        name = words["tasks"][task]
        assert re.search(rf"^\| {name} \| {start} \| {stop} \| {eta} \|$", text, re.M), (node_id, task)
    assert words["source_of_defaults"] in text, "say where the default eta 0.9 on [0, 7) comes from"
    heading, *problems = words["troubleshooting"]
    assert heading in text.splitlines()
    assert all(p in text for p in problems), problems


def test_pictures_exist_and_match_the_studys_plots():
    """The help pages' pictures are web/docs/ copies of the exact-model study's docs/ plots, kept identical. The
    frontend resolves a relative picture against the docs folder (/extensions/<pack>/docs/) for a translated
    page too, so every page, in web/docs/ or a node's folder, names the pictures relative to web/docs/."""
    linked = {t for p in DOCS.rglob("*.md") for t in PICTURE.findall(p.read_text(encoding="utf-8"))}
    assert linked, "no page shows a picture"
    for name in sorted(linked):
        assert (DOCS / name).is_file() and "/" not in name, name
        study = REPO / "docs" / name
        if study.is_file():
            assert (DOCS / name).read_bytes() == study.read_bytes(), f"web/docs/{name} differs from docs/{name}"


def _shape(text: str) -> dict:
    lines = text.splitlines()
    return {"headings": [len(h) - len(h.lstrip("#")) for h in lines if h.startswith("#")],
            "table rows": sum(1 for line in lines if line.startswith("|")),
            "list items": sum(1 for line in lines if line.startswith("- ")),
            "pictures": PICTURE.findall(text)}


@pytest.mark.comfyui
@pytest.mark.parametrize("locale", i18n.LANGS)
def test_translated_pages_have_the_english_pages_shape(infos, locale):
    """Same sections, table rows, list items and pictures in the same order; each input row begins with the label
    the node shows in that language (locales/<locale>/nodeDefs.json), so a reader finds the input on the node."""
    labels = i18n.node_defs(locale)
    problems = []
    for node_id in sorted(infos):
        en, tr = _shape(page(node_id)), _shape(page(node_id, locale))
        problems += [f"{node_id}: {k}: English {en[k]}, {locale} {tr[k]}" for k in en if en[k] != tr[k]]
        for name, (what, _default) in input_rows(page(node_id, locale)).items():
            label = labels[node_id]["inputs"][name]["name"]
            if not what.startswith(f"**{label}**："):
                problems.append(f"{node_id}.{name}: the row should begin with '**{label}**：'")
    assert problems == []


@pytest.mark.parametrize("locale", i18n.LANGS)
@pytest.mark.parametrize("node_id", sorted(p.stem for p in DOCS.glob("*.md")))
def test_translated_pages_translate_the_current_english_page(node_id, locale):
    recorded = i18n.sources().get("help_pages", {}).get(locale, {}).get(node_id)
    assert recorded == i18n.page_digest(node_id), (
        f"re-translate web/docs/{node_id}/{locale}.md: web/docs/{node_id}.md changed since it was translated "
        f"(see git log -p web/docs/{node_id}.md), then python tests/i18n_record.py help:{node_id}")


@pytest.mark.parametrize("locale", i18n.LANGS)
@pytest.mark.parametrize("node_id", sorted(p.stem for p in DOCS.glob("*.md")))
def test_translated_pages_keep_the_numbers_and_are_translated(node_id, locale):
    """Every number of the English page (settings, defaults, steps, equations) and no other; and the text, code
    spans and quoted prompts aside, reads as that language."""
    en, tr = page(node_id), page(node_id, locale)
    assert sorted(set(NUMBER.findall(tr))) == sorted(set(NUMBER.findall(en)))
    prose = re.sub(r"`[^`]*`|\"[^\"]*\"|!\[[^\]]*\]\([^)]*\)", " ", tr)
    assert i18n.not_chinese_reason(prose) is None, i18n.not_chinese_reason(prose)
