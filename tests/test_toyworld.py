"""The toy world (toyworld/): deterministic renders, exact edits, an exact reader, and the shipped model's gates.
Pure torch, no ComfyUI."""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # last: bench/toyworld.py is not the package

import toyworld_gates  # noqa: E402
from toyworld import edits, reader, weights, world  # noqa: E402

GATE_SAMPLES = 40  # the CLI scores 100 held-out captions; 40 keep the test near 30 s of CPU
GATE_TOLERANCE = 0.05  # so each share may sit this far under the CLI's 0.90 (binomial noise at n = 40..60)


def _key(scene: world.Scene):
    """A scene's attributes and positions, object order aside."""
    return scene.bg_colour, scene.bg_texture, sorted(scene.objects, key=lambda o: (o.y, o.x))


def test_renders_are_deterministic_per_seed():
    a, caps_a = world.batch(3, 16)
    b, caps_b = world.batch(3, 16)
    c, _ = world.batch(4, 16)
    assert torch.equal(a, b) and caps_a == caps_b
    assert not torch.equal(a, c)
    assert a.shape == (16, 3, world.SIZE, world.SIZE) and a.min() >= 0 and a.max() <= 1


def test_captions_tokenize_within_the_vocabulary():
    _, captions = world.batch(0, 64)
    ids = torch.stack([world.tokenize(c) for c in captions])
    assert ids.shape == (64, world.TOKENS) and int(ids.max()) < len(world.VOCAB)
    assert torch.equal(world.tokenize(""), torch.zeros(world.TOKENS, dtype=torch.long))
    with pytest.raises(ValueError, match="vocabulary|use only"):
        world.tokenize("a purple circle")


def test_held_out_split_is_disjoint_from_training():
    rng = random.Random(0)
    train = {world.description(world.sample_split(rng, held=False)) for _ in range(300)}
    held = {world.description(world.sample_split(rng, held=True)) for _ in range(100)}
    assert not train & held


def test_edits_change_only_inside_their_mask():
    test_set = edits.test_set(0, 10 * len(edits.KINDS))
    assert Counter(e.kind for e in test_set) == {k: 10 for k in edits.KINDS}
    for e in test_set:
        diff = (world.render(e.source) - world.render(e.target)).abs().amax(0)
        assert diff[~e.mask].max() == 0, f"{e.kind}: {e.source_caption} -> {e.target_caption}"
        assert diff[e.mask].max() > 0 and e.source_caption != e.target_caption


def test_edits_are_deterministic_and_change_one_attribute():
    a, b = edits.test_set(5, 14), edits.test_set(5, 14)
    assert [(e.source, e.target) for e in a] == [(e.source, e.target) for e in b]
    for e in a:
        src, tgt = set(e.source.objects), set(e.target.objects)
        changed = len(src ^ tgt)
        assert changed == (0 if e.kind == "background" else 1 if e.kind in ("add", "remove") else 2)


def test_reader_reads_every_attribute_of_200_rendered_scenes():
    rng = random.Random(1)
    scenes = [world.sample_scene(rng) for _ in range(200)]
    wrong = [s for s in scenes if _key(reader.read(world.render(s))) != _key(s)]
    assert wrong == []


def _blur(image: torch.Tensor) -> torch.Tensor:
    k = torch.tensor([1.0, 2.0, 1.0])
    k = (k[:, None] * k[None]) / 16
    padded = torch.nn.functional.pad(image[:, None], (1, 1, 1, 1), mode="replicate")
    return torch.nn.functional.conv2d(padded, k[None, None])[:, 0]


def test_reader_tolerates_blurred_edges():
    """A 3 x 3 binomial blur (softer than the model's samples) with mild noise: >= 90% of scenes read right."""
    rng, g = random.Random(2), torch.Generator().manual_seed(0)
    scenes = [world.sample_scene(rng) for _ in range(100)]
    images = [(_blur(world.render(s)) + 0.03 * torch.randn((3, 32, 32), generator=g)).clamp(0, 1) for s in scenes]
    strip = lambda s: (s.bg_colour, s.bg_texture, sorted(o.words() for o in s.objects))  # noqa: E731
    right = sum(strip(reader.read(im)) == strip(s) for im, s in zip(images, scenes))
    assert right >= 90


def test_manifest_sha256_matches_the_weights():
    manifest = json.loads(weights.manifest_path().read_text())
    assert manifest["sha256"] == weights.sha256(weights.WEIGHTS)
    assert manifest["gates"] and manifest["training"]["train_seed"] is not None


def test_gates_pass_on_the_shipped_weights():
    net, text = weights.load()
    result = toyworld_gates.run_gates(net, text, seed=1, n=GATE_SAMPLES)
    low = {k: v for k, v in result["shares"].items() if v < toyworld_gates.THRESHOLD - GATE_TOLERANCE}
    assert low == {}, result["shares"]


def test_gates_fail_on_random_weights():
    net, text = toyworld_gates.random_model(seed=0)
    result = toyworld_gates.run_gates(net, text, seed=1, n=GATE_SAMPLES)
    assert not result["pass"]
    assert min(result["shares"].values()) < 0.6, result["shares"]


def test_network_takes_comfyui_basemodel_arguments():
    """BaseModel builds unet_model(**unet_config, device=..., operations=...) and calls it with control=...;
    the velocity keeps the image's shape."""
    from toyworld import network

    net = network.SceneDiT(**network.CONFIG, dtype=torch.float32, device="cpu", operations=torch.nn, num_heads=-1)
    text = network.TextEmbedding(**network.TEXT_CONFIG)
    x = torch.randn(2, 3, world.SIZE, world.SIZE)
    v = net(x, torch.tensor([1000.0, 250.0]), context=text.encode(["", "a red solid circle at left on a plain "
                                                                    "white background"]), control=None,
            transformer_options={})
    assert v.shape == x.shape and net.dtype == torch.float32


def test_parse_gives_the_captions_scene_and_refuses_other_text():
    rng = random.Random(5)
    for scene in (world.sample_scene(rng) for _ in range(200)):
        parsed = world.parse(world.caption(scene))  # the caption's scene: objects at their slots' centres, light 1
        assert world.caption(parsed) == world.caption(scene) and parsed.light == 1.0
        assert all((o.x, o.y) == world.SLOTS[o.slot] for o in parsed.objects)
    for bad in ("a red circle", "a red solid circle at left and a blue solid square at left on a plain white background",
                "a red solid circle at left on a plain black background"):
        with pytest.raises(ValueError, match="is not a toy-world caption: write one or two"):
            world.parse(bad)


def test_importing_the_gates_leaves_sys_path_alone():
    """bench/toyworld_gates.py once put the repo root first on import, so in the full test run `import nodes` found
    this pack's nodes/ instead of ComfyUI's nodes.py."""
    import importlib

    before = list(sys.path)
    importlib.reload(toyworld_gates)
    assert sys.path == before


def test_the_report_prints_each_options_means_and_each_kinds():
    import toyworld_report

    results = json.loads((Path(__file__).resolve().parents[1] / "bench" / "toyworld_slice.json").read_text())["options"]
    text = toyworld_report.report(results)
    paper = results["paper"]["all"]
    assert f"| paper | {paper['gt_psnr']:.1f} | {paper['bg_psnr']:.1f} | {paper['success']:.2f} |" in text
    assert text.count("| region_mask |") == 3 and "| colour | shape | texture | background | add | remove | all |" in text
