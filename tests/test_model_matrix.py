"""The model matrix: every rectified-flow family of the running ComfyUI, built tiny with ComfyUI's own classes
(tests/support/model_zoo*.py), through ComfyUI's executor with the pack's RFInvert -> RFControlledSampler.

Per family: (a) gamma = eta = 0 with the same prompt both ways reconstructs, with an error that falls as steps
grow; (b) eta = 1 on every step returns the reference; (c) a mask keeps the outside and edits the inside (per
frame for video), and (c') the same mask as the reference's noise_mask gives the same edit; (d) the output is
finite and keeps the latent's shape, dtype and dict keys, and gamma = 1 lands on the noise the model samples
from; (e) cfg > 1 with a negative prompt runs and matters, for the families whose usual path is true CFG; (g) the
guidance input leaves models without a guidance embedding alone. Families that are not rectified flows are
refused with a message that names them and says why (f); Wan 2.2 A14B switches experts at its sigma boundary (h).
A check is collected only for the families it applies to (APPLIES_TO) and a family a version lacks is not
collected, so the matrix skips nothing; the run prints one line per family and writes
tests/_artifacts/model_matrix-<version>.json, from which tests/build_family_table.py writes README.md's table.
"""

from __future__ import annotations

import pytest
import torch

import comfy_harness
from family_runs import (as_mask, invert_only, mean_abs, model_inputs, recording_clone, region, run_flowedit, run_pair,
                          tensors, video_part)
from matrix_record import Record, SummaryLines, family_params, presence_lines, uncovered_configs, zoo_or_none
from builders import add_edit_sampler, add_invert_sampler, advanced, invert_then_edit, run_ok, scheduler
from core_reference import model_grid
from executor import Graph

pytestmark = pytest.mark.comfyui

STEPS = 4
ROUND_TRIP_STEPS = (4, 8, 16)
TAG = {"rf_matrix_tag": "kept"}  # an extra LATENT key every node must carry through

ZOO = zoo_or_none()


# The checks that apply to some families only: test name -> which families (the others are not collected for it).
APPLIES_TO = {
    "test_cfg_with_a_negative_prompt": lambda f: f.true_cfg,  # their usual path is true CFG with a negative
    "test_guidance_input_leaves_models_without_an_embedding_alone": lambda f: not f.guidance_embed,
    "test_wan22_a14b_switches_experts_at_the_boundary": lambda f: f.name.startswith("Wan 2.2 A14B"),
}


def pytest_generate_tests(metafunc):
    """`family`: the rectified-flow families the running ComfyUI has (those a check applies to, APPLIES_TO);
    `refused_family`: the flow-like ones the pack must refuse. Families the version lacks are not collected."""
    for name, refused in (("family", False), ("refused_family", True)):
        if name not in metafunc.fixturenames:
            continue
        if ZOO is None:  # the comfy fixture then skips (or fails under CI=true) with the setup hint
            metafunc.parametrize(name, [pytest.param(None, id="no-comfyui")])
        else:
            where = APPLIES_TO.get(metafunc.function.__name__)
            metafunc.parametrize(name, family_params(ZOO, pytest, refused=refused, where=where))


@pytest.fixture(scope="module")
def record(pack, request):
    """The results of this run; at the end written as JSON, and one line per family in the terminal summary."""
    rec = Record(ZOO)
    yield rec
    uncovered = uncovered_configs(ZOO)
    path = rec.write(uncovered, request.config.invocation_params.args)
    lines = [f"model matrix on ComfyUI {rec.version} ({len(rec.results)} families run; {path}):"]
    lines += ["  " + line for line in presence_lines(ZOO, uncovered)]
    request.config.pluginmanager.register(SummaryLines(lines), "rf_model_matrix_summary")
    _MODELS.clear()


_MODELS: dict = {}


def built(family):
    """The family's tiny model, built once per module (seed 1)."""
    if family.name not in _MODELS:
        _MODELS[family.name] = family.build(seed=1)
    return _MODELS[family.name]


@pytest.fixture
def model(family, comfy):
    return built(family)


