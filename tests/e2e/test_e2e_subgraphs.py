"""Discovery on a real server and in the real frontend: the "RF-Inversion edit" subgraph blueprint from
subgraphs/ (served at /global_subgraphs, app/subgraph_manager.py) and the search aliases in /object_info.

The frontend fetches /global_subgraphs at start and registers each blueprint as a node definition named
"SubgraphBlueprint.<id>" (its node store, Pinia "nodeDef", in frontends 1.39 to 1.58), shown under "Subgraph
Blueprints" in the node library; its "subgraph" store gives the blueprint's workflow to insert.
"""
import json

import pytest
import requests

import e2e_browser as browser
from e2e_server import PACK_DIR_NAME, REPO_ROOT
from paper import paper_rows

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

SUBGRAPHS = REPO_ROOT / "subgraphs"
NAME = "RF-Inversion edit"
# what the blueprint must run: the paper's settings (Rout et al. 2025), eta 0.9 on [0, 7) as the pack's defaults
SETTINGS = {
    "RFInvert": {"steps": 28, "gamma": 0.5, "guidance": 0.0, "start_step": 0, "order": "euler"},
    "RFControlledSampler": {"steps": 28, "start_step": 0, "stop_step": 7, "eta": 0.9, "guidance": 3.5,
                            "eta_schedule": "constant", "mode": "ode", "order": "euler"},
}
INPUT_LABELS = ["model", "source prompt", "latent", "steps", "gamma", "edit prompt", "stop_step", "eta",
                "edit guidance"]


@pytest.fixture(scope="module")
def served(comfy_server):
    r = requests.get(comfy_server.url + "/global_subgraphs", timeout=30)
    if r.status_code == 404:
        pytest.skip("this ComfyUI has no /global_subgraphs (subgraph blueprints came with app/subgraph_manager.py)")
    r.raise_for_status()
    ours = {k: v for k, v in r.json().items() if v["info"]["node_pack"] == f"custom_nodes.{PACK_DIR_NAME}"}
    return ours


def test_global_subgraphs_lists_every_blueprint_of_the_pack(served):
    assert sorted(e["name"] for e in served.values()) == sorted(p.stem for p in SUBGRAPHS.glob("*.json"))
    assert {NAME, *(f"RF-Inversion edit ({task})" for task in paper_rows())} == {e["name"] for e in served.values()}


def test_each_blueprint_is_served_as_its_file(comfy_server, served):
    for entry_id, entry in served.items():
        got = requests.get(f"{comfy_server.url}/global_subgraphs/{entry_id}", timeout=30).json()
        assert got["data"] == (SUBGRAPHS / f"{entry['name']}.json").read_text(), entry["name"]


_BLUEPRINT_DEFS = r"""(() => {
  const pinia = document.querySelector('#vue-app').__vue_app__.config.globalProperties.$pinia;
  const store = pinia._s.get('nodeDef');
  if (!store || !store.nodeDefs) return null;
  return store.nodeDefs.filter(d => d.name.startsWith('SubgraphBlueprint.'))
    .map(d => ({name: d.name, display_name: d.display_name, category: d.category, outputs: d.output}));
})()"""

_LOAD_BLUEPRINT = r"""
const [name, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const pinia = document.querySelector('#vue-app').__vue_app__.config.globalProperties.$pinia;
  done({data: pinia._s.get('subgraph').getBlueprint(name)});
})().catch(e => done({error: String(e && e.stack || e)}));
"""

_INNER = r"""
const node = window.app.graph.nodes[0];
return {title: node.title, labels: node.inputs.map(i => i.label || i.name), outputs: node.outputs.map(o => o.type),
        inner: node.subgraph.nodes.map(n => ({type: n.type,
                                              registered: n.type in window.LiteGraph.registered_node_types}))};
"""


