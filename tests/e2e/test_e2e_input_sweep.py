"""Every input of every node of the pack, through the real server (issue 10, test 15).

Each input (read from GET /object_info, so a new input is swept without editing this file) is set to its min, its
max, just outside the range, a value of the wrong type and a link of the wrong type; numbers also to NaN; LATENT
inputs get NaN, inf, empty, batch-3, 4-channel and video latents; MASK inputs empty, NaN, batch-3 and tiny masks;
SIGMAS inputs NaN, increasing, repeated, out-of-range, one-value and empty schedules. Each case must give a
correct result (every probed output finite, every latent of the source's C, H, W) or an error that names the
input; a refused run must leave the output folder as it was; afterwards the server still runs good prompts. Tiny
latents (8 x 8) and 2 steps keep it short; the test prints how many cases it tried.
"""
import copy
import json

import pytest

from builders import node_defaults
from e2e_checks import input_specs
from test_e2e_regional_edit import output_snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

CATEGORY = "sampling/rf_inversion"
SOURCE = {"kind": "randn", "batch": 1, "channels": 16, "frames": 0, "height": 8, "width": 8, "seed": 0}
LATENT_SPECIALS = {
    "NaN latent": dict(SOURCE, kind="nan"),
    "inf latent": dict(SOURCE, kind="inf"),
    "empty batch": dict(SOURCE, batch=0),
    "batch of 3": dict(SOURCE, batch=3),
    "4-channel latent": dict(SOURCE, channels=4),
    "video latent": dict(SOURCE, frames=2),
    "all-zero latent": dict(SOURCE, kind="zeros"),
}
MASK_SPECIALS = {
    "empty mask": dict(kind="zeros", batch=1, height=64, width=64),
    "NaN mask": dict(kind="nan", batch=1, height=64, width=64),
    "mask batch of 3": dict(kind="left_half", batch=3, height=64, width=64),
    "mask of no images": dict(kind="ones", batch=0, height=64, width=64),
    "1 x 1 mask": dict(kind="ones", batch=1, height=1, width=1),
}
SIGMAS_SPECIALS = {
    "NaN sigmas": "1, nan, 0", "increasing sigmas": "0, 0.5, 1", "repeated sigmas": "1, 0.5, 0.5, 0",
    "sigmas above 1": "2, 1, 0", "one sigma": "1", "no sigmas": "", "a valid 2-step schedule": "1, 0.4, 0",
}
# Where a value only makes sense together with others (the largest step counts would otherwise run 10000 steps),
# the case also sets these; the input under test keeps its value.
COMPANIONS = {
    ("RFInvert", "steps", "max"): {"invert": {"start_step": 9999}, "edit": {"steps": 10000, "start_step": 9999,
                                                                        "stop_step": 10000}},
    ("RFControlledSampler", "steps", "max"): {"invert": {"steps": 10000, "start_step": 9999},
                                              "edit": {"start_step": 9999, "stop_step": 10000}},
}


class Prompt:
    """An API prompt built by name; ids are the numbers ComfyUI's frontend would give."""

    def __init__(self):
        self.nodes, self.ids = {}, {}

    def add(self, name, class_type, **inputs):
        self.ids[name] = str(len(self.ids) + 1)
        self.nodes[name] = {"class_type": class_type, "inputs": inputs}
        return name

    def link(self, name, index=0):
        return [self.ids[name], index]

    def api(self):
        return {self.ids[n]: copy.deepcopy(v) for n, v in self.nodes.items()}


