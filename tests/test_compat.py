"""The compatibility matrix: each entry of tests/support/compat_inventory.py (ComfyUI's core nodes that change
sampling) through ComfyUI's executor, on a tiny model of a family it applies to or on the exact Gaussian-mixture
Flux stand-in (tests/support/exact_model.py), with the outcome the inventory claims:

works: the round trip (gamma = eta = 0) reconstructs within BOUND of the unpatched one, eta = 1 returns the source,
and the edit alone from the inverted latent equals the edit after the inversion (no state leaks between passes or
runs); cfg-stage patches and caches: the inversion equals the unpatched one bit for bit and the console names the
patch, the edit with a negative prompt (or the cache) changes; refused: the error names the node and what to do.
An entry whose node (or family) the running ComfyUI lacks skips with the reason. The run writes
tests/_artifacts/compat-<version>.json, from which tests/build_compat_table.py writes README.md's table.
"""

from __future__ import annotations

import logging

import pytest
import torch

import builders
import compat_runs as runs
import exact_model
from compat_inventory import COST, EXACT, INVENTORY, LORA_NAME, REFUSED, WORKS, of_kind
from compat_runs import EDIT, ETA_ONE, ROUND_TRIP, STEPS, case_of, chain, edit_only, invert_run
from executor import Graph
from matrix_record import Record, SummaryLines
from mixtures import rel_err

pytestmark = pytest.mark.comfyui

RECORD_KEY = "rf_inversion"  # nodes/record.py: the inversion record in RFInvert's LATENT
BOUND = (1.5, 0.01)  # a patched round trip's error may be 1.5 x the unpatched one's + 0.01
CACHE_STEPS = 28  # the caches are measured at the paper's 28 steps (their skipping depends on the step count)
KINDS = {
    "test_model_patch_acts_the_same_in_both_passes": ("model",),
    "test_compiled_model_reconstructs_and_returns_the_source": ("compile",),
    "test_cfg_stage_patch_needs_a_negative_prompt": ("cfg_stage",),
    "test_cache_is_off_for_the_inversion_and_saves_calls_in_the_edit": ("cache",),
    "test_unread_patch_is_said_and_changes_nothing": ("unread",),
    "test_sampling_rule_that_is_not_a_flow_is_refused_by_node": ("refused",),
    "test_unet_patch_is_refused_with_its_model": ("unet",),
    "test_conditioning_tool_on_both_prompts": ("conditioning", "reference"),
    "test_range_is_read_at_the_sigma_of_each_call": ("timing",),
    "test_hooks_on_the_prompts": ("hooks",),
    "test_sampler_forms_under_the_guider": ("guider",),
    "test_sampler_forms_leave_out_the_same_patches": ("cfg_stage", "cache", "unread"),
}


def pytest_generate_tests(metafunc):
    if "entry" in metafunc.fixturenames:
        entries = of_kind(*KINDS[metafunc.function.__name__])
        metafunc.parametrize("entry", [pytest.param(e, id=e.node) for e in entries])


class CompatRecord(Record):
    """Record (matrix_record) over the inventory's entries, written as compat-<version>.json."""

    def __init__(self):
        super().__init__(None)
        self.skipped: dict[str, str] = {}

    def write(self, pytest_args=()):
        import json

        entries = [{"node": e.node, "kind": e.kind, "outcome": e.outcome, "model": e.model,
                    "skipped": self.skipped.get(e.node), "checks": self.results.get(e.node, {})} for e in INVENTORY]
        path = runs.ARTIFACTS / f"compat-{self.version}.json"
        runs.ARTIFACTS.mkdir(exist_ok=True)
        path.write_text(json.dumps({"comfyui_version": self.version, "pytest_args": list(pytest_args),
                                    "entries": entries}, indent=1, default=str))
        return path


@pytest.fixture(scope="module")
def record(pack, request):
    rec = CompatRecord()
    yield rec
    path = rec.write(request.config.invocation_params.args)
    lines = [f"compatibility on ComfyUI {rec.version}: {len(rec.results)} entries run ({path})"]
    lines += [f"  {node}: skipped ({why})" for node, why in rec.skipped.items()]
    request.config.pluginmanager.register(SummaryLines(lines), "rf_compat_summary")


