"""Record the English source of translated entries in tests/i18n_sources.json, after translating them.

    COMFYUI_PATH=/path/to/ComfyUI python tests/i18n_record.py [--lang zh] KEY [KEY ...]

KEY is a nodeDefs key as the tests name it (RFInvert.inputs.order.tooltip), a node id (every field of that
node), or help:<NodeId> (the English help page web/docs/<NodeId>.md that web/docs/<NodeId>/<lang>.md
translates). Only the keys given are recorded, from the schema of the ComfyUI found (as the tests find it) and
the pages on disk: run it for the entries you translated again, never to silence tests/test_i18n.py. A key the
locale file lacks is refused (translate it first); records of entries the schema no longer has are dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

import comfy_harness  # noqa: E402
import translations as i18n  # noqa: E402


ABOUT = ("The English text each translation in locales/<lang>/nodeDefs.json was made from (nodeDefs: flat key -> "
         "English), and the sha256 of each English help page web/docs/<id>.md that web/docs/<id>/<lang>.md "
         "translates (help_pages). Checked by tests/test_i18n.py and tests/test_help_pages.py; written by "
         "tests/i18n_record.py. Not shipped (tests/ is in .comfyignore).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="zh", choices=i18n.LANGS)
    parser.add_argument("keys", nargs="+")
    args = parser.parse_args(argv)

    path = comfy_harness.find_comfyui()
    if path is None:
        parser.error(comfy_harness.SETUP_HINT)
    comfy_harness.import_comfyui(path)
    infos = i18n.node_infos(comfy_harness.load_pack())
    english = i18n.fields({n: i18n.english_entry(info) for n, info in infos.items()})
    translated = i18n.fields(i18n.node_defs(args.lang))

    record = i18n.sources()
    record.setdefault("about", ABOUT)
    texts = record.setdefault("nodeDefs", {}).setdefault(args.lang, {})
    pages = record.setdefault("help_pages", {}).setdefault(args.lang, {})
    problems = []
    for key in args.keys:
        if key.startswith("help:"):
            node_id = key[len("help:"):]
            if not (i18n.DOCS / node_id / f"{args.lang}.md").is_file():
                problems.append(f"{key}: no web/docs/{node_id}/{args.lang}.md")
                continue
            pages[node_id] = i18n.page_digest(node_id)
            print(f"recorded {key}: web/docs/{node_id}.md sha256 {pages[node_id]}")
            continue
        chosen = [k for k in english if k == key or k.startswith(key + ".")]
        if not chosen:
            problems.append(f"{key}: the schema has no such node or field")
        for k in chosen:
            if not translated.get(k):
                problems.append(f"{k}: locales/{args.lang}/nodeDefs.json has no translation for it")
                continue
            texts[k] = english[k]
            print(f"recorded {k}: {english[k]!r}")
    for stale in sorted(set(texts) - set(english)):
        del texts[stale]
        print(f"dropped {stale}: the schema no longer has it")
    record["nodeDefs"][args.lang] = dict(sorted(texts.items()))
    record["help_pages"][args.lang] = dict(sorted(pages.items()))
    i18n.SOURCES.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for p in problems:
        print(f"not recorded: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
