"""Assertion helpers shared by the end-to-end tests (pure functions over JSON)."""
import math
import re

VIRTUAL_NODES = {"Note", "MarkdownNote", "Reroute", "PrimitiveNode"}
MODEL_LOADERS = {"UNETLoader", "DualCLIPLoader", "CLIPLoader", "VAELoader"}  # the file loaders the workflows use
LINK_TYPES_NOT_WIDGETS = {"MODEL", "CLIP", "VAE", "CONDITIONING", "LATENT", "IMAGE", "MASK", "SIGMAS",
                          "SAMPLER", "NOISE", "GUIDER"}


def input_specs(object_info, class_type):
    info = object_info[class_type]["input"]
    specs = {}
    for section in ("required", "optional"):
        for name, spec in info.get(section, {}).items():
            specs[name] = (section, spec)
    return specs


MISSING_NODES_DIALOG = "global-missing-nodes"  # aria-labelledby of the missing-nodes dialog (frontends < 1.40)


def missing_node_reports(report):
    """What the editor's own UI says about missing node types: the missing-nodes dialog before frontend 1.40,
    the issues tab's missing-node group from 1.40 on."""
    shown = report["shown"]
    return ([d["text"] for d in shown["dialogs"] if d["id"] == MISSING_NODES_DIALOG]
            + [i["text"] for i in shown["issues"] or [] if i["group"] == "missing-node"])


def widget_problems(report, object_info):
    """Every widget value must be one the frontend and the server both accept."""
    problems = []
    for node in report["nodes"]:
        specs = input_specs(object_info, node["type"]) if node["type"] in object_info else {}
        for w in node["widgets"]:
            where = f"node {node['id']} {node['type']}.{w['name']}={w['value']!r}"
            value = w["value"]
            if w["type"] == "combo" and w["values"] is not None and value not in w["values"]:
                problems.append(f"{where}: not among the frontend's choices {w['values'][:8]}")
            if w["type"] == "number":
                if not isinstance(value, (int, float)) or not math.isfinite(value):
                    problems.append(f"{where}: not a finite number")
                elif (w["min"] is not None and value < w["min"]) or (w["max"] is not None and value > w["max"]):
                    problems.append(f"{where}: outside the widget's range [{w['min']}, {w['max']}]")
            if w["name"] not in specs:
                continue
            kind, opts = specs[w["name"]][1][0], (specs[w["name"]][1][1] if len(specs[w["name"]][1]) > 1 else {})
            if isinstance(kind, list) or kind == "COMBO":
                choices = kind if isinstance(kind, list) else opts.get("options", [])
                if value not in choices:
                    problems.append(f"{where}: the server offers {choices[:8]}")
            elif kind in ("INT", "FLOAT"):
                if kind == "INT" and (not isinstance(value, int) or isinstance(value, bool)):
                    if not (isinstance(value, float) and value.is_integer()):
                        problems.append(f"{where}: INT input holds a non-integer")
                if "min" in opts and value < opts["min"]:
                    problems.append(f"{where}: below the server's min {opts['min']}")
                if "max" in opts and value > opts["max"]:
                    problems.append(f"{where}: above the server's max {opts['max']}")
            elif kind == "BOOLEAN" and not isinstance(value, bool):
                problems.append(f"{where}: BOOLEAN input holds a non-boolean")
    return problems


def prompt_problems(api_prompt, graph_nodes, object_info):
    """The frontend's API prompt must contain every executable node with sound links and all required inputs."""
    problems = []
    executable = [n for n in graph_nodes if n["type"] not in VIRTUAL_NODES]
    for n in executable:
        entry = api_prompt.get(str(n["id"]))
        if entry is None:
            problems.append(f"node {n['id']} {n['type']} missing from the API prompt")
            continue
        if entry["class_type"] != n["type"]:
            problems.append(f"node {n['id']}: class_type {entry['class_type']} != {n['type']}")
    for node_id, entry in api_prompt.items():
        ct = entry["class_type"]
        if ct not in object_info:
            problems.append(f"{node_id}: {ct} is not a server node")
            continue
        specs = input_specs(object_info, ct)
        for name, (section, _spec) in specs.items():
            if section == "required" and name not in entry["inputs"]:
                problems.append(f"{node_id} {ct}: required input {name} not set")
        for name, value in entry["inputs"].items():
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                src = api_prompt.get(value[0])
                if src is None:
                    problems.append(f"{node_id} {ct}.{name}: links to absent node {value[0]}")
                    continue
                outputs = object_info[src["class_type"]]["output"]
                if not 0 <= value[1] < len(outputs):
                    problems.append(f"{node_id} {ct}.{name}: output {value[1]} of {src['class_type']} does not exist")
                elif name in specs:
                    want = specs[name][1][0]
                    have = outputs[value[1]]
                    if isinstance(want, str) and want != "*" and have != "*" and want != have:
                        problems.append(f"{node_id} {ct}.{name}: wants {want}, gets {have}")
    return problems


def nodes_of(api_prompt, class_type):
    return {k: v for k, v in api_prompt.items() if v["class_type"] == class_type}


def only(api_prompt, class_type):
    found = nodes_of(api_prompt, class_type)
    assert len(found) == 1, f"expected one {class_type}, found {len(found)}"
    return next(iter(found.items()))


def model_loader_of(api_prompt, link):
    """The id of the UNETLoader behind a MODEL link, through model patches (each node's "model" input, e.g. a
    ModelSamplingAuraFlow); None for the demo's model (RFDemoSceneModel), which ships with the pack."""
    node_id = link[0]
    while api_prompt[node_id]["class_type"] != "UNETLoader":
        if api_prompt[node_id]["class_type"] == "RFDemoSceneModel":
            return None
        assert "model" in api_prompt[node_id]["inputs"], f"no UNETLoader behind {link}"
        node_id = api_prompt[node_id]["inputs"]["model"][0]
    return node_id


def source_of(api_prompt, link):
    return api_prompt[link[0]]["class_type"], link[1]


PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")  # a markdown picture: its relative src


def help_panel_problems(shown, folder, page_text):
    """How the node help panel's content (e2e_browser.show_node_help) differs from the page it should show: its
    title, every picture loaded from /extensions/<folder>/docs/ (the frontend's base for relative pictures,
    whichever locale page it shows), and no markdown left unrendered."""
    problems = []
    title = page_text.splitlines()[0].lstrip("# ")
    if shown["title"] != title:
        problems.append(f"title {shown['title']!r}, page {title!r}")
    want = [f"/extensions/{folder}/docs/{p}" for p in PICTURE.findall(page_text)]
    if [i["src"] for i in shown["imgs"]] != want:
        problems.append(f"pictures {shown['imgs']}, page {want}")
    problems += [f"picture {i['src']} did not load" for i in shown["imgs"] if not i["loaded"]]
    if "**" in shown["text"]:
        problems.append("bold text left as ** (the renderer did not read it as emphasis)")
    return problems