def common(p):
    p.add("unet", "E2ETinyFluxUNETLoader", unet_name="flux1-dev.safetensors", weight_dtype="default")
    p.add("clip", "E2EFakeDualCLIPLoader", clip_name1="clip_l.safetensors", clip_name2="t5xxl_fp16.safetensors",
          type="flux")
    p.add("empty", "CLIPTextEncode", text="", clip=p.link("clip"))
    p.add("prompt", "CLIPTextEncode", text="a red fox in the snow", clip=p.link("clip"))
    p.add("src", "E2ESpecialLatent", **SOURCE)
    p.add("mask", "E2ESpecialMask", kind="left_half", batch=1, height=64, width=64)
    p.add("sched", "BasicScheduler", model=p.link("unet"), scheduler="simple", steps=2, denoise=1.0)
    p.add("flux_g0", "FluxGuidance", conditioning=p.link("empty"), guidance=0.0)
    p.add("flux_g35", "FluxGuidance", conditioning=p.link("prompt"), guidance=3.5)
    p.add("no_noise", "DisableNoise")


def finish(p, result, sigmas=None):
    """The prompt's only outputs, both fed by its last node, so every other node is upstream of them: a bad input
    anywhere makes ComfyUI refuse the whole prompt rather than run the outputs that stay valid."""
    p.add("save", "SaveLatent", samples=p.link(result), filename_prefix="sweep/latent")
    p.add("stats", "E2ETensorStats", label=result, latent=p.link(result),
          **({} if sigmas is None else {"sigmas": p.link(sigmas)}))
    return p


def all_in_one(edit="RFControlledSampler", name="edit", **settings):
    """RFInvert -> the edit node (named name), 2 steps, stop_step 1 unless settings say otherwise."""
    p = Prompt()
    common(p)
    p.add("invert", "RFInvert", model=p.link("unet"), conditioning=p.link("empty"), latent=p.link("src"),
          **dict(node_defaults("RFInvert"), steps=2))
    p.add(name, edit, model=p.link("unet"), conditioning=p.link("prompt"),
          inverted=p.link("invert"), reference=p.link("src"), mask=p.link("mask"),
          **{**node_defaults(edit), "steps": 2, "stop_step": 1, **settings})
    return finish(p, name)


def sampler_chain():
    """The power-user chain; the edit's sigmas are RFFlipSigmas of RFInversionSigmas(start_step 0), i.e. the
    schedule itself, so that both SIGMAS nodes feed the result."""
    p = Prompt()
    common(p)
    p.add("inv_sigmas", "RFInversionSigmas", sigmas=p.link("sched"), start_step=0)
    p.add("flip", "RFFlipSigmas", sigmas=p.link("inv_sigmas"))
    p.add("inv_sampler", "RFInvertSampler", **node_defaults("RFInvertSampler"))
    p.add("inv_guider", "BasicGuider", model=p.link("unet"), conditioning=p.link("flux_g0"))
    p.add("inv_sca", "SamplerCustomAdvanced", noise=p.link("no_noise"), guider=p.link("inv_guider"),
          sampler=p.link("inv_sampler"), sigmas=p.link("inv_sigmas"), latent_image=p.link("src"))
    p.add("edit_sampler", "RFControlledSamplerSampler", inverted=p.link("inv_sca"), mask=p.link("mask"),
          **dict(node_defaults("RFControlledSamplerSampler"), stop_step=1))
    p.add("edit_guider", "BasicGuider", model=p.link("unet"), conditioning=p.link("flux_g35"))
    p.add("edit_sca", "SamplerCustomAdvanced", noise=p.link("no_noise"), guider=p.link("edit_guider"),
          sampler=p.link("edit_sampler"), sigmas=p.link("flip"), latent_image=p.link("src"))
    return finish(p, "edit_sca", sigmas="flip")


def stochastic():
    p = Prompt()
    common(p)
    p.add("noise", "RandomNoise", noise_seed=0)
    p.add("sde", "StochasticFluxSampler", noise_scale=1.0)
    p.add("guider", "BasicGuider", model=p.link("unet"), conditioning=p.link("flux_g35"))
    p.add("sca", "SamplerCustomAdvanced", noise=p.link("noise"), guider=p.link("guider"), sampler=p.link("sde"),
          sigmas=p.link("sched"), latent_image=p.link("src"))
    return finish(p, "sca")


def ladder():
    """all_in_one with RFEditLadder (2 rungs) for the edit."""
    return all_in_one("RFEditLadder", "ladder", stop_step=2, rungs=2)