def latent_of(family, seed=0) -> dict:
    return {**family.latent(seed), **TAG}


def samples_of(latent):
    return video_part(latent["samples"])


# (a) ---------------------------------------------------------------------------------------------------------


def test_round_trip_error_falls_with_steps(family, model, runner, record):
    with record.check(family, "round_trip") as numbers:
        latent = latent_of(family, 10)
        cond = family.conditioning(0, samples_of(latent))
        errors = []
        for steps in ROUND_TRIP_STEPS:
            _, edited = run_pair(runner, model, family, latent, dict(steps=steps, gamma=0.0, guidance=0.0),
                                    dict(steps=steps, stop_step=1, eta=0.0, guidance=0.0),
                                    src_cond=cond, edit_cond=cond)
            errors.append(sum(mean_abs(o, s) for o, s in
                              zip(tensors(edited["samples"]), tensors(latent["samples"]))))
        numbers.update(steps=list(ROUND_TRIP_STEPS), mean_abs_error=errors)
        assert all(e == e for e in errors), f"{family.name}: the round trip is not finite: {errors}"
        assert errors[0] > 1e-3, f"{family.name}: the model is trivial (round-trip error {errors[0]:.2e})"
        for coarse, fine in zip(errors, errors[1:]):
            assert fine < 0.8 * coarse, f"{family.name}: the round-trip error does not fall with steps: {errors}"
        # Euler is first order: doubling the steps halves the error once the steps are fine enough. The coarse
        # doubling (4 -> 8) is often not there yet (LTXV and LTX-2: 0.68-0.73), the fine one (8 -> 16) is (<= 0.62).
        assert errors[-1] < 0.65 * errors[-2], (f"{family.name}: 8 -> 16 steps do not cut the error like a "
                                                f"first-order method (ratio < 0.65): {errors}")


# (b) ---------------------------------------------------------------------------------------------------------


def test_eta_one_returns_the_reference(family, model, runner, record):
    with record.check(family, "eta_one") as numbers:
        latent = latent_of(family, 11)
        _, edited = run_pair(runner, model, family, latent, dict(steps=STEPS),
                                dict(steps=STEPS, stop_step=STEPS, eta=1.0))
        diffs = [mean_abs(o, s) for o, s in zip(tensors(edited["samples"]), tensors(latent["samples"]))]
        numbers.update(mean_abs_diff=diffs)
        for o, s in zip(tensors(edited["samples"]), tensors(latent["samples"])):
            torch.testing.assert_close(o.float(), s.float(), rtol=0, atol=1e-5)


# (c) ---------------------------------------------------------------------------------------------------------


EDIT = dict(steps=STEPS, stop_step=2, eta=0.5)


def test_mask_keeps_the_outside_and_edits_the_inside(family, model, runner, record):
    with record.check(family, "mask") as numbers:
        latent = latent_of(family, 12)
        samples = samples_of(latent)
        r = region(samples)
        _, edited = run_pair(runner, model, family, latent, dict(steps=STEPS), EDIT, mask=as_mask(r))
        diff = (samples_of(edited) - samples).abs()
        r = r[None, None].expand_as(diff)
        outside, inside = diff[r == 0].max().item(), diff[r == 1].mean().item()
        numbers.update(outside_max_abs_diff=outside, inside_mean_abs_diff=inside)
        assert outside < 1e-5, f"{family.name}: the mask did not keep the outside (max diff {outside:.2e})"
        assert inside > 1e-3, f"{family.name}: the mask's inside was not edited (mean diff {inside:.2e})"


def test_noise_mask_is_the_same_mask(family, model, runner, record):
    """The mask as SetLatentNoiseMask on the reference: the same edit as the mask input (ComfyUI reads a MASK
    batch as frames for 5-D latents)."""
    with record.check(family, "noise_mask") as numbers:
        latent = latent_of(family, 12)
        mask = as_mask(region(samples_of(latent)))
        _, via_noise_mask = run_pair(runner, model, family, latent, dict(steps=STEPS), EDIT, noise_mask=mask)
        _, via_input = run_pair(runner, model, family, latent, dict(steps=STEPS), EDIT, mask=mask)
        diff = mean_abs(samples_of(via_noise_mask), samples_of(via_input))
        numbers.update(mean_abs_diff_to_mask_input=diff)
        assert diff < 1e-5, (f"{family.name}: a noise_mask on the reference edits differently from the same mask "
                             f"input (mean diff {diff:.2e})")


