"""Drive ComfyUI's real frontend in headless Chromium through selenium.

Only Debian's /usr/bin/chromium and /usr/bin/chromedriver are used; selenium is
never allowed to download a driver. All waits are bounded polls on page state.
"""
import json
import os
import shutil
import time
from pathlib import Path

import e2e_frontends as frontends

CHROMIUM = os.environ.get("RFINV_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("RFINV_CHROMEDRIVER", "/usr/bin/chromedriver")

CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1600,1000",
]

# Settings the frontend reads from user/default/comfy.settings.json: skip the
# first-run template dialog; keep the missing-node/model warnings, the issues
# tab that lists them on frontends >= 1.40 and the workflow schema validation
# on, because the tests assert on them.
FRONTEND_SETTINGS = {
    "Comfy.TutorialCompleted": True,
    "Comfy.Workflow.ShowMissingNodesWarning": True,
    "Comfy.Workflow.ShowMissingModelsWarning": True,
    "Comfy.RightSidePanel.ShowErrorsTab": True,
    "Comfy.Validation.Workflows": True,
    "Comfy.Minimap.Visible": False,
    "LiteGraph.Canvas.MinFontSizeForLOD": 1,  # draw titles and widgets even when zoomed out
}

SCREENSHOT_WINDOW = (2000, 1150)


def browser_missing_reason():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        return ("headless Chromium not found (%s); run tests/e2e/install_browser.sh "
                "(apt-get install chromium chromium-driver)" % ", ".join(missing))
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed; pip install selenium"
    return None


def make_driver(profile_dir):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    for flag in CHROME_FLAGS + [f"--user-data-dir={profile_dir}"]:
        opts.add_argument(flag)
    opts.binary_location = CHROMIUM
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.set_script_timeout(120)
    return driver


def wait_for(driver, js, timeout=120, what="condition"):
    """Poll a JS expression until truthy; bounded, raises with the page's console on timeout."""
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
            lambda d: d.execute_script("return " + js))
    except Exception as exc:
        raise TimeoutError(f"timed out after {timeout}s waiting for {what}\n{console_errors(driver)}") from exc


