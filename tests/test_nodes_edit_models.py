"""Edit models (Flux Kontext, Qwen-Image-Edit, Flux.2) read the source image as reference latents in the
conditioning: RFInvert records which ones its conditioning carried, and an edit whose conditioning carries others
says so on the console (a user may invert without them on purpose, so it is not refused)."""

from __future__ import annotations

import logging

import pytest

import family_runs
from builders import add_edit_sampler, add_invert, advanced, scheduler
from executor import Graph

pytestmark = pytest.mark.comfyui

EDIT_MODELS = ["Flux.1 Kontext", "Qwen-Image-Edit"]
FIX = "Give RFInvert's conditioning the same reference latents"


def without_references(cond):
    return [[c, {k: v for k, v in d.items() if k != "reference_latents"}] for c, d in cond]


def round_trip(runner, zoo, name, src_cond_of, caplog):
    """gamma = eta = 0 with the edit conditioning carrying the reference latents; returns (inverted, error, log)."""
    family = zoo.BY_NAME[name]
    model, latent = family.build(seed=1), family.latent(10)
    samples = family_runs.video_part(latent["samples"])
    cond = family.conditioning(0, samples)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        inverted, edited = family_runs.run_pair(runner, model, family, latent, dict(steps=8, gamma=0.0, guidance=0.0),
                                       dict(steps=8, stop_step=1, eta=0.0, guidance=0.0), src_cond=src_cond_of(cond),
                                       edit_cond=cond)
    warnings = [r.getMessage() for r in caplog.records if "reference latents" in r.getMessage()]
    return inverted, cond, family_runs.mean_abs(family_runs.video_part(edited["samples"]), samples), warnings


@pytest.mark.parametrize("name", EDIT_MODELS)
def test_the_inversion_records_its_reference_latents_and_a_matching_edit_is_quiet(runner, zoo, name, pack, caplog):
    inverted, cond, error, warnings = round_trip(runner, zoo, name, lambda c: c, caplog)
    recorded = inverted["rf_inversion"]["reference_latents"]
    assert recorded == pack.nodes.record.reference_fingerprints(d for _, d in cond) and len(recorded) == 1
    assert warnings == []


@pytest.mark.parametrize("name", EDIT_MODELS)
def test_an_edit_with_reference_latents_the_inversion_did_not_see_says_so(runner, zoo, name, caplog):
    _, _, matched, _ = round_trip(runner, zoo, name, lambda c: c, caplog)
    inverted, cond, mismatched, warnings = round_trip(runner, zoo, name, without_references, caplog)
    assert inverted["rf_inversion"]["reference_latents"] == []
    assert len(warnings) == 1 and FIX in warnings[0] and "none" in warnings[0], warnings
    # why it matters: the reference latents are part of the flow being inverted (the tiny models read them weakly,
    # so this is a change, not the large loss of a trained edit model)
    assert abs(mismatched - matched) > 1e-4, (matched, mismatched)


def test_the_sampler_form_says_so_too(runner, zoo, caplog):
    """RFControlledSamplerSampler fed RFInvert's output reads the guider's conditioning: the same warning."""
    family = zoo.BY_NAME["Flux.1 Kontext"]
    model, latent = family.build(seed=1), family.latent(10)
    cond = family.conditioning(0, latent["samples"])
    g = Graph()
    m, src = g.model(model), g.latent(**latent)
    inv = add_invert(g, m, without_references(cond), src, 4)
    edit = advanced(g, m, cond, add_edit_sampler(g, g.out(inv), stop_step=1, eta=0.5), scheduler(g, m, 4), src)
    g.capture(g.out(edit))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        run = runner.run(g)
    assert run.success, run.error
    assert sum(FIX in r.getMessage() for r in caplog.records) == 1