@pytest.fixture(scope="module")
def core(runner, tmp_path_factory, zoo):
    """ComfyUI's node modules the entries use, and a loras folder with the tiny Flux LoRA."""
    import comfy.utils
    import executor
    import folder_paths

    executor.load_core(runs.CORE_FILES)
    loras = tmp_path_factory.mktemp("loras")
    comfy.utils.save_torch_file(runs.flux_lora(runs.model_of("Flux.1 dev", zoo)), str(loras / LORA_NAME))
    folder_paths.add_model_folder_path("loras", str(loras))
    return runner


@pytest.fixture
def case(entry, core, zoo, record):
    family = None if entry.model in (EXACT, "SD1.5") else zoo.BY_NAME[entry.model]
    missing = entry.missing() or (family.missing() if family is not None else None)
    if missing:
        record.skipped[entry.node] = missing
        pytest.skip(missing)
    return case_of(entry, zoo)


_BASE: dict = {}


def base(runner, case, key: str, **settings):
    """The unpatched chain of a case's model at settings, run once per module."""
    k = (id(case.model), key)
    if k not in _BASE:
        _BASE[k] = chain(runner, case, **settings)
    return _BASE[k]


def builders_grid(case) -> torch.Tensor:
    """The sampling grid BasicScheduler gives the case's model at STEPS (what sampler_forms walks)."""
    from core_reference import model_grid

    return model_grid(case.model, STEPS)


def samples(latent: dict) -> torch.Tensor:
    return latent["samples"]


def assert_returns_source(edited: dict, case, label: str) -> None:
    src = case.source["samples"]
    assert torch.allclose(samples(edited).float(), src.float(), atol=1e-4), f"{label}: eta 1 missed the source"


def said(caplog, node: str, pass_name: str) -> bool:
    return any("RF-Inversion: the " + pass_name in r.getMessage() and node in r.getMessage() for r in caplog.records)


def round_trip_errors(runner, case, patch, where="model", steps=STEPS):
    """(unpatched, patched) round-trip errors against the source, and the two chains."""
    src = case.source["samples"]
    plain = base(runner, case, f"round trip {steps}", inv=ROUND_TRIP[0], ed=ROUND_TRIP[1], steps=steps)
    patched = chain(runner, case, patch, where, inv=ROUND_TRIP[0], ed=ROUND_TRIP[1], steps=steps)
    return rel_err(samples(plain[1]), src), rel_err(samples(patched[1]), src), plain, patched


def check_round_trip(numbers, err_plain, err_patched, label):
    numbers.update(round_trip_error=round(err_patched, 4), unpatched_round_trip_error=round(err_plain, 4))
    assert err_patched <= BOUND[0] * err_plain + BOUND[1], f"{label}: round trip {err_patched} vs {err_plain}"


# --- works: a patch of the model, the same in both passes -----------------------------------------------------


def test_model_patch_acts_the_same_in_both_passes(entry, case, runner, record):
    with record.check(entry, "works") as numbers:
        err_plain, err_patched, _, patched = round_trip_errors(runner, case, entry.patch)
        if entry.model == EXACT:  # the exact field on the patched grid: the patched model's own round trip
            grid = patched[0][RECORD_KEY]["sigmas"]
            numbers["against_exact"] = rel_err(samples(patched[1]), runs.exact_round_trip(case, grid))
            numbers.update(round_trip_error=round(err_patched, 4), unpatched_round_trip_error=round(err_plain, 4))
            assert numbers["against_exact"] < 1e-4, numbers
        else:
            check_round_trip(numbers, err_plain, err_patched, entry.node)
        _, edited = chain(runner, case, entry.patch, ed=ETA_ONE)
        assert_returns_source(edited, case, entry.node)
        inverted, edited = chain(runner, case, entry.patch, ed=EDIT)
        assert torch.equal(samples(edit_only(runner, case, inverted, entry.patch, ed=EDIT)), samples(edited))
        plain = base(runner, case, "edit", ed=EDIT)
        assert torch.isfinite(samples(edited)).all()
        numbers["changed"] = not torch.equal(samples(inverted), samples(plain[0]))
        assert numbers["changed"] or not entry.changes, "the patch changed nothing"


def test_compiled_model_reconstructs_and_returns_the_source(entry, case, runner, record):
    """TorchCompileModel: the round trip and eta = 1 only (each graph compiles the network again: tens of
    seconds on a CPU)."""
    with record.check(entry, "works") as numbers:
        err_plain, err_patched, _, _ = round_trip_errors(runner, case, entry.patch)
        check_round_trip(numbers, err_plain, err_patched, entry.node)
        _, edited = chain(runner, case, entry.patch, ed=ETA_ONE)
        assert_returns_source(edited, case, entry.node)