# (d) ---------------------------------------------------------------------------------------------------------


def test_output_is_finite_and_keeps_the_latent_format(family, model, runner, record):
    with record.check(family, "format") as numbers:
        latent = latent_of(family, 13)
        inverted, edited = run_pair(runner, model, family, latent, dict(steps=STEPS), EDIT)
        for name, out in (("RFInvert", inverted), ("RFControlledSampler", edited)):
            got, want = tensors(out["samples"]), tensors(latent["samples"])
            numbers[name] = {"shapes": [list(t.shape) for t in got], "dtypes": [str(t.dtype) for t in got]}
            assert type(out["samples"]) is type(latent["samples"]), f"{name} changed the samples' type"
            for o, s in zip(got, want):
                assert o.shape == s.shape and o.dtype == s.dtype, (name, o.shape, o.dtype, s.shape, s.dtype)
                assert torch.isfinite(o).all(), f"{family.name}: {name}'s output is not finite"
            for key, value in latent.items():
                if key != "samples":
                    assert out.get(key) == value, f"{family.name}: {name} dropped the LATENT key {key!r}"


def test_gamma_one_lands_on_the_noise_the_model_samples_from(family, model, runner, record):
    """gamma = 1 inverts to exactly the noise a KSampler with that seed starts from: ComfyUI's noise for the seed
    (prepare_noise, per tensor of a nested latent), scaled by the model's noise_scaling at sigma = 1."""
    import comfy.sample

    with record.check(family, "gamma_one") as numbers:
        latent = latent_of(family, 18)
        inverted, _ = run_pair(runner, model, family, latent, dict(steps=STEPS, gamma=1.0, seed=3), EDIT)
        sampling = model.get_model_object("model_sampling")
        noise = comfy.sample.prepare_noise(latent["samples"], 3)
        scale = float(getattr(sampling, "noise_scale", 1.0))
        numbers.update(noise_scale=scale)
        inner = model.model
        for got, eps, src in zip(tensors(inverted["samples"]), tensors(noise), tensors(latent["samples"])):
            want = inner.process_latent_out(sampling.noise_scaling(torch.ones(1), eps, inner.process_latent_in(src)))
            numbers.setdefault("max_abs_diff", []).append((got - want).abs().max().item())
            torch.testing.assert_close(got, want, rtol=0, atol=1e-4)


# (e) ---------------------------------------------------------------------------------------------------------


def test_cfg_with_a_negative_prompt(family, model, runner, record):
    with record.check(family, "cfg") as numbers:
        latent = latent_of(family, 14)
        negative = family.conditioning(9, samples_of(latent))
        _, plain = run_pair(runner, model, family, latent, dict(steps=STEPS), EDIT)
        _, guided = run_pair(runner, model, family, latent, dict(steps=STEPS), dict(EDIT, cfg=3.0),
                                negative=negative)
        diff = mean_abs(samples_of(guided), samples_of(plain))
        numbers.update(mean_abs_diff_cfg3_vs_cfg1=diff)
        assert torch.isfinite(samples_of(guided)).all()
        assert diff > 1e-4, f"{family.name}: cfg 3 with a negative prompt changed nothing (mean diff {diff:.2e})"


# (g) ---------------------------------------------------------------------------------------------------------