def flowedit():
    """RFFlowEdit from the empty prompt to the edit prompt, 2 steps, both edited."""
    p = Prompt()
    common(p)
    p.add("flowedit", "RFFlowEdit", model=p.link("unet"), source_conditioning=p.link("empty"),
          target_conditioning=p.link("prompt"), latent=p.link("src"),
          steps=2, n_max=2, n_min=0, n_avg=1, seed=0, source_guidance=1.5, target_guidance=5.5)
    return finish(p, "flowedit")


BASES = {"all_in_one": all_in_one, "sampler_chain": sampler_chain, "stochastic": stochastic, "ladder": ladder,
         "flowedit": flowedit}
# RFEditLadder shares RFControlledSampler's input definitions and checks (nodes/edit_nodes.edit_inputs): the sweep
# tries its own inputs and the shapes it batches by rungs (LATENT, MASK, SIGMAS) on it, the others on the edit.
LADDER_OWN_KINDS = ("LATENT", "MASK", "SIGMAS")


def node_names(class_type):
    """(base, node name) of every node of this class in the base prompts; the ladder base is for the ladder."""
    return [(b, n) for b, build in BASES.items() for n, v in build().nodes.items()
            if v["class_type"] == class_type and (b != "ladder" or class_type == "RFEditLadder")]


def swept(object_info, class_type, name, kind) -> bool:
    """Whether the sweep tries this input of this node (see LADDER_OWN_KINDS)."""
    shared = class_type == "RFEditLadder" and name in input_specs(object_info, "RFControlledSampler")
    return not shared or kind in LADDER_OWN_KINDS


def number_values(kind, opts):
    lo, hi = opts["min"], opts["max"]
    step = 1 if kind == "INT" else 0.1
    # JSON has no NaN: a NaN widget reaches /prompt as null (JSON.stringify), which is what is sent here
    return {"min": lo, "max": hi, "below min": lo - step, "above max": hi + step, "a string": "not a number",
            "null (NaN in the editor)": None}


def cases_for(object_info):
    """(label, base, node, input, change) for every input of every pack node; change(Prompt) edits a prompt."""
    out = []
    for class_type in sorted(k for k, v in object_info.items() if v.get("category") == CATEGORY):
        for base, node in node_names(class_type):
            for name, (_, spec) in input_specs(object_info, class_type).items():
                kind, opts = spec[0], (spec[1] if len(spec) > 1 else {})
                if not swept(object_info, class_type, name, kind):
                    continue
                label = f"{class_type}.{name}"

                def add(what, change, label=label, name=name):
                    out.append((f"{label} = {what}", base, node, name, change))

                def set_value(value, tag=None, class_type=class_type, name=name, node=node):
                    def change(p):
                        p.nodes[node]["inputs"][name] = value
                        for other, values in COMPANIONS.get((class_type, name, tag), {}).items():
                            p.nodes[other]["inputs"].update(values)
                    return change

                def set_link(source_type, source_inputs, node=node, name=name):
                    def change(p):
                        src = p.add(f"special_{len(p.ids)}", source_type, **source_inputs)
                        p.nodes[node]["inputs"][name] = p.link(src)
                    return change

                def wrong_link(source, node=node, name=name):
                    def change(p):
                        p.nodes[node]["inputs"][name] = p.link(source)
                    return change

                if kind in ("INT", "FLOAT"):
                    for tag, value in number_values(kind, opts).items():
                        add(f"{tag} ({value!r})", set_value(value, tag))
                elif isinstance(kind, list) or kind == "COMBO":
                    for option in (kind if isinstance(kind, list) else opts["options"]):
                        add(f"option {option!r}", set_value(option))
                    add("an unknown option", set_value("not an option"))
                    add("a number", set_value(3))
                elif kind == "LATENT":
                    for tag, latent in LATENT_SPECIALS.items():
                        add(tag, set_link("E2ESpecialLatent", latent))
                elif kind == "MASK":
                    for tag, mask in MASK_SPECIALS.items():
                        add(tag, set_link("E2ESpecialMask", mask))
                elif kind == "SIGMAS":
                    for tag, values in SIGMAS_SPECIALS.items():
                        add(tag, set_link("E2ESpecialSigmas", {"values": values}))
                elif kind == "CONDITIONING" and name == "negative":
                    add("the edit prompt as negative", wrong_link("prompt"))
                add("a link of the wrong type", wrong_link("clip" if kind != "CLIP" else "src"))
    return out


