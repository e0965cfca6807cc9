"""GET /object_info of a real server lists the pack's nodes with the contract's inputs, defaults and tooltips."""

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

ORDERS = ["euler", "midpoint", "fireflow"]  # the solver options (issue 12)

# The public contract (issue 3): saved workflows refer to these ids, input names and defaults.
CONTRACT = {
    "RFInvert": {
        "output": ["LATENT"],
        "required": {"model": "MODEL", "conditioning": "CONDITIONING", "latent": "LATENT", "steps": ("INT", 28),
                     "gamma": ("FLOAT", 0.5), "seed": ("INT", 0), "guidance": ("FLOAT", 0.0),
                     "start_step": ("INT", 0)},
        "optional": {"sigmas": "SIGMAS", "order": (ORDERS, "euler")},
    },
    "RFControlledSampler": {
        "output": ["LATENT"],
        "required": {"model": "MODEL", "conditioning": "CONDITIONING", "inverted": "LATENT",
                     "reference": "LATENT", "steps": ("INT", 28), "start_step": ("INT", 0),
                     "stop_step": ("INT", 7), "eta": ("FLOAT", 0.9),
                     "eta_schedule": (["constant", "linear_decrease", "power_decay"], "constant"),
                     "guidance": ("FLOAT", 3.5), "mode": (["ode", "sde"], "ode"), "seed": ("INT", 0)},
        "optional": {"mask": "MASK", "negative": "CONDITIONING", "cfg": ("FLOAT", 1.0), "sigmas": "SIGMAS",
                     "order": (ORDERS, "euler")},
    },
    "RFEditLadder": {
        "output": ["LATENT", "IMAGE", "STRING"],
        "required": {"model": "MODEL", "conditioning": "CONDITIONING", "inverted": "LATENT", "reference": "LATENT",
                     "stop_step": ("INT", 7), "eta": ("FLOAT", 0.9), "sweep": (["stop_step", "eta"], "stop_step"),
                     "rungs": ("INT", 4)},
        "optional": {"mask": "MASK", "vae": "VAE", "order": (ORDERS, "euler")},
    },
    "StochasticFluxSampler": {
        "output": ["SAMPLER"],
        "required": {"noise_scale": ("FLOAT", 1.0)},
        "optional": {},
    },
}
UNIT_RANGE = {"gamma", "eta", "noise_scale"}


def _type_and_options(spec):
    kind, options = spec[0], (spec[1] if len(spec) > 1 else {})
    if kind == "COMBO":  # newer serialisation: the choices live in the options
        kind = list(options["options"])
    return kind, options


@pytest.mark.parametrize("node_id", sorted(CONTRACT))
def test_object_info_lists_the_node_with_contract_inputs_defaults_and_tooltips(object_info, node_id):
    assert node_id in object_info, f"{node_id} missing from /object_info"
    info, contract = object_info[node_id], CONTRACT[node_id]
    assert info["category"] == "sampling/rf_inversion"
    assert info["description"].strip()
    assert list(info["output"]) == contract["output"]
    assert all(t and t.strip() for t in info.get("output_tooltips", [])) and info.get("output_tooltips")
    for section in ("required", "optional"):
        served = info["input"].get(section, {})
        for name, want in contract[section].items():
            assert name in served, f"{node_id}.{name} is not a {section} input"
            kind, options = _type_and_options(served[name])
            assert options.get("tooltip", "").strip(), f"{node_id}.{name} has no tooltip"
            if isinstance(want, str):
                assert kind == want, (node_id, name, kind)
                continue
            want_kind, want_default = want
            assert kind == want_kind, (node_id, name, kind)
            assert options["default"] == want_default, (node_id, name, options["default"])
            if name in UNIT_RANGE:
                assert (options["min"], options["max"]) == (0.0, 1.0), (node_id, name)
            elif want_kind in ("INT", "FLOAT"):
                assert options["min"] <= want_default <= options["max"], (node_id, name)
    every_input = {**info["input"].get("required", {}), **info["input"].get("optional", {})}
    for name, spec in every_input.items():
        assert _type_and_options(spec)[1].get("tooltip", "").strip(), f"{node_id}.{name} has no tooltip"
