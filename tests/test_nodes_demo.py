"""The demo's nodes (nodes/demo.py) through ComfyUI's executor, on the scene model that ships in toyworld/: the
loader's model is a rectified flow the edit nodes take, captions outside the model's words are refused by name,
render -> latent -> image gives the scene back, and the chain of workflows/scene_demo.json makes its edit."""

from __future__ import annotations

import random

import pytest
import torch

from builders import DEMO, run_images, scene_demo
from executor import Graph
from scenes import edit_problems, picture
from toyworld import reader, world

pytestmark = pytest.mark.comfyui

SCENES = 12  # random scenes for the round trip, in one graph


def failure(runner, g: Graph, *images) -> tuple[str, str]:
    """(exception type, message) of a graph that must fail, with its IMAGE links captured."""
    for link in images:
        g.capture_image(link)
    run = runner.run(g)
    assert not run.success, "the graph ran"
    error = run.events("execution_error")[0]
    return error["exception_type"], error["exception_message"]


def test_the_loader_gives_a_rectified_flow_model_the_edit_nodes_take(pack, runner):
    """A CONST (rectified-flow) model of 3-channel pixel latents without a guidance embedding (so the workflow's
    note says guidance does nothing); RFInvert and RFControlledSampler run on it, and eta 1 on every step gives
    the source back exactly (the last step lands on the reference)."""
    from comfyui_rf_inversion.nodes import demo, guidance, models

    model = demo.RFDemoSceneModel.execute().result[0]
    assert models.prediction_type(model.get_model_object("model_sampling")) == "CONST"
    assert model.get_model_object("latent_format").latent_channels == 3
    assert not guidance.has_guidance_embedding(model)
    g = Graph()
    source, edited = run_images(runner, g, *scene_demo(g, ed={"eta": 1.0, "stop_step": 28}))
    assert torch.equal(edited, source)


@pytest.mark.parametrize("caption, named", [
    ("a purple solid circle at left on a plain white background", "'purple'"),
    ("A blue solid circle at left on a plain white background.", "'A'"),
    (" ".join(["a red solid circle at left and"] * 4), "28 words"),
])
def test_a_caption_the_model_cannot_read_is_refused_by_name(runner, caption, named):
    g = Graph()
    kind, message = failure(runner, g, *scene_demo(g, edit=caption))
    assert kind.endswith("RFInputError"), kind
    assert message.startswith("caption: ") and named in message, message
    assert "lowercase" in message and "a red solid circle at left on a plain white background" in message, message


def test_a_scene_caption_outside_the_grammar_is_refused_with_it(runner):
    g = Graph()
    kind, message = failure(runner, g, *scene_demo(g, source="a red circle at left on a plain white background"))
    assert kind.endswith("RFInputError"), kind
    assert "is not a toy-world caption: write one or two" in message, message


def test_render_to_latent_to_image_gives_the_scene_back(runner):
    """The caption's scene (objects at their slots' centres, full light), exact but for float32 rounding
    ((x * 2 - 1 + 1) / 2), so the 8-bit picture Save Image writes (255 x, cut to an integer) is the render's; scale
    8 repeats each pixel as an 8 x 8 block."""
    rng = random.Random(3)
    scenes = [world.sample_scene(rng) for _ in range(SCENES)]
    g, links = Graph(), []
    for scene in scenes:
        latent = g.out(g.add("RFDemoImageToLatent", image=g.out(g.add("RFDemoScene", caption=world.caption(scene)))))
        links += [g.out(g.add("RFDemoLatentToImage", samples=latent, scale=s)) for s in (1, 8)]
    images = run_images(runner, g, *links)
    for scene, small, large in zip(scenes, images[::2], images[1::2]):
        render = world.render(world.parse(world.caption(scene)))
        assert (picture(small) - render).abs().max() <= 1e-7
        assert torch.equal((picture(small) * 255).floor(), (render * 255).floor())
        assert torch.equal(large, small.repeat_interleave(8, 1).repeat_interleave(8, 2))


def test_an_image_of_another_size_is_cropped_to_its_centre_and_resized(runner):
    """A render enlarged 2x (2 x 2 blocks) in the middle of a wider image with noise on both sides comes back as the
    render: the centre square, area-filtered to 32 x 32."""
    render = world.render(world.parse(DEMO["source"])).movedim(0, -1)
    noise = torch.rand((64, 16, 3), generator=torch.Generator().manual_seed(0))
    wide = torch.cat([noise, render.repeat_interleave(2, 0).repeat_interleave(2, 1), noise], dim=1)[None]
    g = Graph()
    latent = g.out(g.add("RFDemoImageToLatent", image=g.image(wide)))
    (back,) = run_images(runner, g, g.out(g.add("RFDemoLatentToImage", samples=latent, scale=1)))
    assert (back[0] - render).abs().max() <= 1e-6