def test_guidance_input_leaves_models_without_an_embedding_alone(family, model, runner, record):
    with record.check(family, "guidance_ignored") as numbers:
        latent = latent_of(family, 15)
        outs = [run_pair(runner, model, family, latent, dict(steps=STEPS), dict(EDIT, guidance=g))[1]
                for g in (0.0, 3.5)]
        diff = mean_abs(samples_of(outs[1]), samples_of(outs[0]))
        numbers.update(mean_abs_diff_guidance_3_5_vs_0=diff)
        # not exactly 0: HiDream-O1 caches its prefix K/V across calls (float noise ~1e-8)
        assert diff < 1e-6, (f"{family.name} has no guidance embedding, yet the guidance input changed the edit "
                             f"(mean diff {diff:.2e})")


# (i) beyond the paper (issue 17) -------------------------------------------------------------------------------


def max_abs(a, b) -> float:
    return max((x.float() - y.float()).abs().max().item() for x, y in zip(tensors(a), tensors(b)))


def test_aligned_round_trip_returns_the_source(family, model, runner, record):
    """align (keep_trace on RFInvert), the same prompt both ways and eta 0: the edit retraces the inversion step
    by step and lands on the source to float precision, at gamma 0 and at the paper's 0.5, where the plain Euler
    round trip is off by its discretisation error."""
    with record.check(family, "align") as numbers:
        latent = latent_of(family, 20)
        cond = family.conditioning(0, samples_of(latent))
        scale = max(t.float().abs().max().item() for t in tensors(latent["samples"]))
        for gamma in (0.0, 0.5):
            errors = {}
            for align in (False, True):
                _, edited = run_pair(runner, model, family, latent, dict(steps=STEPS, gamma=gamma, guidance=0.0,
                                                                         keep_trace=True),
                                     dict(steps=STEPS, stop_step=1, eta=0.0, guidance=0.0, align=align),
                                     src_cond=cond, edit_cond=cond)
                errors["aligned" if align else "plain"] = max_abs(edited["samples"], latent["samples"])
            numbers[f"gamma {gamma}: max_abs_error"] = errors
            assert errors["aligned"] <= 1e-5 * max(scale, 1.0), (f"{family.name}: the aligned round trip at gamma "
                                                                 f"{gamma} is off the source: {errors}")
        assert numbers["gamma 0.0: max_abs_error"]["plain"] > 100 * numbers["gamma 0.0: max_abs_error"]["aligned"]


def test_levers_keep_eta_one_and_the_mask(family, model, runner, record):
    """With align on, eta 1 on every step still returns the reference, and a mask still keeps the outside exactly
    while the inside is edited."""
    with record.check(family, "levers") as numbers:
        latent = latent_of(family, 21)
        samples = samples_of(latent)
        inv = dict(steps=STEPS, keep_trace=True)
        _, held = run_pair(runner, model, family, latent, inv,
                           dict(steps=STEPS, stop_step=STEPS, eta=1.0, align=True))
        numbers["eta_one_max_abs_diff"] = max_abs(held["samples"], latent["samples"])
        assert numbers["eta_one_max_abs_diff"] < 1e-5, f"{family.name}: eta 1 left the reference"
        r = region(samples)
        _, edited = run_pair(runner, model, family, latent, inv,
                             dict(EDIT, align=True), mask=as_mask(r))
        diff = (samples_of(edited) - samples).abs()
        r = r[None, None].expand_as(diff)
        outside, inside = diff[r == 0].max().item(), diff[r == 1].mean().item()
        numbers.update(outside_max_abs_diff=outside, inside_mean_abs_diff=inside)
        assert outside < 1e-5 and inside > 1e-3, (f"{family.name}: the mask with align on kept the outside "
                                                  f"to {outside:.2e} and edited the inside by {inside:.2e}")


