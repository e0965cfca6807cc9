"""The pack in Simplified Chinese on a real server: GET /i18n serves locales/zh/ for every node of this pack that
/object_info lists, and the editor in Chinese shows it, on each frontend under test.

The editor runs in Chinese when the user's comfy.settings.json has Comfy.Locale "zh" (what the settings dialog's
Language saves); the tests set it, reopen the editor, and set it back afterwards. Then the node library lists
the nodes by their zh names under the zh category, a node put on the canvas has the zh title and input labels,
every zh text reads back from the frontend's messages exactly as written, and the node help panel shows
web/docs/<NodeId>/zh.md with its pictures.
"""
import json

import pytest

import e2e_browser as browser
import translations as i18n
from e2e_checks import help_panel_problems
from e2e_config import DOCS

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

LANG = "zh"


@pytest.fixture(scope="module")
def zh_defs():
    return i18n.node_defs(LANG)


def test_i18n_serves_the_zh_entries_of_every_node(comfy_server, object_info, ours, zh_defs):
    served = comfy_server.get_json("/i18n").get(LANG, {})
    problems = []
    for node_id in sorted(ours):
        entry = served.get("nodeDefs", {}).get(node_id)
        if entry != zh_defs.get(node_id):
            problems.append(f"{node_id}: /i18n serves {json.dumps(entry, ensure_ascii=False)[:200]}, "
                            f"locales/{LANG}/nodeDefs.json has another entry")
            continue
        # against what the server lists, not only the file: every input and output of /object_info has its text
        want = i18n.english_entry(object_info[node_id])
        problems += [f"{node_id}.{k}" for k, v in i18n.fields(want).items()
                     if not i18n.fields(entry).get(k, "").strip()]
    assert problems == []
    names = i18n.main_messages(LANG).get("nodeCategories", {})
    assert {k: served.get("nodeCategories", {}).get(k) for k in names} == names


@pytest.fixture(scope="module")
def zh_editor(chrome, frontend_server):
    """The editor in Chinese; switched back to the language it had when the module is done."""
    before = browser.set_locale(chrome, frontend_server.url, LANG)
    yield chrome
    browser.set_locale(chrome, frontend_server.url, before or "en")


_VUE = browser._VUE_GLOBALS

_NODE_DEFS = f"""
const store = {_VUE}.$pinia._s.get('nodeDef');
return Object.fromEntries(arguments[0].map(n => [n, (d => d && {{display_name: d.display_name,
  description: d.description, category: d.category}})(store.nodeDefsByName[n])]));
"""

_READ_MESSAGES = f"""
const g = {_VUE};
return Object.fromEntries(arguments[0].map(k => [k, g.$te(k) ? g.$t(k) : null]));
"""

_NODE_LIBRARY = r"""
const [folders, done] = [arguments[0], arguments[arguments.length - 1]];
const frames = n => new Promise(r => { const s = k => k ? requestAnimationFrame(() => s(k - 1)) : r(); s(n); });
const visible = () => [...document.querySelectorAll('span, div')]
  .filter(e => e.children.length === 0 && e.getClientRects().length > 0).map(e => e.textContent.trim());
(async () => {
  const tabs = document.querySelector('#vue-app').__vue_app__.config.globalProperties.$pinia._s.get('sidebarTab');
  if (tabs.activeSidebarTabId !== 'node-library') tabs.toggleSidebarTab('node-library');
  for (const folder of folders) {  // open the category's folders one by one, as a user clicks them
    const t0 = performance.now();
    let el;
    while (!(el = [...document.querySelectorAll('span')].find(e => e.children.length === 0 &&
             e.textContent.trim() === folder && e.getClientRects().length > 0))) {
      if (performance.now() - t0 > 20000) { done({error: `no folder ${folder} in the node library`,
                                                  shown: visible()}); return; }
      await frames(2);
    }
    el.click();
    await frames(10);
  }
  const shown = visible();
  tabs.toggleSidebarTab('node-library');
  done({shown});
})().catch(e => done({error: String(e && e.stack || e)}));
"""


def test_the_node_library_lists_the_nodes_by_their_zh_names(zh_editor, ours, zh_defs):
    """The node definitions the library shows carry the zh names, descriptions and categories; opening the demo
    category's folders (ComfyUI's own zh name for "sampling", then the pack's, then its demo folder inside it)
    shows every node's zh name."""
    defs = zh_editor.execute_script(_NODE_DEFS, sorted(ours))
    names = i18n.main_messages(LANG)["nodeCategories"]
    categories = sorted({d["category"] for d in defs.values()})
    assert len(categories) == 2 and categories[1] == f"{categories[0]}/{names['demo']}", categories
    folders = categories[1].split("/")
    assert folders[-2] == names["rf_inversion"], folders
    assert {n: (d["display_name"], d["description"]) for n, d in defs.items()} == {
        n: (zh_defs[n]["display_name"], zh_defs[n]["description"]) for n in ours}
    listed = zh_editor.execute_async_script(_NODE_LIBRARY, folders)
    assert "error" not in listed, listed
    assert sorted(zh_defs[n]["display_name"] for n in ours if zh_defs[n]["display_name"] not in listed["shown"]) == []


_PUT_ON_CANVAS = r"""
const node = window.LiteGraph.createNode(arguments[0]);
window.app.graph.add(node);
const out = {title: node.title,
             inputs: Object.fromEntries(node.inputs.map(i => [i.name, i.label || i.localized_name || i.name])),
             widgets: Object.fromEntries((node.widgets || []).map(w => [w.name, w.label || w.name]))};
window.app.graph.remove(node);
return out;
"""


def test_a_node_on_the_canvas_has_the_zh_title_and_input_labels(zh_editor, ours, zh_defs):
    """Each node added to the canvas: its title, the label of every input socket and of every widget."""
    problems = []
    for node_id in sorted(ours):
        shown, entry = zh_editor.execute_script(_PUT_ON_CANVAS, node_id), zh_defs[node_id]
        if shown["title"] != entry["display_name"]:
            problems.append(f"{node_id}: title {shown['title']!r}")
        for name, label in {**shown["inputs"], **shown["widgets"]}.items():
            if label != entry["inputs"][name]["name"]:
                problems.append(f"{node_id}.{name}: label {label!r}, zh {entry['inputs'][name]['name']!r}")
    assert problems == []


def test_every_zh_text_reads_back_as_written(zh_editor, ours, zh_defs):
    """The frontend's messages for every key of the pack's nodes (tooltips, names, descriptions) are the zh
    texts exactly: none lost to a missing merge or changed by the message compiler."""
    want = {f"nodeDefs.{k}": v for k, v in i18n.fields({n: zh_defs[n] for n in ours}).items()}
    got = zh_editor.execute_script(_READ_MESSAGES, sorted(want))
    assert {k: got[k] for k in want if got[k] != want[k]} == {}


@pytest.mark.parametrize("node_id", ["RFInvert", "RFControlledSampler"])
def test_the_info_panel_shows_the_zh_page_with_its_pictures(zh_editor, ours, node_id):
    """The help panel in Chinese asks for docs/<NodeId>/zh.md: its title, its pictures (named as on the English
    page, resolved against docs/) and its bold text render."""
    text = (DOCS / node_id / f"{LANG}.md").read_text(encoding="utf-8")
    shown = browser.show_node_help(zh_editor, node_id, text.splitlines()[0].lstrip("# "))
    if "skip" in shown:
        pytest.skip(shown["skip"])
    assert help_panel_problems(shown, ours[node_id], text) == []
