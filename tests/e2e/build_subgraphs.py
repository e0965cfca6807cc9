"""Regenerate subgraphs/*.json, the subgraph blueprints ComfyUI serves from this pack at /global_subgraphs.

Each blueprint is made inside ComfyUI's real frontend as a user makes one: the pack's nodes are placed and wired
with the nodes that will feed them (build_workflows.py's graph builder), the links that enter or leave the pack's
nodes become the blueprint's inputs and output (graph.convertToSubgraph), and the frontend's own "Publish
Subgraph" command writes the file. Needs a
ComfyUI checkout and Chromium (see tests/e2e/install_browser.sh); build with the current ComfyUI's frontend:

    COMFYUI_PATH=/path/to/ComfyUI python tests/e2e/build_subgraphs.py ["RF-Inversion edit (glasses)" ...]
"""
import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_workflows as workflows  # noqa: E402
import e2e_server  # noqa: E402
from paper import paper_rows  # noqa: E402  (tests/support, on sys.path from e2e_server)

SUBGRAPH_DIR = e2e_server.REPO_ROOT / "subgraphs"

# The paper's settings (Rout et al. 2025): 28 steps, gamma 0.5, the inversion at guidance 0, the edit at guidance
# 3.5; eta 0.9 on steps [0, 7) is the diffusers community pipeline's README example (the pack's defaults).
RF_EDIT = {
    "name": "RF-Inversion edit",
    "category": "Image generation and editing/Edit image",
    "description": "Edits a real image with a text prompt by RF-Inversion (Rout et al., ICLR 2025): inverts the "
    "image latent into structured noise (gamma 0.5, guidance 0, from the source prompt; leave it empty as the "
    "paper does) and generates from it with the edit prompt (guidance 3.5) while eta 0.9 pulls towards the "
    "source on steps [0, 7) of 28. Decode the output with the model's VAE.",
    "search_aliases": ["rf-inversion", "rf inversion", "inversion edit", "image edit", "flux edit", "unsampler"],
    "nodes": {
        "invert": ("RFInvert", [380, 0], {"steps": 28, "gamma": 0.5, "seed": 0, "guidance": 0.0, "start_step": 0}),
        "edit": ("RFControlledSampler", [760, 0], {
            "steps": 28, "start_step": 0, "stop_step": 7, "eta": 0.9, "eta_schedule": "constant", "guidance": 3.5,
            "mode": "ode", "seed": 0}),
    },
    # one blueprint input each: (label, outer node that feeds it, its widget values, [(node, input)])
    "inputs": [
        ("model", "UNETLoader", {}, [("invert", "model"), ("edit", "model")]),
        ("source prompt", "CLIPTextEncode", {}, [("invert", "conditioning")]),
        ("edit prompt", "CLIPTextEncode", {}, [("edit", "conditioning")]),
        ("latent", "VAEEncode", {}, [("invert", "latent"), ("edit", "reference")]),
        ("steps", "PrimitiveInt", {"value": 28}, [("invert", "steps"), ("edit", "steps")]),
        ("gamma", "PrimitiveFloat", {"value": 0.5}, [("invert", "gamma")]),
        ("eta", "PrimitiveFloat", {"value": 0.9}, [("edit", "eta")]),
        ("stop_step", "PrimitiveInt", {"value": 7}, [("edit", "stop_step")]),
        ("edit guidance", "PrimitiveFloat", {"value": 3.5}, [("edit", "guidance")]),
    ],
    "links": [("invert", 0, "edit", "inverted")],  # inside the blueprint
    "output": ("edited latent", ("edit", 0), "VAEDecode", "samples"),
}
# The paper's per-task settings (Rout et al., ICLR 2025, the table of per-task hyper-parameters), as README.md lists
# them: task -> (start_step, stop_step, eta), all at 28 steps, gamma 0.5, guidance 0 / 3.5. One blueprint per task.
PAPER_TASKS = paper_rows()


def preset(task, start_step, stop_step, eta):
    """RF_EDIT with one task's row of the paper's table; start_step is an input that sets both nodes."""
    row = {"start_step": start_step, "stop_step": stop_step, "eta": eta}
    (inv_type, inv_pos, inv_widgets), (edit_type, edit_pos, edit_widgets) = RF_EDIT["nodes"].values()
    nodes = {"invert": (inv_type, inv_pos, {**inv_widgets, "start_step": start_step}),
             "edit": (edit_type, edit_pos, {**edit_widgets, **row})}
    inputs = [(label, kind, {"value": row[label]} if label in row else widgets, targets)
              for label, kind, widgets, targets in RF_EDIT["inputs"]]
    inputs.append(("start_step", "PrimitiveInt", {"value": start_step},
                   [("invert", "start_step"), ("edit", "start_step")]))
    return {
        **RF_EDIT, "name": f"RF-Inversion edit ({task})", "nodes": nodes, "inputs": inputs,
        "description": f"RF-Inversion edit with the paper's {task} setting (Rout et al., ICLR 2025, the per-task "
        f"table): start_step {start_step} on both nodes, eta {eta} on steps [{start_step}, {stop_step}) of 28, gamma "
        "0.5, the inversion at guidance 0 and the edit at 3.5. The values show on the node; change them there.",
        "search_aliases": [*RF_EDIT["search_aliases"], task, f"{task} edit"],
    }


