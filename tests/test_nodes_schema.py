"""The public contract: node ids, input names and types, paper defaults, real ranges, a tooltip on every input
and output, and a description, as GET /object_info serves them (GET_NODE_INFO_V1 of the V3 schema, what
server.py's node_info returns for V3 nodes). Saved workflows refer to these names: change them only on purpose."""

from __future__ import annotations

import pytest

import builders
from paper import paper_rows

pytestmark = pytest.mark.comfyui

LEVERS = {"align": ("BOOLEAN", False)}
# id -> ordered {input: (type, default or None)}; optional inputs after the "|" marker
CONTRACT = {
    "RFInvert": {
        "required": {
            "model": ("MODEL", None), "conditioning": ("CONDITIONING", None), "latent": ("LATENT", None),
            "steps": ("INT", 28), "gamma": ("FLOAT", 0.5), "seed": ("INT", 0), "guidance": ("FLOAT", 0.0),
            "start_step": ("INT", 0),
        },
        "optional": {"sigmas": ("SIGMAS", None), "order": ("COMBO", "euler"), "model_low_noise": ("MODEL", None),
                     "boundary": ("FLOAT", 0.875), "gamma_start": ("INT", 0), "gamma_stop": ("INT", 10000),
                     "gamma_schedule": ("COMBO", "constant"), "keep_trace": ("BOOLEAN", False)},
        "output": ["LATENT"],
    },
    "RFControlledSampler": {
        "required": {
            "model": ("MODEL", None), "conditioning": ("CONDITIONING", None), "inverted": ("LATENT", None),
            "reference": ("LATENT", None), "steps": ("INT", 28), "start_step": ("INT", 0), "stop_step": ("INT", 7),
            "eta": ("FLOAT", 0.9), "eta_schedule": ("COMBO", "constant"), "guidance": ("FLOAT", 3.5),
            "mode": ("COMBO", "ode"), "seed": ("INT", 0),
        },
        "optional": {
            "mask": ("MASK", None), "negative": ("CONDITIONING", None), "cfg": ("FLOAT", 1.0),
            "sigmas": ("SIGMAS", None), "order": ("COMBO", "euler"), "model_low_noise": ("MODEL", None),
            "boundary": ("FLOAT", 0.875), **LEVERS,
        },
        "output": ["LATENT"],
    },
    "RFEditLadder": {
        "required": {
            "model": ("MODEL", None), "conditioning": ("CONDITIONING", None), "inverted": ("LATENT", None),
            "reference": ("LATENT", None), "steps": ("INT", 28), "start_step": ("INT", 0), "stop_step": ("INT", 7),
            "eta": ("FLOAT", 0.9), "eta_schedule": ("COMBO", "constant"), "guidance": ("FLOAT", 3.5),
            "mode": ("COMBO", "ode"), "seed": ("INT", 0), "sweep": ("COMBO", "stop_step"), "rungs": ("INT", 4),
        },
        "optional": {
            "mask": ("MASK", None), "negative": ("CONDITIONING", None), "cfg": ("FLOAT", 1.0),
            "sigmas": ("SIGMAS", None), "order": ("COMBO", "euler"), "model_low_noise": ("MODEL", None),
            "boundary": ("FLOAT", 0.875), "vae": ("VAE", None),
        },
        "output": ["LATENT", "IMAGE", "STRING"],
    },
    "StochasticFluxSampler": {"required": {"noise_scale": ("FLOAT", 1.0)}, "optional": {}, "output": ["SAMPLER"]},
    "RFInvertSampler": {
        "required": {"gamma": ("FLOAT", 0.5), "seed": ("INT", 0)},
        "optional": {"order": ("COMBO", "euler"), "expert": ("COMBO", "both"), "boundary": ("FLOAT", 0.875),
                     "gamma_start": ("INT", 0), "gamma_stop": ("INT", 10000), "gamma_schedule": ("COMBO", "constant")},
        "output": ["SAMPLER"],
    },
    "RFControlledSamplerSampler": {
        "required": {
            "inverted": ("LATENT", None), "start_step": ("INT", 0), "stop_step": ("INT", 7), "eta": ("FLOAT", 0.9),
            "eta_schedule": ("COMBO", "constant"), "mode": ("COMBO", "ode"), "seed": ("INT", 0),
        },
        "optional": {"mask": ("MASK", None), "order": ("COMBO", "euler"), "expert": ("COMBO", "both"),
                     "boundary": ("FLOAT", 0.875), **LEVERS},
        "output": ["SAMPLER"],
    },
    "RFFlipSigmas": {"required": {"sigmas": ("SIGMAS", None)}, "optional": {}, "output": ["SIGMAS"]},
    "RFInversionSigmas": {
        "required": {"sigmas": ("SIGMAS", None), "start_step": ("INT", 0)}, "optional": {}, "output": ["SIGMAS"],
    },
    "RFFlowEdit": {
        "required": {
            "model": ("MODEL", None), "source_conditioning": ("CONDITIONING", None),
            "target_conditioning": ("CONDITIONING", None), "latent": ("LATENT", None), "steps": ("INT", 28),
            "n_max": ("INT", 24), "n_min": ("INT", 0), "n_avg": ("INT", 1), "seed": ("INT", 0),
            "source_guidance": ("FLOAT", 1.5), "target_guidance": ("FLOAT", 5.5),
        },
        "optional": {"negative": ("CONDITIONING", None), "source_cfg": ("FLOAT", 1.0), "target_cfg": ("FLOAT", 1.0),
                     "sigmas": ("SIGMAS", None)},
        "output": ["LATENT"],
    },
}
DEMO_CAPTION = "a red solid circle at left on a plain white background"
DEMO_CONTRACT = {  # the demo's nodes (nodes/demo.py), in their own category
    "RFDemoSceneModel": {"required": {}, "optional": {}, "output": ["MODEL"]},
    "RFDemoCaption": {"required": {"caption": ("STRING", DEMO_CAPTION)}, "optional": {}, "output": ["CONDITIONING"]},
    "RFDemoScene": {"required": {"caption": ("STRING", DEMO_CAPTION)}, "optional": {}, "output": ["IMAGE"]},
    "RFDemoImageToLatent": {"required": {"image": ("IMAGE", None)}, "optional": {}, "output": ["LATENT"]},
    "RFDemoLatentToImage": {"required": {"samples": ("LATENT", None), "scale": ("INT", 8)}, "optional": {},
                            "output": ["IMAGE"]},
}
CATEGORIES = {**dict.fromkeys(CONTRACT, "sampling/rf_inversion"),
              **dict.fromkeys(DEMO_CONTRACT, "sampling/rf_inversion/demo")}