def test_flowedit_keeps_the_source_with_its_prompt_and_edits_with_another(family, model, runner, record):
    """FlowEdit beside RF-Inversion on the same model: the source prompt both ways adds nothing (n_min 0), another
    prompt edits, keeping the latent's format, at 2 n_avg (n_max - n_min) + n_min model evaluations."""
    with record.check(family, "flowedit") as numbers:
        latent = latent_of(family, 22)
        same = dict(steps=STEPS, n_max=3, n_min=0, source_guidance=3.5, target_guidance=3.5)
        kept = run_flowedit(runner, model, family, latent, same_prompt=True, **same)
        log: list = []
        edited = run_flowedit(runner, recording_clone(model, log, "m"), family, latent, steps=STEPS, n_max=3,
                              n_min=1, n_avg=2)
        numbers.update(same_prompt_max_abs_diff=max_abs(kept["samples"], latent["samples"]),
                       edit_mean_abs_diff=mean_abs(samples_of(edited), samples_of(latent)), evaluations=len(log))
        assert numbers["same_prompt_max_abs_diff"] < 1e-4, f"{family.name}: the source prompt moved the source"
        assert numbers["edit_mean_abs_diff"] > 1e-3, f"{family.name}: another prompt did not edit"
        assert len(log) == 2 * 2 * (3 - 1) + 1, f"{family.name}: {len(log)} evaluations, not 2 n_avg (n_max - n_min) + n_min"
        for got, want in zip(tensors(edited["samples"]), tensors(latent["samples"])):
            assert got.shape == want.shape and got.dtype == want.dtype and torch.isfinite(got).all()
        assert all(edited.get(k) == v for k, v in latent.items() if k != "samples")


# (f) ---------------------------------------------------------------------------------------------------------


def test_non_rectified_flow_family_is_refused_by_name(refused_family, comfy, runner, record):
    family = refused_family
    with record.check(family, "refused") as numbers:
        run = invert_only(runner, built(family), family, latent_of(family, 16))
        numbers.update(message=run.error)
        assert not run.success, f"{family.name} ran instead of being refused"
        names, why = family.refuse
        assert all(n in run.error for n in names), f"the refusal does not name {names}: {run.error}"
        assert why in run.error, f"the refusal does not say why ({why!r}): {run.error}"


def test_zoo_families_are_the_rectified_flow_configs_they_claim(comfy):
    """Each tested family's config samples by rectified flow on this version, each refused one does not (or
    has latents the pack cannot take), as ComfyUI's own classes say."""
    configs = ZOO.rectified_flow_configs()
    for f in ZOO.FAMILIES:
        if f.missing() is None and not f.refuse:
            assert configs.get(f.config) == f.model_class, (f.name, f.config, configs.get(f.config))
    assert "CosmosT2IPredict2" not in configs and "WAN21_FlowRVS" not in configs


def test_wan22_animate_reads_the_face_video_in_both_passes(comfy, runner):
    """Wan 2.2 Animate's face video (512 x 512 pixels through its motion encoder, too slow for every check above) in
    the conditioning of both passes: the round trip stays finite and close, and the face changes the edit."""
    import model_zoo_wan

    family = ZOO.BY_NAME["Wan 2.2 Animate"]
    model, latent = built(family), latent_of(family, 19)
    samples = samples_of(latent)
    face = [[c, {**d, **model_zoo_wan.animate_face_cond(0, samples)}] for c, d in
            (family.conditioning(s, samples)[0] for s in (0, 5))]
    one_step = dict(steps=1, stop_step=1, eta=0.5)  # ~2 s per evaluation with the face on the CPU
    _, back = run_pair(runner, model, family, latent, dict(steps=1, gamma=0.0, guidance=0.0),
                       dict(one_step, eta=0.0, guidance=0.0), src_cond=[face[0]], edit_cond=[face[0]])
    _, with_face = run_pair(runner, model, family, latent, dict(steps=1), one_step, src_cond=[face[0]],
                            edit_cond=[face[1]])
    _, without = run_pair(runner, model, family, latent, dict(steps=1), one_step)
    errors = {"round trip": mean_abs(back["samples"], samples),
              "face vs none": mean_abs(with_face["samples"], without["samples"])}
    assert torch.isfinite(back["samples"]).all() and errors["round trip"] < 0.25, errors
    assert errors["face vs none"] > 1e-4, errors


# (h) ---------------------------------------------------------------------------------------------------------