SUBGRAPHS = [RF_EDIT, *(preset(task, *row) for task, row in PAPER_TASKS.items())]


def graph_spec(spec):
    """The blueprint's nodes, the nodes feeding its inputs and the one reading its output, in the form
    build_workflows.py builds graphs from."""
    nodes = [{"key": key, "type": t, "pos": pos, "widgets": w} for key, (t, pos, w) in spec["nodes"].items()]
    links = list(spec["links"])
    for i, (_, node_type, widgets, targets) in enumerate(spec["inputs"]):
        nodes.append({"key": f"input{i}", "type": node_type, "pos": [0, i * 90], "widgets": widgets})
        links += [(f"input{i}", 0, key, name) for key, name in targets]
    _, (key, slot), sink_type, sink_input = spec["output"]
    nodes.append({"key": "output", "type": sink_type, "pos": [1200, 0], "widgets": {}})
    links.append((key, slot, "output", sink_input))
    return {"nodes": nodes, "links": links, "groups": []}


_CONVERT_JS = r"""
const spec = arguments[0];
const done = arguments[arguments.length - 1];
(async () => {
  const graph = window.app.graph;
  const keyOf = {};  // node type -> spec key, for the blueprint's own nodes
  for (const [key, [type]] of Object.entries(spec.nodes)) keyOf[type] = key;
  const inner = Object.values(spec.nodes).map(([type]) => graph.nodes.find(n => n.type === type));
  // the conversion makes the inputs of the last node first: pass them reversed, the inversion's come first
  const {node, subgraph} = graph.convertToSubgraph(new Set(inner.reverse()));
  // label each input by the inner slots it feeds. The conversion also exposes the seeds on its own; the
  // blueprint keeps them inside (fixed at 0, as the workflows do).
  const feedsOf = input => input.linkIds.map(id => subgraph.links.get(id)).map(l => {
    const n = subgraph.getNodeById(l.target_id);
    return [keyOf[n.type], n.inputs[l.target_slot].name];
  });
  for (const input of [...subgraph.inputs]) {
    const feeds = feedsOf(input);
    const entry = spec.inputs.find(([, , , targets]) =>
      targets.length === feeds.length && targets.every(([k, n]) => feeds.some(([fk, fn]) => fk === k && fn === n)));
    if (entry) input.label = entry[0];
    else if (feeds.every(([, name]) => name === "seed")) subgraph.removeInput(input);
    else throw new Error("no spec input for " + JSON.stringify(feeds));
  }
  if (subgraph.inputs.length !== spec.inputs.length || subgraph.outputs.length !== 1)
    throw new Error(`expected ${spec.inputs.length} inputs and 1 output, got ` +
                    `${subgraph.inputs.map(i => i.label)} / ${subgraph.outputs.map(o => o.name)}`);
  subgraph.outputs[0].label = spec.output[0];
  subgraph.name = spec.name;
  subgraph.description = spec.description;
  node.title = spec.name;
  for (const [i, input] of subgraph.inputs.entries()) if (node.inputs[i]) node.inputs[i].label = input.label;
  if (node.outputs[0]) node.outputs[0].label = spec.output[0];

  window.app.canvas.deselectAll();
  window.app.canvas.select(node);
  await window.app.extensionManager.command.execute("Comfy.PublishSubgraph", {metadata: {name: spec.name}});
  done({ok: true});
})().catch(e => done({error: String(e && e.stack || e)}));
"""


def build(driver, server, spec):
    workflows.build(driver, spec["name"], graph_spec(spec))  # the graph, as the workflows are built
    result = driver.execute_async_script(_CONVERT_JS, spec)
    if "error" in result:
        raise RuntimeError(f"{spec['name']}: {result['error']}")
    saved = server.base_dir / "user" / "default" / "subgraphs" / f"{spec['name']}.json"
    data = json.loads(saved.read_text())
    data.setdefault("extra", {}).update(BlueprintDescription=spec["description"],
                                        BlueprintSearchAliases=spec["search_aliases"])
    data["extra"].pop("ds", None)
    # where the node library files it (ComfyUI's own blueprints carry it here; the frontend does not write it)
    data["definitions"]["subgraphs"][0]["category"] = spec["category"]
    return data


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", help="blueprints to build (default: all)")
    names = ap.parse_args(argv).names or [spec["name"] for spec in SUBGRAPHS]
    with workflows.editor("rfinv-subgraphs-") as (server, driver):
        SUBGRAPH_DIR.mkdir(exist_ok=True)
        for spec in (s for s in SUBGRAPHS if s["name"] in names):
            data = build(driver, server, spec)
            out = SUBGRAPH_DIR / f"{spec['name']}.json"
            out.write_text(json.dumps(data, indent=2) + "\n")
            print(f"wrote {out.relative_to(e2e_server.REPO_ROOT)}")


if __name__ == "__main__":
    main()
