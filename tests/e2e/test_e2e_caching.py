"""Iterating without inverting again, on the real server: a prompt that changes only the edit (its prompt, eta,
stop_step, cfg, a mask from a node of its own, or the ladder's rungs) gets RFInvert from ComfyUI's execution cache
(the server reports it cached) and costs only the edit's model evaluations; a new source image inverts again.

The workflows are the frontend's API prompts of the shipped ones, with the loaders swapped for stand-ins whose
model ComfyUI caches across prompts (E2ECachedUNETLoader), so the model's record of evaluations spans the prompts.
"""
import copy

import pytest

import e2e_checks as checks
from e2e_fixtures import write_source_image
from test_e2e_execute import STANDINS, collect_model_calls, to_test_prompt

pytestmark = [pytest.mark.e2e, pytest.mark.comfyui]

CACHED = dict(STANDINS, UNETLoader="E2ECachedUNETLoader")


def cached_prompt(api, object_info, weight_dtype):
    """to_test_prompt with the cached loader; a weight_dtype of the test's own (the stand-in ignores it) gives the
    test a cached model of its own, with a record of evaluations that starts at its first prompt."""
    prompt = to_test_prompt(api, object_info)
    for entry in prompt.values():
        if entry["class_type"] == STANDINS["UNETLoader"]:
            entry["class_type"] = CACHED["UNETLoader"]
            entry["inputs"]["weight_dtype"] = weight_dtype
    return prompt


class Session:
    """Prompts run one after another on the server; each run's RFInvert status and its new model evaluations."""

    def __init__(self, server, prompt):
        self.server, self.prompt, self.seen = server, prompt, 0
        self.invert_id, _ = checks.only(prompt, "RFInvert")

    def run(self, change=None):
        """Runs the prompt after change(prompt); (RFInvert was cached, the evaluations this run added)."""
        if change is not None:
            change(self.prompt)
        history, events = self.server.run_prompt_recorded(copy.deepcopy(self.prompt))
        calls = next(iter(collect_model_calls(history).values()))
        new, self.seen = calls[self.seen:], len(calls)
        cached = {n for e in events if e[0] == "cached" for n in e[1]}
        ran = {e[1] for e in events if e[0] == "executing"}
        assert (self.invert_id in cached) != (self.invert_id in ran), (cached, ran)
        return self.invert_id in cached, new


def with_negative_and_mask(prompt):
    """The edit with a negative prompt at cfg 1 and a mask from a node of its own (the sweep's mask stand-in)."""
    edit_id, edit = checks.only(prompt, "RFControlledSampler")
    clip = prompt[edit["inputs"]["conditioning"][0]]["inputs"]["clip"]
    ids = [str(max(int(k) for k in prompt) + i) for i in (1, 2)]
    prompt[ids[0]] = {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": clip}}
    prompt[ids[1]] = {"class_type": "E2ESpecialMask", "inputs": {"kind": "left_half", "batch": 1, "height": 64,
                                                                 "width": 64}}
    edit["inputs"].update(negative=[ids[0], 0], cfg=1.0, mask=[ids[1], 0])
    return edit_id, ids[1]


def setter(node_id, name, value):
    def change(prompt):
        prompt[node_id]["inputs"][name] = value
    return change


def test_changing_only_the_edit_reuses_the_cached_inversion(comfy_server, frontend_load, object_info):
    api = frontend_load("rf_inversion_edit")[1]["output"]
    prompt = cached_prompt(api, object_info, "fp8_e4m3fn")
    edit_id, mask_id = with_negative_and_mask(prompt)
    text_id = prompt[edit_id]["inputs"]["conditioning"][0]
    session = Session(comfy_server, prompt)
    cached, first = session.run()
    assert not cached and len([c for c in first if c["pass"] == "invert"]) == 28
    changes = {
        "the edit prompt": setter(text_id, "text", "a photo of a girl wearing a blue coat"),
        "eta": setter(edit_id, "eta", 0.8),
        "stop_step": setter(edit_id, "stop_step", 5),
        "cfg": setter(edit_id, "cfg", 2.0),
        "the mask": setter(mask_id, "kind", "ones"),
    }
    for what, change in changes.items():
        cached, new = session.run(change)
        assert cached, f"changing {what} ran RFInvert again"
        assert [c["pass"] for c in new] == ["sample"] * 28, (what, new)
    assert [sorted(c["cond_or_uncond"]) for c in new] == [[0, 1]] * 28  # cfg 2: the prompt and the negative, each call


def test_a_new_source_image_inverts_again(comfy_server, frontend_load, object_info):
    """What a mask painted on the source's own Load Image does: MaskEditor saves the picture as a new file (same
    colours, new alpha) and points the node at it, so the source changes and RFInvert runs again."""
    api = frontend_load("rf_inversion_edit")[1]["output"]
    prompt = cached_prompt(api, object_info, "fp8_e5m2")
    load_id, _ = checks.only(prompt, "LoadImage")
    session = Session(comfy_server, prompt)
    session.run()
    painted = comfy_server.base_dir / "input" / "painted.png"
    write_source_image(painted)  # the same picture; its alpha is the mask a user paints
    cached, new = session.run(setter(load_id, "image", "painted.png"))
    assert not cached and len([c for c in new if c["pass"] == "invert"]) == 28


def test_the_ladder_and_the_chosen_edit_each_rerun_alone(comfy_server, frontend_load, object_info):
    """rf_inversion_ladder's loop: copy a rung's setting into 'Your edit' and only that edit runs (28 evaluations);
    change the ladder's rungs and only the ladder runs (28 evaluations on the new number of rungs)."""
    api = frontend_load("rf_inversion_ladder")[1]["output"]
    prompt = cached_prompt(api, object_info, "fp8_e4m3fn_fast")
    edit_id, _ = checks.only(prompt, "RFControlledSampler")
    ladder_id, _ = checks.only(prompt, "RFEditLadder")
    session = Session(comfy_server, prompt)
    session.run()
    cached, new = session.run(setter(edit_id, "stop_step", 4))
    assert cached and [(c["pass"], c["batch"]) for c in new] == [("sample", 1)] * 28
    cached, new = session.run(setter(ladder_id, "rungs", 3))
    assert cached and [(c["pass"], c["batch"]) for c in new] == [("sample", 3)] * 28
