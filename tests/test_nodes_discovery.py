"""How users find the nodes: search_aliases in the node info GET /object_info serves (GET_NODE_INFO_V1), where
the installed ComfyUI's io.Schema has the field, and a pack that still loads where it does not (0.3.64)."""

from __future__ import annotations

import dataclasses
import json

import pytest

pytestmark = pytest.mark.comfyui

# words a user would type, per node: each must find the node
MUST_FIND = {
    "RFInvert": ["inversion", "invert", "unsample", "unsampler"],
    "RFControlledSampler": ["edit", "image edit", "flux edit", "controlled sampler"],
    "StochasticFluxSampler": ["sde sampler", "stochastic sampler"],
    "RFInvertSampler": ["inversion", "unsampler"],
    "RFControlledSamplerSampler": ["controlled sampler", "image edit"],
    "RFFlipSigmas": ["flip sigmas"],
    "RFInversionSigmas": ["inversion sigmas"],
    "RFFlowEdit": ["flowedit", "flow edit", "inversion-free edit"],
    "RFDemoSceneModel": ["demo", "no download", "scene model"],
    "RFDemoCaption": ["demo", "caption", "text encode"],
    "RFDemoScene": ["demo", "render", "load scene"],
    "RFDemoImageToLatent": ["demo", "image to latent"],
    "RFDemoLatentToImage": ["demo", "latent to image"],
}
PACK_WORDS = ["rf-inversion", "rf inversion", "rectified flow"]


@pytest.fixture(scope="module")
def node_classes(pack):
    import comfy_harness

    return {cls.GET_SCHEMA().node_id: cls for cls in comfy_harness.pack_node_classes(pack)}


def installed_schema_has(field: str) -> bool:
    from comfy_api.latest import io

    return field in {f.name for f in dataclasses.fields(io.Schema)}


def test_every_node_has_its_aliases_in_node_info_where_comfyui_has_the_field(node_classes):
    if not installed_schema_has("search_aliases"):
        pytest.skip("this ComfyUI's io.Schema has no search_aliases field: "
                    "test_the_nodes_build_without_the_field covers it")
    assert sorted(node_classes) == sorted(MUST_FIND)
    for node_id, cls in node_classes.items():
        info = json.loads(json.dumps(cls.GET_NODE_INFO_V1()))  # as /object_info serves it
        aliases = info.get("search_aliases") or []
        missing = [w for w in MUST_FIND[node_id] + PACK_WORDS if w not in aliases]
        assert missing == [], f"{node_id}: search_aliases {aliases} lack {missing}"
        assert len(set(aliases)) == len(aliases), f"{node_id}: repeated aliases {aliases}"


def test_the_nodes_build_without_the_field(node_classes, monkeypatch):
    """The guard's other branch, on every version: with the field unknown the schema omits it, validates, and
    the node info is what ComfyUI 0.3.64 serves (no aliases)."""
    from comfyui_rf_inversion.nodes import schema as pack_schema

    monkeypatch.setattr(pack_schema, "HAS_SEARCH_ALIASES", False)
    for node_id, cls in node_classes.items():
        s = cls.define_schema()
        s.validate()
        assert s.node_id == node_id
        assert not getattr(s, "search_aliases", None), node_id


def test_the_guard_passes_every_other_field_through(node_classes):
    """Only search_aliases is optional: a field io.Schema does not know still fails loudly."""
    from comfyui_rf_inversion.nodes.schema import schema

    with pytest.raises(TypeError):
        schema(node_id="X", search_aliases=[], no_such_field=1)