def submit(server, prompt):
    """("ok", history), ("rejected", /prompt's JSON) or ("failed", the node's error message)."""
    try:
        return "ok", server.run_prompt(prompt, timeout=300)
    except AssertionError as e:  # ComfyServer reports a refused prompt or a failed node as an AssertionError
        text = str(e)
        if text.startswith("/prompt rejected the prompt"):
            return "rejected", json.loads(text.split(": ", 1)[1])
        return "failed", text.split("\n  File ")[0]


def names_the_input(outcome, detail, node_id, name):
    if outcome == "rejected":
        errors = detail.get("node_errors", {}).get(node_id, {}).get("errors", [])
        return any(e.get("extra_info", {}).get("input_name") == name or name in str(e.get("details", ""))
                   for e in errors)
    return name.lower() in detail.lower()


def result_problem(history, prompt, source_shape):
    """None if both outputs ran, every probed value is finite and the result has the source's C, H, W."""
    missing = [n for n in ("save", "stats") if prompt.ids[n] not in history["outputs"]]
    if missing:
        return f"ComfyUI ran only part of the prompt (no {missing})"
    for s in history["outputs"][prompt.ids["stats"]]["e2e_stats"]:
        if not s["finite"]:
            return f"the {s['kind']} of {s['label']} is not finite"
        if s["kind"] == "latent" and s["shape"][1:] != source_shape:
            return f"{s['label']} has shape {s['shape']}"
    return None


def test_every_input_at_and_beyond_its_limits(comfy_server, object_info, capsys):
    cases = cases_for(object_info)
    pack_nodes = {k for k, v in object_info.items() if v.get("category") == CATEGORY}
    assert {c[0].split(".")[0] for c in cases} == pack_nodes, "every node of the pack is swept"
    source_shape = [SOURCE["channels"], SOURCE["height"], SOURCE["width"]]
    for base, build in BASES.items():  # the bases themselves are good prompts
        prompt = build()
        outcome, detail = submit(comfy_server, prompt.api())
        assert outcome == "ok" and result_problem(detail, prompt, source_shape) is None, (base, detail)
    tally, problems = {"ok": 0, "rejected": 0, "failed": 0}, []
    for label, base, node, name, change in cases:
        prompt = BASES[base]()
        change(prompt)
        before = output_snapshot(comfy_server)
        outcome, detail = submit(comfy_server, prompt.api())
        tally[outcome] += 1
        print(f"case {label}: {outcome}", "" if outcome == "ok" else str(detail)[:300])  # shown if the test fails
        if outcome == "ok":
            problem = result_problem(detail, prompt, source_shape)
            if problem:
                problems.append(f"{label}: ran but {problem}")
            continue
        if not names_the_input(outcome, detail, prompt.ids[node], name):
            problems.append(f"{label}: {outcome} without naming {name!r}: {str(detail)[:400]}")
        if output_snapshot(comfy_server) != before:
            problems.append(f"{label}: the refused run changed the output folder")
    with capsys.disabled():
        print(f"\ninput sweep: {len(cases)} cases over {len(pack_nodes)} nodes: {tally['ok']} ran, "
              f"{tally['rejected']} refused by the server's validation, {tally['failed']} refused by the node")
    assert not problems, "\n".join(problems)
    # the server is still usable: every base runs again, with a new seed so that it really executes
    for base, build in BASES.items():
        prompt = build()
        prompt.nodes["src"]["inputs"]["seed"] = 1
        outcome, detail = submit(comfy_server, prompt.api())
        assert outcome == "ok" and result_problem(detail, prompt, source_shape) is None, (base, detail)
