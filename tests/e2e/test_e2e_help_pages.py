"""A real server serves a help page for every node of this pack, in English and in each translated language, at
the URLs the frontend's node help panel asks for, and the pictures the pages show.

The frontend (comfyui-frontend-package 1.39 to 1.58, NodeHelpService) takes the pack's folder from the node's
python_module ("custom_nodes.<folder>", anything after an "@" dropped), fetches
/extensions/<folder>/docs/<NodeId>/<locale>.md, then /extensions/<folder>/docs/<NodeId>.md, and treats a reply
that is not ok or is text/html as missing. Relative pictures resolve against /extensions/<folder>/docs/, for a
page in a locale folder too. The help panel in Chinese is tested in test_e2e_i18n.py.
"""
import pytest
import requests

import e2e_browser as browser
from e2e_checks import PICTURE, help_panel_problems
from e2e_config import DOCS

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

TRANSLATED = ("zh",)  # locales with a page per node: web/docs/<NodeId>/<locale>.md


def help_page(server, folder, node_id, locale):
    """What the help panel shows: the locale page if served as non-HTML, else the plain page."""
    tried = []
    for path in (f"/extensions/{folder}/docs/{node_id}/{locale}.md", f"/extensions/{folder}/docs/{node_id}.md"):
        r = requests.get(server.url + path, timeout=30)
        tried.append((path, r.status_code, r.headers.get("content-type")))
        if r.ok and "text/html" not in r.headers.get("content-type", ""):
            return path, r.content.decode("utf-8")  # fetch's Response.text() decodes UTF-8 whatever the header
    raise AssertionError(f"no help page for {node_id}: {tried}")


def test_every_node_of_the_pack_has_a_page(ours):
    assert sorted(ours) == sorted(p.stem for p in DOCS.glob("*.md"))


@pytest.mark.parametrize("locale", ["en", *TRANSLATED])
def test_the_help_panel_gets_each_page(comfy_server, ours, locale):
    """English: the plain page (no web/docs/<id>/en.md). A translated locale: its own page, never the English
    fallback."""
    for node_id, folder in sorted(ours.items()):
        path, text = help_page(comfy_server, folder, node_id, locale)
        local = DOCS / node_id / f"{locale}.md"
        if locale in TRANSLATED:
            assert path == f"/extensions/{folder}/docs/{node_id}/{locale}.md", (node_id, path)
        want = local if local.is_file() else DOCS / f"{node_id}.md"
        assert text == want.read_text(encoding="utf-8"), (node_id, path)
        assert text.startswith("# "), (node_id, text[:80])


def test_pictures_the_pages_show_are_served(comfy_server, ours):
    folder = next(iter(ours.values()))
    shown = sorted({t for p in DOCS.rglob("*.md") for t in PICTURE.findall(p.read_text(encoding="utf-8"))})
    assert shown, "no page shows a picture"
    for name in shown:
        # the frontend's markdown renderer: a relative src becomes <docs base URL>/<src>, whichever page it is on
        r = requests.get(f"{comfy_server.url}/extensions/{folder}/docs/{name}", timeout=30)
        assert r.status_code == 200, (name, r.status_code)
        assert r.headers["content-type"].startswith("image/"), (name, r.headers["content-type"])
        assert r.content == (DOCS / name).read_bytes(), name


@pytest.mark.parametrize("node_id", ["RFInvert", "RFControlledSampler"])
def test_the_info_panel_renders_the_page_with_its_pictures(chrome, ours, node_id):
    """In the real frontend: select the node, open the Info tab; the page's title and every picture show."""
    text = (DOCS / f"{node_id}.md").read_text(encoding="utf-8")
    shown = browser.show_node_help(chrome, node_id, text.splitlines()[0].lstrip("# "))
    if "skip" in shown:
        pytest.skip(shown["skip"])
    assert help_panel_problems(shown, ours[node_id], text) == []