CONTRACT.update(DEMO_CONTRACT)

COMBOS = {
    "eta_schedule": ["constant", "linear_decrease", "power_decay"],
    "gamma_schedule": ["constant", "linear_decrease", "power_decay", "linear_increase"],
    "mode": ["ode", "sde"],
    "order": ["euler", "midpoint", "fireflow"],
    "expert": ["both", "high_noise", "low_noise"],
    "sweep": ["stop_step", "eta"],
}


def test_the_node_ids_are_exactly_the_contract(infos):
    assert set(infos) == set(CONTRACT)


@pytest.mark.parametrize("node_id", sorted(CONTRACT))
def test_inputs_defaults_ranges_and_tooltips(infos, node_id):
    info, want = infos[node_id], CONTRACT[node_id]
    assert info["category"] == CATEGORIES[node_id]
    assert len(info["description"]) > 40
    assert info["display_name"]
    for section in ("required", "optional"):
        got = info["input"].get(section, {})
        assert list(got) == list(want[section]), (section, list(got))
        assert info["input_order"].get(section, []) == list(want[section])
        for name, (typ, default) in want[section].items():
            io_type, opts = got[name]
            assert opts.get("tooltip") and len(opts["tooltip"]) > 15, (node_id, name)
            if typ == "COMBO":
                assert io_type == "COMBO" and opts["options"] == COMBOS[name] and opts["default"] == default
            else:
                assert io_type == typ, (node_id, name, io_type)
            if typ == "STRING":
                assert opts["default"] == default, (node_id, name, opts["default"])
            if typ in ("INT", "FLOAT"):
                assert opts["default"] == default, (node_id, name, opts["default"])
                assert opts["min"] <= opts["default"] <= opts["max"], (node_id, name)
                assert isinstance(opts["default"], int if typ == "INT" else float)
    assert info["output"] == want["output"]
    assert all(t and len(t) > 10 for t in info["output_tooltips"]), info["output_tooltips"]
    assert not info["output_node"]
    if node_id in builders.NODES:  # the graphs the node tests build start from the contract's defaults
        assert builders.node_defaults(node_id) == {k: d for k, (_, d) in want["required"].items() if d is not None}


