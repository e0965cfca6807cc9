"""A real server serves a help page for every node of this pack, at the URLs the frontend's node help panel asks
for, and the pictures the pages show.

The frontend (comfyui-frontend-package 1.39 to 1.58, NodeHelpService) takes the pack's folder from the node's
python_module ("custom_nodes.<folder>", anything after an "@" dropped), fetches
/extensions/<folder>/docs/<NodeId>/<locale>.md, then /extensions/<folder>/docs/<NodeId>.md, and treats a reply
that is not ok or is text/html as missing. Relative pictures resolve against /extensions/<folder>/docs/.
"""
import re

import pytest
import requests

import e2e_browser as browser
from e2e_server import PACK_DIR_NAME, REPO_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

DOCS = REPO_ROOT / "web" / "docs"
PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def frontend_folder(info):
    """The pack folder the frontend reads from a node's python_module, or None for a core node."""
    parts = info.get("python_module", "").split(".")
    return parts[1].split("@")[0] if len(parts) >= 2 and parts[0] == "custom_nodes" else None


def help_page(server, folder, node_id, locale):
    """What the help panel shows: the locale page if served as non-HTML, else the plain page."""
    tried = []
    for path in (f"/extensions/{folder}/docs/{node_id}/{locale}.md", f"/extensions/{folder}/docs/{node_id}.md"):
        r = requests.get(server.url + path, timeout=30)
        tried.append((path, r.status_code, r.headers.get("content-type")))
        if r.ok and "text/html" not in r.headers.get("content-type", ""):
            return path, r.content.decode("utf-8")  # fetch's Response.text() decodes UTF-8 whatever the header
    raise AssertionError(f"no help page for {node_id}: {tried}")


@pytest.fixture(scope="module")
def ours(object_info):
    """node id -> pack folder, for the nodes the server loaded from this pack."""
    found = {n: frontend_folder(i) for n, i in object_info.items() if frontend_folder(i) == PACK_DIR_NAME}
    assert found, f"the server lists no node from custom_nodes/{PACK_DIR_NAME}"
    return found


def test_every_node_of_the_pack_has_a_page(ours):
    assert sorted(ours) == sorted(p.stem for p in DOCS.glob("*.md"))


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_the_help_panel_gets_each_page(comfy_server, ours, locale):
    for node_id, folder in sorted(ours.items()):
        path, text = help_page(comfy_server, folder, node_id, locale)
        local = DOCS / node_id / f"{locale}.md"
        want = local if local.is_file() else DOCS / f"{node_id}.md"
        assert text == want.read_text(), (node_id, path)
        assert text.startswith("# "), (node_id, text[:80])


def test_pictures_the_pages_show_are_served(comfy_server, ours):
    folder = next(iter(ours.values()))
    shown = sorted({t for p in DOCS.glob("*.md") for t in PICTURE.findall(p.read_text())})
    assert shown, "no page shows a picture"
    for name in shown:
        # the frontend's markdown renderer: a relative src becomes <docs base URL>/<src>
        r = requests.get(f"{comfy_server.url}/extensions/{folder}/docs/{name}", timeout=30)
        assert r.status_code == 200, (name, r.status_code)
        assert r.headers["content-type"].startswith("image/"), (name, r.headers["content-type"])
        assert r.content == (DOCS / name).read_bytes(), name


_SHOW_HELP = r"""
const [name, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const pinia = document.querySelector('#vue-app').__vue_app__.config.globalProperties.$pinia;
  const panel = pinia._s.get('rightSidePanel');
  if (!panel) { done({skip: "this frontend has no right side panel with an Info tab"}); return; }
  await window.app.loadGraphData({nodes: [], links: [], groups: [], version: 0.4, last_node_id: 0,
                                  last_link_id: 0, config: {}, extra: {}}, true, false, null);
  const node = window.LiteGraph.createNode(name);
  window.app.graph.add(node);
  window.app.canvas.deselectAll();
  window.app.canvas.selectNode(node);
  panel.openPanel('info');
  done({opened: true});
})().catch(e => done({error: String(e && e.stack || e)}));
"""

_HELP_SHOWN = r"""(() => {
  const box = document.querySelector('.node-help-content');
  const imgs = box ? [...box.querySelectorAll('img')] : [];
  if (!box || !box.innerText.includes(arguments[0]) || imgs.some(i => !i.complete)) return null;
  return {title: box.querySelector('h1') && box.querySelector('h1').innerText,
          imgs: imgs.map(i => ({src: i.getAttribute('src'), loaded: i.naturalWidth > 0}))};
})()"""


@pytest.mark.parametrize("node_id", ["RFInvert", "RFControlledSampler"])
def test_the_info_panel_renders_the_page_with_its_pictures(chrome, ours, node_id):
    """In the real frontend: select the node, open the Info tab; the page's title and every picture show."""
    opened = chrome.execute_async_script(_SHOW_HELP, node_id)
    assert "error" not in opened, opened
    if "skip" in opened:
        pytest.skip(opened["skip"])
    title = (DOCS / f"{node_id}.md").read_text().splitlines()[0].lstrip("# ")
    shown = browser.wait_for(chrome, _HELP_SHOWN.replace("arguments[0]", repr(title)), 60, f"{node_id}'s help page")
    assert shown["title"] == title
    pictures = PICTURE.findall((DOCS / f"{node_id}.md").read_text())
    assert [i["src"] for i in shown["imgs"]] == [f"/extensions/{ours[node_id]}/docs/{p}" for p in pictures]
    assert all(i["loaded"] for i in shown["imgs"]), shown["imgs"]