def wan22_sampler_chain(g, family, high, low, latent, samples, steps, boundary, edit_opts):
    """The SAMPLER forms for two experts: per direction two SamplerCustomAdvanced on the same sigmas, one per
    expert's BasicGuider, the RF samplers' expert low_noise then high_noise (inversion) and high_noise then
    low_noise (edit), as ComfyUI's Wan 2.2 templates chain two KSamplerAdvanced."""
    hi, lo, src = g.model(high), g.model(low), g.latent(**latent)
    sched = scheduler(g, hi, steps)
    flipped = g.out(g.add("RFFlipSigmas", sigmas=sched))
    src_cond, edit_cond = family.conditioning(0, samples), family.conditioning(5, samples)
    inverted = src
    for model, expert in ((lo, "low_noise"), (hi, "high_noise")):
        sampler = add_invert_sampler(g, expert=expert, boundary=boundary)
        inverted = g.out(advanced(g, model, src_cond, sampler, flipped, inverted))
    edited = inverted
    for model, expert in ((hi, "high_noise"), (lo, "low_noise")):
        sampler = add_edit_sampler(g, edited, expert=expert, boundary=boundary, **edit_opts)
        edited = g.out(advanced(g, model, edit_cond, sampler, sched, src))
    return inverted, edited


def test_wan22_a14b_switches_experts_at_the_boundary(family, comfy, pack, runner, record):
    """Two different tiny experts: every evaluation of the inversion and of the edit is served by the expert its
    sigma belongs to (high-noise at sigma >= boundary), from the all-in-one nodes (model_low_noise) and from the
    SAMPLER forms (two runs per direction, expert low_noise / high_noise); both forms give the same latents.
    Text-to-video at its boundary 0.875, image-to-video at 0.9."""
    import model_zoo_video

    mode = "i2v" if "I2V" in family.name else "t2v"
    with record.check(family, "experts") as numbers:
        high, low, boundary = model_zoo_video.wan22_experts(seed=1, mode=mode)
        second = {n: [k for k, t in model_inputs(n).items() if t == "MODEL" and k != "model"]
                  for n in ("RFInvert", "RFControlledSampler")}
        numbers.update(second_model_inputs=second, boundary=boundary)
        assert all(v == ["model_low_noise"] for v in second.values()), (
            f"Wan 2.2 A14B needs its high-noise expert above sigma {boundary} and the low-noise expert below; "
            f"the nodes' second MODEL inputs: {second}")
        steps, edit_opts = 8, dict(stop_step=2, eta=0.5)
        latent = latent_of(family, 17)
        samples = samples_of(latent)
        logs = {"nodes": [], "samplers": []}
        g = Graph()
        lo = g.model(recording_clone(low, logs["nodes"], "low"))
        experts = dict(model_low_noise=lo, boundary=boundary)
        nodes = invert_then_edit(g, recording_clone(high, logs["nodes"], "high"), latent, steps,
                                 src_cond=family.conditioning(0, samples), edit_cond=family.conditioning(5, samples),
                                 inv=experts, ed=dict(edit_opts, guidance=0.0, **experts))
        chain = wan22_sampler_chain(g, family, recording_clone(high, logs["samplers"], "high"),
                                    recording_clone(low, logs["samplers"], "low"), latent, samples, steps, boundary,
                                    edit_opts)
        node_inv, node_edit, chain_inv, chain_edit = (out["samples"] for out in run_ok(runner, g, *nodes, *chain))
        grid = [float(s) for s in model_grid(high, steps)]
        want = grid[::-1][:-1] + grid[:-1]  # the inversion's step sigmas, then the edit's
        numbers.update(evaluations=logs["nodes"])
        for form, log in logs.items():
            assert [s for _, s in log] == pytest.approx(want, abs=1e-6), (form, log)
            wrong = [(who, s) for who, s in log if (who == "high") != (s >= boundary)]
            assert not wrong, f"{form}: evaluations served by the wrong expert (boundary {boundary}): {wrong}"
            for part in (log[:steps], log[steps:]):  # both directions use both experts
                assert {who for who, _ in part} == {"high", "low"}, (form, part)
        assert torch.equal(chain_inv, node_inv) and torch.equal(chain_edit, node_edit)
        assert not torch.equal(node_edit, samples)


