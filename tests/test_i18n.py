"""The Simplified Chinese translation (locales/zh/) against the node schema the pack registers: an entry for every
node, input and output that GET /object_info lists (GET_NODE_INFO_V1), none for anything it does not list, each
zh text translated from the CURRENT English text (tests/i18n_sources.json records which), in Chinese, with the
English text's numbers, and safe from the frontend's message syntax. The server side (GET /i18n, the editor in
Chinese) is tests/e2e/test_e2e_i18n.py; the zh help pages are checked by tests/test_help_pages.py."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

import translations as i18n

LANG = "zh"
NUMBER = re.compile(r"\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def english(infos):
    """flat nodeDefs key -> the English text the frontend shows today."""
    return i18n.fields({node_id: i18n.english_entry(info) for node_id, info in infos.items()})


@pytest.fixture(scope="module")
def zh():
    return i18n.fields(i18n.node_defs(LANG))


@pytest.fixture(scope="module")
def identifiers(infos):
    """Words a zh text may keep as they are: node ids, input names and combo options."""
    words = set(infos)
    for info in infos.values():
        for name, (_, opts) in i18n.schema_inputs(info).items():
            words.add(name)
            words.update(o for o in opts.get("options", []) if isinstance(o, str))
    return frozenset(words)


@pytest.mark.comfyui
def test_every_node_input_and_output_has_a_zh_name_and_tooltip(english, zh):
    missing = [k for k in english if not (isinstance(zh.get(k), str) and zh[k].strip())]
    assert missing == [], f"translate into locales/{LANG}/nodeDefs.json: {missing}"


@pytest.mark.comfyui
def test_no_zh_entry_for_what_the_schema_does_not_have(english, zh):
    """An entry for a removed or renamed node, input or output (or a misspelt key) is never shown."""
    assert sorted(set(zh) - set(english)) == []


@pytest.mark.comfyui
def test_each_zh_text_is_translated_from_the_current_english(english, zh):
    recorded = i18n.sources().get("nodeDefs", {}).get(LANG, {})
    problems = []
    for key in sorted(set(zh) & set(english)):
        if key not in recorded:
            problems.append(f"record {key}: no English source recorded (translate it, then "
                            f"python tests/i18n_record.py {key})")
        elif recorded[key] != english[key]:
            problems.append(f"re-translate {key}: the English text changed\n    was: {recorded[key]!r}\n"
                            f"    now: {english[key]!r}\n    zh:  {zh[key]!r}\n"
                            f"  then: python tests/i18n_record.py {key}")
    problems += [f"drop {key} from {i18n.SOURCES.name}: no such entry" for key in sorted(set(recorded) - set(zh))]
    assert problems == [], "\n".join(problems)


@pytest.mark.comfyui
def test_zh_texts_are_chinese(zh, identifiers):
    """No English text passes for a translation: every zh text has Chinese characters and little English left
    beyond names and identifiers; only the labels of KEPT_NAMES stay as the symbol itself."""
    problems = []
    for key, text in sorted(zh.items()):
        parts = key.split(".")
        if parts[-1] == "name" and parts[-3] == "inputs" and parts[-2] in i18n.KEPT_NAMES:
            if text != parts[-2]:
                problems.append(f"{key}: keep the symbol {parts[-2]!r} as the label, not {text!r}")
            continue
        reason = i18n.not_chinese_reason(text, identifiers)
        if reason:
            problems.append(f"{key}: {reason}: {text!r}")
    assert problems == []


@pytest.mark.comfyui
def test_the_chinese_check_rejects_the_english_sources(identifiers):
    """not_chinese_reason fails every recorded English text (so an untranslated entry cannot pass)."""
    recorded = i18n.sources()["nodeDefs"][LANG]
    passed = [(k, t) for k, t in recorded.items() if i18n.not_chinese_reason(t, identifiers) is None]
    assert passed == []
    half = recorded["RFInvert.inputs.gamma.tooltip"] + " 反演"
    assert i18n.not_chinese_reason(half, identifiers), "an English sentence with one Chinese word passed"


@pytest.mark.comfyui
def test_zh_texts_keep_the_english_numbers(english, zh):
    """Numbers, defaults, equation and step numbers are the English text's, none added or lost."""
    problems = [f"{k}: English {sorted(set(NUMBER.findall(english[k])))}, zh {sorted(set(NUMBER.findall(zh[k])))}"
                for k in sorted(set(zh) & set(english))
                if set(NUMBER.findall(english[k])) != set(NUMBER.findall(zh[k]))]
    assert problems == []


@pytest.mark.comfyui
def test_one_english_text_one_translation(english, zh):
    """An input shared by several nodes (one definition in nodes/inputs.py) reads the same on each. (Output
    names are left out: their English is the type, LATENT or SAMPLER, and each node's zh name says which.)"""
    by_english = defaultdict(set)
    for key in set(zh) & set(english):
        if not re.search(r"\.outputs\.\d+\.name$", key):
            by_english[(key.rsplit(".", 1)[-1], english[key])].add(zh[key])
    assert [(e, sorted(z)) for e, z in by_english.items() if len(z) > 1] == []


def test_no_text_uses_the_frontends_message_syntax(zh):
    """The frontend compiles every message with vue-i18n: {x}, @:key, "a | b" and $ would not show as written."""
    texts = {f"nodeDefs.{k}": v for k, v in zh.items()}
    texts.update({f"main.{k}": v for k, v in i18n.fields(i18n.main_messages(LANG)).items()})
    assert sorted(k for k, v in texts.items() if i18n.MESSAGE_SYNTAX.search(v)) == []


@pytest.mark.comfyui
def test_main_json_names_the_packs_own_category(infos):
    """main.json's nodeCategories names the category segment only this pack uses (ComfyUI's zh names
    "sampling"), and nothing else."""
    segments = {s for info in infos.values() for s in info["category"].split("/")}
    names = i18n.main_messages(LANG).get("nodeCategories", {})
    assert set(i18n.main_messages(LANG)) <= {"nodeCategories"}
    assert set(names) <= segments, sorted(set(names) - segments)
    own = {info["category"].split("/")[-1] for info in infos.values()}
    assert sorted(own - set(names)) == []
    assert all(i18n.not_chinese_reason(names[s]) is None for s in own), names
