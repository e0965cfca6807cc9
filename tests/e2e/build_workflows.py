"""Regenerate workflows/*.json, their template previews and docs/screenshots from workflow_specs.py.

The graphs are assembled inside ComfyUI's real frontend (LiteGraph.createNode,
node.connect, graph.serialize), so the files are exactly what the editor
writes for this ComfyUI/frontend version. Needs the pack's real nodes, a
ComfyUI checkout and Chromium (see tests/e2e/install_browser.sh):

    COMFYUI_PATH=~/.cache/comfyui-rf-inversion/ComfyUI-0.30.0 \
        ~/.cache/comfyui-rf-inversion/venv-0.30.0/bin/python tests/e2e/build_workflows.py [name ...]   # after bash .ci/run
"""
import argparse
import contextlib
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import e2e_browser as browser  # noqa: E402
import e2e_server  # noqa: E402
import e2e_fixtures as fixtures_data  # noqa: E402
import workflow_specs  # noqa: E402
import workflow_specs_families  # noqa: E402

REPO = e2e_server.REPO_ROOT
WORKFLOW_DIR = REPO / "workflows"
WORKFLOWS = {**workflow_specs.WORKFLOWS, **workflow_specs_families.WORKFLOWS}
SCREENSHOT_DIR = REPO / "docs" / "screenshots"

_BUILD_JS = r"""
const spec = arguments[0];
const done = arguments[arguments.length - 1];
(async () => {
  await window.app.loadGraphData({nodes: [], links: [], groups: [], version: 0.4,
                                  last_node_id: 0, last_link_id: 0, config: {}, extra: {}},
                                 true, false, null);
  const graph = window.app.graph;
  const byKey = {};
  for (const n of spec.nodes) {
    const node = window.LiteGraph.createNode(n.type);
    if (!node) throw new Error("unknown node type " + n.type);
    if (n.title) node.title = n.title;
    graph.add(node);
    node.pos = n.pos;
    for (const w of node.widgets || []) {  // reproducible by default: seeds stay fixed
      if (w.name === "control_after_generate") w.value = "fixed";
    }
    for (const [name, value] of Object.entries(n.widgets || {})) {
      const w = (node.widgets || []).find(w => w.name === name);
      if (!w) throw new Error(n.type + " has no widget " + name + "; has " + (node.widgets || []).map(w => w.name));
      w.value = value;
    }
    const auto = node.computeSize();
    node.size = n.size ? [Math.max(n.size[0], auto[0]), Math.max(n.size[1], auto[1])] : auto;
    if (n.color) { node.color = n.color[0]; node.bgcolor = n.color[1]; }
    if (n.models) node.properties.models = n.models;
    byKey[n.key] = node;
  }
  for (const [from, out, to, inp] of spec.links) {
    const src = byKey[from], dst = byKey[to];
    const oi = typeof out === "number" ? out : src.findOutputSlot(out);
    const ii = dst.findInputSlot(inp);
    if (oi < 0 || ii < 0) throw new Error(`bad link ${from}.${out} -> ${to}.${inp}`);
    if (!src.connect(oi, dst, ii)) throw new Error(`connect refused ${from}.${out} -> ${to}.${inp}`);
  }
  for (const [title, keys, color] of spec.groups) {
    const g = new window.LiteGraph.LGraphGroup(title);
    const pad = 30, head = 50;
    const xs = keys.map(k => byKey[k].pos[0]), ys = keys.map(k => byKey[k].pos[1]);
    const xe = keys.map(k => byKey[k].pos[0] + byKey[k].size[0]);
    const ye = keys.map(k => byKey[k].pos[1] + byKey[k].size[1]);
    g.pos = [Math.min(...xs) - pad, Math.min(...ys) - head - pad];
    g.size = [Math.max(...xe) - Math.min(...xs) + 2 * pad, Math.max(...ye) - Math.min(...ys) + head + 2 * pad];
    g.color = color;
    graph.add(g);
  }
  // JSON round trip drops undefined fields, as the editor's own save does.
  done({json: JSON.stringify(graph.serialize())});
})().catch(e => done({error: String(e && e.stack || e)}));
"""


def build(driver, name, spec):
    result = driver.execute_async_script(_BUILD_JS, spec)
    if "error" in result:
        raise RuntimeError(f"{name}: {result['error']}")
    data = json.loads(result["json"])
    data.get("extra", {}).pop("ds", None)  # no stored view: the editor fits the graph on load
    return data


def save_preview(png_path, jpg_path, width=512):
    from PIL import Image

    img = Image.open(png_path).convert("RGB")
    h = round(img.height * width / img.width)
    img.resize((width, h), Image.LANCZOS).save(jpg_path, quality=85)


@contextlib.contextmanager
def editor(prefix, pack_dir=REPO, prepare_inputs=None):
    """A real ComfyUI (this pack loaded) in a throw-away base directory and the real editor open on it, for the
    build scripts: yields (server, driver) and stops both, and removes the directory, however the build ends.
    prepare_inputs(base) fills base/input before the server starts."""
    comfy_dir = e2e_server.find_comfyui()
    if comfy_dir is None:
        sys.exit("ComfyUI not found: set COMFYUI_PATH")
    reason = browser.browser_missing_reason()
    if reason:
        sys.exit(reason)
    base = tempfile.mkdtemp(prefix=prefix)
    server = e2e_server.ComfyServer(comfy_dir, base, pack_dir=pack_dir, frontend_settings=browser.FRONTEND_SETTINGS)
    if prepare_inputs is not None:
        prepare_inputs(comfy_dir, Path(base))
    driver = None
    try:
        server.start()
        driver = browser.make_driver(Path(base) / "chrome-profile")
        driver.set_window_size(*browser.SCREENSHOT_WINDOW)
        browser.open_app(driver, server.url)
        yield server, driver
    finally:
        if driver is not None:
            browser.quit_driver(driver)
        server.stop()
        e2e_server.cleanup_base_dir(base)


def _workflow_inputs(comfy_dir, base):
    shipped = comfy_dir / "input" / "example.png"  # what users see in the loader
    if shipped.is_file():
        shutil.copy(shipped, base / "input" / "example.png")
    else:
        fixtures_data.write_source_image(base / "input" / "example.png", size=256)
    fixtures_data.write_source_video(base / "input" / workflow_specs_families.SOURCE_VIDEO)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="workflows to build (default: all)")
    ap.add_argument("--pack-dir", default=str(REPO), help="pack folder to load (default: this repo)")
    args = ap.parse_args(argv)
    names = args.names or list(WORKFLOWS)
    with editor("rfinv-build-", args.pack_dir, _workflow_inputs) as (_, driver):
        WORKFLOW_DIR.mkdir(exist_ok=True)
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        for name in names:
            data = build(driver, name, WORKFLOWS[name]())
            (WORKFLOW_DIR / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
            report = browser.load_workflow(driver, data, name)
            if report["missing"]:
                raise RuntimeError(f"{name}: missing nodes {report['missing']}")
            shot, pictured = browser.screenshot(driver, SCREENSHOT_DIR / f"{name}.png")
            if sorted(str(n["id"]) for n in pictured) != sorted(str(n["id"]) for n in data["nodes"]):
                raise RuntimeError(f"{name}: the screenshot shows another graph than the one just built")
            save_preview(shot, WORKFLOW_DIR / f"{name}.jpg")
            print(f"wrote workflows/{name}.json, workflows/{name}.jpg, docs/screenshots/{name}.png")


if __name__ == "__main__":
    main()