def console_errors(driver):
    try:
        return "\n".join(e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE")
    except Exception:
        return ""


_CAPTURE_EXTENSION = r"""
if (!window.__e2e) {
  window.__e2e = {missing: null, configured: 0};
  window.app.registerExtension({
    name: "rfinv.e2e.capture",
    async afterConfigureGraph(missingNodeTypes) {
      window.__e2e.missing = (missingNodeTypes || []).map(t => typeof t === "string" ? t : t.type);
      window.__e2e.configured += 1;
    },
  });
}
return true;
"""


def open_app(driver, url, timeout=120):
    """Open the editor and wait until it has its node types; returns the frontend version the page runs."""
    driver.get(url)
    wait_for(driver, "!!(window.app && window.app.graph && window.LiteGraph && "
                     "Object.keys(window.LiteGraph.registered_node_types).length > 50 && "
                     "document.querySelector('canvas'))", timeout, "the ComfyUI frontend to start")
    driver.execute_script(_CAPTURE_EXTENSION)
    return page_frontend_version(driver)


def page_frontend_version(driver):
    return driver.execute_script("return window.__COMFYUI_FRONTEND_VERSION__")


_LOAD_AND_INSPECT = r"""
const [data, name, done] = [arguments[0], arguments[1], arguments[arguments.length - 1]];
(async () => {
  const before = window.__e2e.configured;
  document.querySelectorAll('.p-toast-message').forEach(t => t.remove());
  await window.app.loadGraphData(data, true, true, name);
  const nodes = window.app.graph.nodes.map(n => ({
    id: n.id, type: n.type, title: n.title, has_errors: !!n.has_errors,
    registered: n.type in window.LiteGraph.registered_node_types,
    widgets: (n.widgets || []).map(w => ({
      name: w.name, type: w.type,
      value: (typeof w.value === "number" && !isFinite(w.value)) ? String(w.value) : w.value,
      values: (w.options && Array.isArray(w.options.values)) ? w.options.values : null,
      min: w.options ? w.options.min : null, max: w.options ? w.options.max : null,
    })),
    inputs: (n.inputs || []).map(i => ({name: i.name, type: i.type, link: i.link})),
  }));
  done({configured: window.__e2e.configured > before, missing: window.__e2e.missing,
        serialized: JSON.stringify(window.app.graph.serialize()), nodes});
})().catch(e => done({error: String(e && e.stack || e)}));
"""

# What the editor shows the user after a load. Dialogs (the missing-nodes dialog of frontends < 1.40 has
# aria-labelledby "global-missing-nodes") and toasts on every frontend. Frontends >= 1.40 (arguments[0]) show
# an error overlay instead, whose "View details" opens the right side panel on its issues tab: that tab is
# listed only while the workflow has issues, so the panel is opened (by the overlay's button, else through the
# panel's open setting) to read its groups (missing-node, missing-model, ...), then closed again.
_EDITOR_MESSAGES = r"""
const [issuesTab, done] = [arguments[0], arguments[arguments.length - 1]];
const frames = n => new Promise(r => {
  const step = k => k ? requestAnimationFrame(() => step(k - 1)) : r();
  step(n);
});
const shown = sel => Array.from(document.querySelectorAll(sel)).filter(e => e.getClientRects().length > 0);
const text = e => e.innerText.trim();
async function until(what, pred, ms) {
  const t0 = performance.now();
  while (!pred()) {
    if (performance.now() - t0 > ms) throw new Error("timed out waiting for " + what);
    await frames(1);
  }
}
(async () => {
  await frames(2);  // dialogs and toasts are mounted by Vue after loadGraphData resolves
  const out = {
    dialogs: shown('.p-dialog, [role=dialog]').filter(text).map(d => ({id: d.getAttribute('aria-labelledby') || '',
                                                                        text: text(d)})),
    toasts: shown('.p-toast-message').map(text).filter(t => t),
    overlay: shown('[data-testid=error-overlay]').map(text),
    issues: null,
  };
  if (issuesTab) {
    const setting = window.app.extensionManager.setting;
    const details = document.querySelector('[data-testid=error-overlay-see-errors]');
    if (details) details.click(); else await setting.set('Comfy.RightSidePanel.IsOpen', true);
    await until('the right side panel', () => document.querySelector('[data-testid=properties-panel]'), 20000);
    await frames(2);
    out.issues = [];
    const tab = document.querySelector('[data-testid=panel-tab-errors]');
    if (tab) {
      tab.click();
      const groups = () => Array.from(document.querySelectorAll('[data-testid^=error-group-]'))
        .filter(g => g.dataset.testid !== 'error-group-display-message');
      await until('the issues tab', () => groups().length > 0, 20000);
      out.issues = groups().map(g => ({group: g.dataset.testid.replace('error-group-', ''), text: text(g)}));
    }
    await setting.set('Comfy.RightSidePanel.IsOpen', false);
    await until('the right side panel to close',
                () => !document.querySelector('[data-testid=properties-panel]'), 20000);
  }
  done(out);
})().catch(e => done({error: String(e && e.stack || e)}));
"""

_GRAPH_TO_PROMPT = r"""
const done = arguments[arguments.length - 1];
window.app.graphToPrompt().then(p => done({output: p.output, workflow: p.workflow}))
  .catch(e => done({error: String(e && e.stack || e)}));
"""


def load_workflow(driver, data, name):
    """loadGraphData the way a drag-and-drop or template click does; return what the frontend made of it.
    What the editor showed the user about it: report["shown"] (see editor_messages) and report["dialogs"], one
    line per dialog, toast, error overlay or issues-tab group (empty: the editor said nothing)."""
    report = driver.execute_async_script(_LOAD_AND_INSPECT, data, name)
    if "error" in report:
        raise AssertionError(f"loadGraphData failed: {report['error']}\n{console_errors(driver)}")
    report["serialized"] = json.loads(report["serialized"])
    report["shown"] = editor_messages(driver)
    report["dialogs"] = message_lines(report["shown"])
    return report


def message_lines(shown):
    return ([f"dialog {d['id']}: {d['text']}" for d in shown["dialogs"]]
            + [f"toast: {t}" for t in shown["toasts"]]
            + [f"error overlay: {t}" for t in shown["overlay"]]
            + [f"issues tab, {i['group']}: {i['text']}" for i in shown["issues"] or []])


def editor_messages(driver):
    """{"dialogs": [{"id", "text"}], "toasts": [...], "overlay": [...], "issues": [{"group", "text"}] or None
    where the frontend has no issues tab (< 1.40)}."""
    version = page_frontend_version(driver)
    has_issues_tab = frontends.version_tuple(version) >= frontends.ISSUES_TAB_SINCE
    shown = driver.execute_async_script(_EDITOR_MESSAGES, has_issues_tab)
    if "error" in shown:
        raise AssertionError(f"could not read what frontend {version} shows: {shown['error']}\n"
                             f"{console_errors(driver)}")
    return shown


def close_dialogs(driver):
    """Close the editor's dialogs with their close buttons, as a user would."""
    driver.execute_script("document.querySelectorAll('.p-dialog-close-button').forEach(b => b.click());")
    wait_for(driver, "document.querySelectorAll('.p-dialog').length === 0", 20, "the dialogs to close")


def graph_to_prompt(driver):
    result = driver.execute_async_script(_GRAPH_TO_PROMPT)
    if "error" in result:
        raise AssertionError(f"app.graphToPrompt() failed: {result['error']}")
    return result


_FRAME_GRAPH = r"""
const done = arguments[arguments.length - 1];
(async () => {
  // hide menus and side bars: a clean canvas for the picture (FOCUS_MODE_OFF turns them on again)
  await window.app.extensionManager.command.execute("Workspace.ToggleFocusMode");
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));  // the canvas takes the room
  const items = [...window.app.graph.nodes, ...(window.app.graph.groups || [])];
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const it of items) {
    const b = it.boundingRect || [it.pos[0], it.pos[1] - 30, it.size[0], it.size[1] + 30];
    x0 = Math.min(x0, b[0]); y0 = Math.min(y0, b[1]);
    x1 = Math.max(x1, b[0] + b[2]); y1 = Math.max(y1, b[1] + b[3]);
  }
  const ds = window.app.canvas.ds;
  ds.fitToBounds([x0, y0, x1 - x0, y1 - y0], {zoom: 0.96});
  window.app.graph.setDirtyCanvas(true, true);
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const rect = window.app.canvas.canvas.getBoundingClientRect();
  const toScreen = (x, y) => [(x + ds.offset[0]) * ds.scale + rect.left, (y + ds.offset[1]) * ds.scale + rect.top];
  done({box: [...toScreen(x0, y0), ...toScreen(x1, y1)], dpr: window.devicePixelRatio,
        nodes: window.app.graph.nodes.map(n => ({id: n.id, type: n.type, title: n.title}))});
})().catch(e => done({error: String(e && e.stack || e)}));
"""

_FOCUS_MODE_OFF = r"""
const done = arguments[arguments.length - 1];
window.app.extensionManager.command.execute("Workspace.ToggleFocusMode")
  .then(() => requestAnimationFrame(() => requestAnimationFrame(() => done(null))))
  .catch(e => done(String(e && e.stack || e)));
"""


def screenshot(driver, path, margin=16):
    """Fit the graph to the window, hide the menus, save a PNG cropped to the graph, show the menus again.
    Returns (path, the graph's nodes as {id, type, title} when the picture was taken)."""
    from PIL import Image

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    framed = driver.execute_async_script(_FRAME_GRAPH)
    if "error" in framed:
        raise AssertionError(f"could not frame the graph: {framed['error']}")
    try:
        driver.save_screenshot(str(path))
    finally:
        failed = driver.execute_async_script(_FOCUS_MODE_OFF)
    if failed:
        raise AssertionError(f"could not leave focus mode after the screenshot: {failed}")
    img = Image.open(path)
    dpr = framed["dpr"] or 1
    x0, y0, x1, y1 = (v * dpr for v in framed["box"])
    box = (max(0, int(x0 - margin)), max(0, int(y0 - margin)),
           min(img.width, int(x1 + margin)), min(img.height, int(y1 + margin)))
    img.crop(box).save(path)
    return Path(path), framed["nodes"]


_VUE_GLOBALS = "document.querySelector('#vue-app').__vue_app__.config.globalProperties"


def set_locale(driver, url, locale):
    """Switch the editor's language as a user does who picks it in the settings dialog and opens ComfyUI again:
    Comfy.Locale in the user's comfy.settings.json (POST /settings/Comfy.Locale, what the dialog saves), then the
    editor reopened. Returns the Comfy.Locale the page had before, for switching back."""
    import requests

    before = driver.execute_script("return window.app.extensionManager.setting.get('Comfy.Locale')")
    requests.post(f"{url}/settings/Comfy.Locale", json=locale, timeout=30).raise_for_status()
    open_app(driver, url)
    shown = driver.execute_script(f"return {_VUE_GLOBALS}.$i18n.locale")
    if shown != locale:
        raise AssertionError(f"Comfy.Locale {locale!r} saved, but the editor runs in {shown!r}")
    return before


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
  if (!box || !box.innerText.includes(TITLE) || imgs.some(i => !i.complete)) return null;
  return {title: box.querySelector('h1') && box.querySelector('h1').innerText, text: box.innerText,
          imgs: imgs.map(i => ({src: i.getAttribute('src'), loaded: i.naturalWidth > 0}))};
})()"""


def show_node_help(driver, node_id, title, timeout=60):
    """Select a new node_id node on an empty canvas and open the right side panel's Info tab, as a user does;
    wait until the help page titled `title` shows with its pictures loaded. Returns {"title", "text", "imgs":
    [{"src", "loaded"}]}, or {"skip": reason} on a frontend without that panel."""
    opened = driver.execute_async_script(_SHOW_HELP, node_id)
    if "error" in opened:
        raise AssertionError(f"could not open the Info tab of {node_id}: {opened['error']}")
    if "skip" in opened:
        return opened
    return wait_for(driver, _HELP_SHOWN.replace("TITLE", json.dumps(title)), timeout, f"{node_id}'s help page")


def quit_driver(driver, timeout=15):
    start = time.monotonic()
    try:
        driver.quit()
    finally:
        # chromedriver's own process is stopped by quit(); make sure of it by pid.
        proc = getattr(getattr(driver, "service", None), "process", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=max(1, timeout - (time.monotonic() - start)))