# --- works with a cost: off where there is no negative prompt --------------------------------------------------


def test_cfg_stage_patch_needs_a_negative_prompt(entry, case, runner, record, caplog):
    caplog.set_level(logging.INFO)
    with record.check(entry, "needs a negative") as numbers:
        _, _, plain, patched = round_trip_errors(runner, case, entry.patch)
        assert torch.equal(samples(patched[0]), samples(plain[0])), "the inversion changed"
        assert torch.equal(samples(patched[1]), samples(plain[1])), "the edit at cfg 1 changed"
        assert said(caplog, entry.said_as or entry.node, "inversion") == (entry.outcome == COST)
        plain_neg = base(runner, case, "edit with a negative", ed=EDIT, negative=3.0)
        inverted, edited = chain(runner, case, entry.patch, ed=EDIT, negative=3.0)
        assert torch.equal(samples(inverted), samples(plain_neg[0])), "a negative on the edit changed the inversion"
        change = rel_err(samples(edited), samples(plain_neg[1]))
        numbers["edit_change"] = float(f"{change:.3g}")
        assert change > 0 and torch.isfinite(samples(edited)).all(), "it did not act in the edit"
        assert torch.equal(samples(edit_only(runner, case, inverted, entry.patch, ed=EDIT, negative=3.0)),
                           samples(edited)), "state of the first run leaked into the second"
        _, edited = chain(runner, case, entry.patch, ed=ETA_ONE, negative=3.0)
        assert_returns_source(edited, case, entry.node)