def test_latent_to_image_clamps_to_the_picture_range_as_vae_decode_does(runner):
    latent = torch.tensor([-3.0, -1.0, 0.0, 1.0, 2.5]).reshape(1, 1, 1, 5).expand(1, 3, 1, 5)
    g = Graph()
    (image,) = run_images(runner, g, g.out(g.add("RFDemoLatentToImage", samples=g.latent(latent), scale=1)))
    assert image[0, 0, :, 0].tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("what, make, named", [
    ("NaN latent", lambda g: g.latent(torch.full((1, 3, 32, 32), float("nan"))), "samples: the latent holds NaN"),
    ("Flux latent", lambda g: g.latent(torch.zeros((1, 16, 8, 8))), "samples: got shape (1, 16, 8, 8)"),
])
def test_latent_to_image_refuses_what_it_cannot_show(runner, what, make, named):
    g = Graph()
    kind, message = failure(runner, g, g.out(g.add("RFDemoLatentToImage", samples=make(g), scale=8)))
    assert kind.endswith("RFInputError") and message.startswith(named), (what, message)


def test_image_to_latent_refuses_an_image_that_is_not_rgb(runner):
    g = Graph()
    g.capture(g.out(g.add("RFDemoImageToLatent", image=g.image(torch.zeros((1, 32, 32, 4))))))
    kind, message = failure(runner, g)
    assert kind.endswith("RFInputError") and message.startswith("image: got shape (1, 32, 32, 4)"), message


def test_the_demo_edit_makes_the_named_change_and_keeps_the_rest(runner):
    """The chain of workflows/scene_demo.json: the reader sees the source scene, and in the edit exactly the edit
    caption's scene (the circle blue) with the circle where it was and the background's light kept."""
    g = Graph()
    source, edited = run_images(runner, g, *scene_demo(g))
    assert source.shape == edited.shape == (1, 32, 32, 3) and torch.isfinite(edited).all()
    assert world.caption(reader.read(picture(source))) == DEMO["source"]
    assert edit_problems(picture(source), picture(edited), DEMO["edit"]) == []


def demo_runs(runner, settings: list[dict], edit: str = DEMO["edit"]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(source, edit) IMAGEs of the demo chain for each {"inv": ..., "ed": ...}, in one graph."""
    g, links = Graph(), []
    for s in settings:
        links += scene_demo(g, edit=edit, inv=s.get("inv"), ed=s.get("ed"))
    images = run_images(runner, g, *links)
    return list(zip(images[::2], images[1::2]))


def read_back(image: torch.Tensor) -> world.Scene:
    return reader.read(picture(image))


def test_what_the_demo_note_says_stop_step_does(runner):
    """The note's stop_step, at the workflow's eta 0.9: at 14 (the workflow's) the circle turns blue in its place;
    at 7 it turns blue but drifts; at 27 it stays red. (eta 1 to step 28 gives the source: the loader's test.)"""
    runs = demo_runs(runner, [{"ed": {"stop_step": stop}} for stop in (14, 7, 27)])
    (source, kept), (_, drifted), (_, late) = runs
    assert edit_problems(picture(source), picture(kept), DEMO["edit"]) == []
    drift = edit_problems(picture(source), picture(drifted), DEMO["edit"])
    assert drift and all(p.startswith(("the left object moved", "the background's light")) for p in drift), drift
    assert [o.colour for o in read_back(late).objects] == ["red"], world.caption(read_back(late))


def test_what_the_demo_note_says_gamma_does(runner):
    """The note's gamma: the demo edit is made, all else kept, at gamma 0, 0.5 and 1; with the empty edit caption,
    cfg 1 and eta 0, gamma 0 draws the source again, nearly, and a higher gamma more of a new scene."""
    runs = demo_runs(runner, [{"inv": {"gamma": g}} for g in (0.0, 0.5, 1.0)])
    assert [edit_problems(picture(source), picture(edit), DEMO["edit"]) for source, edit in runs] == [[]] * 3
    redraw = {"ed": {"eta": 0.0, "cfg": 1.0}}
    runs = demo_runs(runner, [{"inv": {"gamma": g}, **redraw} for g in (0.0, 0.5, 1.0)], edit="")
    distances = [float((edit - source).abs().mean()) for source, edit in runs]
    assert distances[0] < 0.1 and distances == sorted(distances) and distances[-1] > 3 * distances[0], distances
    assert world.caption(read_back(runs[0][1])) == DEMO["source"]
    assert world.caption(read_back(runs[-1][1])) != DEMO["source"]