def test_ranges(infos):
    inv = infos["RFInvert"]["input"]["required"]
    edit = infos["RFControlledSampler"]["input"]["required"]
    for spec in (inv["gamma"], edit["eta"], infos["StochasticFluxSampler"]["input"]["required"]["noise_scale"]):
        assert (spec[1]["min"], spec[1]["max"]) == (0.0, 1.0)
    assert inv["steps"][1]["min"] == 1 and edit["stop_step"][1]["min"] == 1
    rungs = infos["RFEditLadder"]["input"]["required"]["rungs"][1]
    assert (rungs["min"], rungs["max"]) == (2, 8)  # 1 is the single edit; 8 keeps the batch's memory in bounds
    assert inv["seed"][1]["max"] == edit["seed"][1]["max"] == 0xFFFFFFFFFFFFFFFF
    # the inversion's seed must not change after each run by default, or the cached inversion is thrown away
    assert inv["seed"][1].get("control_after_generate") is False


def test_the_pack_registers_as_comfyui_loads_it(pack):
    """comfy_entrypoint returns a ComfyExtension whose node list ComfyUI's loader accepts."""
    import asyncio

    from comfy_api.latest import ComfyExtension, io

    ext = asyncio.run(pack.comfy_entrypoint())
    assert isinstance(ext, ComfyExtension)
    nodes = asyncio.run(ext.get_node_list())
    assert all(issubclass(n, io.ComfyNode) for n in nodes)
    for n in nodes:
        n.GET_SCHEMA().validate()


def test_the_default_edit_window_is_credited_to_its_real_source(infos):
    """eta 0.9 on [0, 7) is the diffusers community pipeline's README example: no paper row stops at 7 (issue 10,
    claim 9). The help pages say so next to the paper's real rows (README's table); the tooltips state only the
    default, and provenance lives once, in the help pages."""
    import translations

    rows = paper_rows()
    assert len(rows) == 6 and all(stop != 7 for _, stop, _ in rows.values())
    edit = infos["RFControlledSampler"]["input"]["required"]
    for name in ("stop_step", "eta"):
        tip = edit[name][1]["tooltip"]
        assert "diffusers" not in tip and "Paper: " not in tip and ("0.9" in tip or "7 of 28" in tip), (name, tip)
    for node in ("RFControlledSampler", "RFControlledSamplerSampler"):
        page = (translations.DOCS / f"{node}.md").read_text(encoding="utf-8")
        assert "diffusers community pipeline" in page and "`eta` 0.9 on steps [0, 7)" in page, node
        for start, stop, eta in rows.values():
            assert f"| {start} | {stop} | {eta} |" in page, (node, start, stop, eta)
    assert {t for t, (_, _, e) in rows.items() if e == 0.9} == {"stroke to image", "stylization"}