def loaded_blueprint(chrome, name):
    """The blueprint `name` as the frontend offers it, loaded into the editor: (its node definition, the load
    report)."""
    defs = browser.wait_for(
        chrome, f"(() => {{ const d = {_BLUEPRINT_DEFS}; "
        f"return d && d.some(x => x.display_name === {json.dumps(name)}) ? d : null; }})()",
        60, f"the blueprint {name!r} among the frontend's node definitions")
    ours = [d for d in defs if d["display_name"] == name]
    assert len(ours) == 1, defs
    result = chrome.execute_async_script(_LOAD_BLUEPRINT, ours[0]["name"])
    assert "error" not in result, result
    return ours[0], browser.load_workflow(chrome, result["data"], name)


@pytest.fixture
def loaded(chrome, served):
    """The "RF-Inversion edit" blueprint loaded into the editor: (its node definition, the load report)."""
    return loaded_blueprint(chrome, NAME)


def test_the_frontend_offers_the_blueprint_and_it_loads_with_no_missing_nodes(chrome, loaded):
    definition, report = loaded
    assert definition["outputs"] == ["LATENT"], definition
    assert report["missing"] == [], f"missing node types: {report['missing']}"
    assert report["dialogs"] == [], report["dialogs"]
    node = chrome.execute_script(_INNER)
    assert node["title"] == NAME
    assert node["labels"] == INPUT_LABELS and node["outputs"] == ["LATENT"], node
    assert sorted(n["type"] for n in node["inner"]) == sorted(SETTINGS) and all(n["registered"] for n in node["inner"])


def test_the_blueprint_runs_the_papers_settings(chrome, loaded):
    """graphToPrompt expands the blueprint into the two nodes with these settings, the edit fed by the inversion."""
    prompt = browser.graph_to_prompt(chrome)["output"]
    by_type = {n["class_type"]: (k, n["inputs"]) for k, n in prompt.items()}
    assert sorted(by_type) == sorted(SETTINGS), sorted(by_type)
    for node_type, want in SETTINGS.items():
        got = by_type[node_type][1]
        assert {k: got.get(k) for k in want} == want, node_type
    invert_id = by_type["RFInvert"][0]
    assert by_type["RFControlledSampler"][1]["inverted"] == [invert_id, 0]


@pytest.mark.parametrize("task", list(paper_rows()))
def test_each_task_preset_runs_the_papers_row_on_both_nodes(chrome, served, task):
    """The per-task blueprints (one per row of the paper's table, README.md): inserted from the node library, the
    node shows the row's start_step, stop_step and eta, and graphToPrompt runs them: start_step on both nodes."""
    start, stop, eta = paper_rows()[task]
    definition, report = loaded_blueprint(chrome, f"RF-Inversion edit ({task})")
    assert definition["outputs"] == ["LATENT"] and report["missing"] == [] and report["dialogs"] == [], report["dialogs"]
    node = chrome.execute_script(_INNER)
    assert {"start_step", "stop_step", "eta"} <= set(node["labels"]), node
    prompt = browser.graph_to_prompt(chrome)["output"]
    by_type = {n["class_type"]: n["inputs"] for n in prompt.values()}
    assert by_type["RFInvert"]["start_step"] == start and by_type["RFInvert"]["steps"] == 28
    edit = by_type["RFControlledSampler"]
    assert (edit["start_step"], edit["stop_step"], edit["eta"], edit["steps"]) == (start, stop, eta, 28), edit


def test_object_info_carries_the_search_aliases(object_info):
    if not any("search_aliases" in i for i in object_info.values()):
        pytest.skip("this ComfyUI serves no search_aliases in /object_info (io.Schema has no such field)")
    ours = {n: i for n, i in object_info.items() if i.get("python_module") == f"custom_nodes.{PACK_DIR_NAME}"}
    assert ours
    for node_id, info in ours.items():
        assert "rf-inversion" in (info.get("search_aliases") or []), (node_id, info.get("search_aliases"))
    assert "unsampler" in ours["RFInvert"]["search_aliases"]
    assert "image edit" in ours["RFControlledSampler"]["search_aliases"]