def test_cache_is_off_for_the_inversion_and_saves_calls_in_the_edit(entry, case, runner, record, caplog):
    caplog.set_level(logging.INFO)
    steps = CACHE_STEPS if entry.model == EXACT else STEPS  # the exact model is cheap enough for the paper's 28
    with record.check(entry, "cache") as numbers:
        case = runs.without_cache(case, entry)
        err_plain, err_patched, plain, patched = round_trip_errors(runner, case, entry.patch, steps=steps)
        assert torch.equal(samples(patched[0]), samples(plain[0])), "the cache acted in the inversion"
        assert said(caplog, entry.node, "inversion")
        numbers.update(steps=steps, round_trip_error=round(err_patched, 4),
                       unpatched_round_trip_error=round(err_plain, 4))
        edit = dict(runs.PAPER_EDIT, stop_step=steps // 4)
        runs.evaluations(case)
        plain_edit = edit_only(runner, case, plain[0], ed=edit, steps=steps)
        calls_plain = runs.evaluations(case)
        edited = edit_only(runner, case, plain[0], entry.patch, ed=edit, steps=steps)
        calls = runs.evaluations(case)
        change = rel_err(samples(edited), samples(plain_edit))
        numbers.update(edit_change=float(f"{change:.3g}"),
                       generation_change=float(f"{runs.generation_change(runner, case, entry.patch, steps):.3g}"))
        if calls is not None:
            numbers.update(edit_evaluations=calls, unpatched_edit_evaluations=calls_plain)
            assert calls < calls_plain
        assert change > 0 and torch.isfinite(samples(edited)).all()
        again = edit_only(runner, case, plain[0], entry.patch, ed=edit, steps=steps)
        assert torch.equal(samples(again), samples(edited)), "the cache's state leaked into the next run"
        _, edited = chain(runner, case, entry.patch, ed=dict(ETA_ONE, stop_step=steps), steps=steps)
        assert_returns_source(edited, case, entry.node)


def test_unread_patch_is_said_and_changes_nothing(entry, case, runner, record, caplog):
    caplog.set_level(logging.INFO)
    with record.check(entry, "unread"):
        plain = base(runner, case, "edit", ed=EDIT)
        inverted, edited = chain(runner, case, entry.patch, ed=EDIT)
        assert torch.equal(samples(inverted), samples(plain[0])) and torch.equal(samples(edited), samples(plain[1]))
        assert said(caplog, entry.node, "inversion") and said(caplog, entry.node, "edit")


# --- refused ---------------------------------------------------------------------------------------------------


def test_sampling_rule_that_is_not_a_flow_is_refused_by_node(entry, case, runner, record):
    with record.check(entry, "refused"):
        run = invert_run(runner, case, lambda g: case.prompts["source"], entry.patch)
        assert not run.success
        assert entry.node in run.error and "rectified-flow" in run.error, run.error


def test_unet_patch_is_refused_with_its_model(entry, case, runner, record):
    with record.check(entry, "refused"):
        run = invert_run(runner, case, lambda g: case.prompts["source"], entry.patch)
        assert not run.success and "rectified-flow" in run.error and "EPS" in run.error, run.error


# --- conditioning ------------------------------------------------------------------------------------------------


def conditioning_patch(entry, case):
    """The entry's patch of one prompt (the reference and style entries take objects the test makes)."""
    if entry.node == "ReferenceLatent":
        return lambda g, c: runs.reference_latent(g, c, case)
    if entry.node == "FluxKontextMultiReferenceLatentMethod":
        return lambda g, c: entry.patch(g, runs.reference_latent(g, c, case))
    if entry.node == "ControlNetApply":
        net, image = runs.flux_controlnet(), runs.control_image()
        return lambda g, c: g.out(g.add("ControlNetApply", conditioning=c, control_net=g.obj("control_net", net),
                                        image=g.obj("image", image), strength=1.0))
    if entry.node == "StyleModelApply":
        style, vision = runs.redux()
        return lambda g, c: g.out(g.add("StyleModelApply", conditioning=c, style_model=g.obj("style_model", style),
                                        clip_vision_output=g.obj("clip_vision_output", vision), strength=1.0,
                                        strength_type="multiply"))
    return entry.patch


def test_conditioning_tool_on_both_prompts(entry, case, runner, record, caplog):
    caplog.set_level(logging.INFO)
    patch = conditioning_patch(entry, case)
    with record.check(entry, "works") as numbers:
        err_plain, err_patched, _, patched = round_trip_errors(runner, case, patch, "conditioning")
        if entry.node in runs.COND_FIELDS and entry.model == EXACT:  # the field the prompts make, both ways
            field = runs.exact_field(case, *runs.COND_FIELDS[entry.node])
            expected = runs.exact_round_trip(case, patched[0][RECORD_KEY]["sigmas"], field)
            numbers["against_exact"] = rel_err(samples(patched[1]), expected)
            assert numbers["against_exact"] < 1e-4, numbers
        else:
            check_round_trip(numbers, err_plain, err_patched, entry.node)
        _, edited = chain(runner, case, patch, "conditioning", ed=ETA_ONE)
        assert_returns_source(edited, case, entry.node)
        inverted, edited = chain(runner, case, patch, "conditioning", ed=EDIT)
        alone = edit_only(runner, case, inverted, ed=EDIT, cond_patch=patch)
        assert torch.equal(samples(alone), samples(edited)) and torch.isfinite(samples(edited)).all()
        warned = [r.getMessage() for r in caplog.records if "reference latents" in r.getMessage()]
        assert not warned, warned
        if entry.node == "FluxDisableGuidance":
            other = chain(runner, case, patch, "conditioning", ed={**EDIT, "guidance": 7.0})
            assert torch.equal(samples(other[1]), samples(edited)), "the guidance input was written over it"


def test_range_is_read_at_the_sigma_of_each_call(entry, case, runner, record):
    with record.check(entry, "timing") as numbers:
        calls, expected = runs.timed_calls(runner, case, entry)
        wrong = [(p, s, got) for p, s, got in calls if got != expected(s)]
        numbers["calls"] = len(calls)
        assert {p for p, _, _ in calls} == {"inversion", "edit"} and not wrong, wrong[:5]


def test_hooks_on_the_prompts(entry, case, runner, record):
    with record.check(entry, "hooks") as numbers:
        if entry.outcome == REFUSED:
            run = invert_run(runner, case, lambda g: runs.keyframed_hooks(g, g.cond(case.prompts["source"])))
            assert not run.success and "SetHookKeyframes" in run.error and "edit" in run.error, run.error
            return
        patch = runs.hooked
        err_plain, err_patched, _, _ = round_trip_errors(runner, case, patch, "conditioning")
        check_round_trip(numbers, err_plain, err_patched, entry.node)
        inverted, edited = chain(runner, case, patch, "conditioning", ed=EDIT)
        assert not torch.equal(samples(edited), samples(base(runner, case, "edit", ed=EDIT)[1]))
        _, edited = chain(runner, case, patch, "conditioning", ed=ETA_ONE)
        assert_returns_source(edited, case, entry.node)


# --- guiders -----------------------------------------------------------------------------------------------------


def test_sampler_forms_under_the_guider(entry, case, runner, record):
    with record.check(entry, "works") as numbers:
        src = case.source["samples"]
        round_trip = dict(inv={"gamma": 0.0}, ed={"eta": 0.0, "stop_step": 1})
        plain = runs.sampler_forms(runner, case, "BasicGuider", **round_trip)
        inverted, edited = runs.sampler_forms(runner, case, entry.node, **round_trip)
        err_plain, err = rel_err(samples(plain[1]), src), rel_err(samples(edited), src)
        if entry.model == EXACT:  # the guided field's own round trip, both ways on the same field
            field = runs.exact_field(case, *runs.GUIDED[entry.node])
            grid = builders_grid(case)
            numbers["against_exact"] = rel_err(samples(edited), runs.exact_round_trip(case, grid, field, field))
            numbers.update(round_trip_error=round(err, 4), unguided_round_trip_error=round(err_plain, 4))
            assert numbers["against_exact"] < 1e-4, numbers
        else:
            check_round_trip(numbers, err_plain, err, entry.node)
        _, edited = runs.sampler_forms(runner, case, entry.node, ed={"eta": 1.0, "stop_step": STEPS})
        assert_returns_source(edited, case, entry.node)


def test_a_cfg_stage_patch_stays_on_in_a_sampler_form_inversion_under_a_negative_prompt(core, zoo, runner, caplog):
    """The rule is the pass's negative prompt, not the direction: RFInvertSampler under CFGGuider with a negative
    hands APG a real negative prediction, so APG stays on (and the console says nothing)."""
    from compat_inventory import BY_NODE

    caplog.set_level(logging.INFO)
    entry = BY_NODE["APG"]
    case = case_of(entry, zoo)
    plain = runs.sampler_forms(runner, case, "CFGGuider", ed={"stop_step": 2})
    patched = runs.sampler_forms(runner, case, "CFGGuider", ed={"stop_step": 2}, patch=entry.patch)
    assert not torch.equal(samples(patched[0]), samples(plain[0])), "APG was off in a guided inversion"
    assert not said(caplog, "APG", "inversion") and not said(caplog, "APG", "edit")



def test_sampler_forms_leave_out_the_same_patches(entry, case, runner, record, caplog):
    """RFInvertSampler and RFControlledSamplerSampler in SamplerCustomAdvanced under BasicGuider (no negative
    prompt) leave out what the node forms do, say so, and keep what acts: a cache in the edit, a CFG-stage patch
    under CFGGuider's negative prompt."""
    caplog.set_level(logging.INFO)
    steps = CACHE_STEPS if entry.kind == "cache" and entry.model == EXACT else STEPS
    edit = {k: v for k, v in (runs.PAPER_EDIT if steps == CACHE_STEPS else EDIT).items() if k != "guidance"}
    with record.check(entry, "sampler forms") as numbers:
        case = runs.without_cache(case, entry)
        plain = runs.sampler_forms(runner, case, "BasicGuider", ed=edit, steps=steps)
        patched = runs.sampler_forms(runner, case, "BasicGuider", ed=edit, patch=entry.patch, steps=steps)
        assert torch.equal(samples(patched[0]), samples(plain[0])), "the inversion changed"
        assert said(caplog, entry.said_as or entry.node, "inversion") == (entry.outcome == COST)
        if entry.kind == "cache":
            change = rel_err(samples(patched[1]), samples(plain[1]))
        else:
            assert torch.equal(samples(patched[1]), samples(plain[1])), "the edit without a negative changed"
            assert said(caplog, entry.said_as or entry.node, "edit") == (entry.outcome == COST)
            guided = runs.sampler_forms(runner, case, "CFGGuider", ed=edit, steps=steps)
            acted = runs.sampler_forms(runner, case, "CFGGuider", ed=edit, patch=entry.patch, steps=steps)
            change = rel_err(samples(acted[1]), samples(guided[1])) if entry.kind == "cfg_stage" else None
            numbers["off_at_sigma0"] = said(caplog, entry.said_as or entry.node, "step from sigma = 0")
        if change is not None:
            numbers["edit_change"] = float(f"{change:.3g}")
            assert change > 0, "it did not act in the edit"
        _, edited = runs.sampler_forms(runner, case, "BasicGuider", ed={"eta": 1.0, "stop_step": steps},
                                       patch=entry.patch, steps=steps)
        assert_returns_source(edited, case, entry.node)
