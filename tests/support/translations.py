"""The pack's translations (locales/<lang>/) against the node schema, shared by tests/test_i18n.py, the help-page
tests and tests/e2e/test_e2e_i18n.py.

What the frontend reads (comfyui-frontend-package 1.39.19 and 1.47.12, the versions ComfyUI 0.16.3 and 0.30.0
pin): ComfyUI's GET /i18n merges every custom node folder's locales/<lang>/main.json with its nodeDefs.json
(under "nodeDefs"), and the frontend merges that into its own messages. Per node id (dots turned into "_"):
display_name, description, inputs.<input name>.name (the label of a socket or widget) and .tooltip,
outputs.<output index>.name and .tooltip; main.json's nodeCategories.<segment> names each "/"-separated
segment of a node's category. Combo options have no entry: the frontend shows a combo's values as they are
(they are what a workflow stores). A missing entry falls back to the English text of the schema, so there is
no locales/en/.

tests/i18n_sources.json records the English text each zh entry was translated from, field by field, and the
sha256 of each English help page the zh page translates: when the schema's English or the page changes, the
tests name the entry to translate again. After translating it, record its new source with
    python tests/i18n_record.py KEY [KEY ...]
(see that script).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # tests/support/ -> the pack
LOCALES = REPO / "locales"
DOCS = REPO / "web" / "docs"
SOURCES = REPO / "tests" / "i18n_sources.json"
LANGS = ("zh",)

# Labels kept as the paper's symbols / ComfyUI's own lower-case names (the core zh translation keeps cfg and
# sigmas too): these input names are their own zh name.
KEPT_NAMES = frozenset({"gamma", "eta", "cfg", "sigmas"})
# vue-i18n's message syntax: {placeholder}, @:linked message, plural "a | b", and $ are compiled, not shown.
MESSAGE_SYNTAX = re.compile(r"[{}@|$]")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.'/+-]*")
# Words a zh text keeps in Latin letters: product, model and method names, and the paper's terms as the Chinese
# community writes them. Identifiers (with "_" or a digit, CamelCase, ALL CAPS) are kept anyway.
KEPT_WORDS = frozenset("""
    rf-inversion rectified flow flux dev schnell chroma wan lora latent vae cfg sigma sigmas gamma eta euler
    midpoint fireflow ode sde simple rout et al diffusers pipeline n
""".split())


def node_infos(pack) -> dict[str, dict]:
    """node id -> GET_NODE_INFO_V1() (what /object_info serves) for every node the pack's comfy_entrypoint
    registers."""
    import comfy_harness

    return {info["name"]: info for info in (cls.GET_NODE_INFO_V1() for cls in comfy_harness.pack_node_classes(pack))}


def schema_inputs(info: dict) -> dict[str, tuple[str, dict]]:
    """input name -> (io type, options), required then optional, in the schema's order."""
    return {name: (spec[0], spec[1] if len(spec) > 1 else {})
            for section in ("required", "optional") for name, spec in info["input"].get(section, {}).items()}


def english_entry(info: dict) -> dict:
    """The English texts the frontend shows for a node, in nodeDefs.json's shape: what a translation replaces."""
    return {
        "display_name": info["display_name"] or info["name"],
        "description": info["description"],
        "inputs": {name: {"name": opts.get("display_name") or name, "tooltip": opts.get("tooltip", "")}
                   for name, (_, opts) in schema_inputs(info).items()},
        "outputs": {str(i): {"name": name, "tooltip": (info.get("output_tooltips") or [""] * (i + 1))[i] or ""}
                    for i, name in enumerate(info["output_name"])},
    }


def fields(node_defs: dict) -> dict[str, str]:
    """Flatten {node: entry} to {"RFInvert.inputs.order.tooltip": text, ...} (the keys under nodeDefs.)."""
    out = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else k, v)
        else:
            out[prefix] = value

    walk("", node_defs)
    return out


def load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def node_defs(lang: str) -> dict:
    return load_json(LOCALES / lang / "nodeDefs.json")


def main_messages(lang: str) -> dict:
    return load_json(LOCALES / lang / "main.json")


def sources() -> dict:
    """{"nodeDefs": {lang: {flat key: English}}, "help_pages": {lang: {node id: sha256 of web/docs/<id>.md}}}"""
    return load_json(SOURCES)


def page_digest(node_id: str) -> str:
    return hashlib.sha256((DOCS / f"{node_id}.md").read_bytes()).hexdigest()


def leftover_english(text: str, identifiers=frozenset()) -> list[str]:
    """The Latin words of a translated text that are neither identifiers (with "_", a digit, "." or "/" inside,
    CamelCase, ALL CAPS, or in `identifiers`) nor kept terms: English left in it."""
    left = []
    for word in LATIN_WORD.findall(text):
        w = word.rstrip(".'/+-")
        if (not w or re.search(r"[_\d./]", w) or re.search(r"[A-Z]", w[1:]) or w in identifiers
                or w.lower() in KEPT_WORDS):
            continue
        left.append(w)
    return left


def not_chinese_reason(text: str, identifiers=frozenset()) -> str | None:
    """None when the text reads as Chinese: it has CJK characters and at most one Latin letter of plain English
    per two CJK characters (identifiers, names and the paper's terms aside). Else why not."""
    cjk = len(CJK.findall(text))
    english = leftover_english(text, identifiers)
    letters = sum(len(w) for w in english)
    if cjk == 0:
        return "no Chinese characters"
    if letters * 2 > cjk:
        return f"{cjk} Chinese characters against English words {english}"
    return None
