"""Edits with exact answers: a source scene, the target scene that differs in one attribute, both captions,
and the mask of the pixels the edit may change (everything outside it is identical in both renders)."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import torch

from . import world
from .world import Obj, Scene

KINDS = ("colour", "shape", "texture", "background", "add", "remove")


@dataclass(frozen=True)
class Edit:
    """One edit: kind, scenes, captions, and the (SIZE, SIZE) bool mask it may change."""

    kind: str
    source: Scene
    target: Scene
    source_caption: str
    target_caption: str
    mask: torch.Tensor


def _other(rng: random.Random, values, current):
    """A value different from current."""
    return rng.choice([v for v in values if v != current])


def _swap(scene: Scene, i: int, obj: Obj) -> Scene:
    """The scene with object i replaced."""
    return replace(scene, objects=scene.objects[:i] + (obj,) + scene.objects[i + 1:])


def _object_edit(rng: random.Random, scene: Scene, kind: str) -> Scene | None:
    """Change one attribute of a random object; None if the changed object no longer fits."""
    i = rng.randrange(len(scene.objects))
    obj = scene.objects[i]
    values = {"colour": world.COLOURS, "shape": world.SHAPES, "texture": world.TEXTURES}
    new = replace(obj, **{kind: _other(rng, list(values[kind]), getattr(obj, kind))})
    others = scene.objects[:i] + scene.objects[i + 1:]
    return _swap(scene, i, new) if world.fits(new, others) else None


def _add(rng: random.Random, scene: Scene) -> Scene | None:
    """Add a random object where it fits (one-object scenes only)."""
    if len(scene.objects) != 1:
        return None
    new = world.place(rng, world.sample_object(rng), scene.objects)
    return None if new is None else replace(scene, objects=scene.objects + (new,))


def _remove(rng: random.Random, scene: Scene) -> Scene | None:
    """Remove a random object (two-object scenes only)."""
    if len(scene.objects) != 2:
        return None
    i = rng.randrange(2)
    return replace(scene, objects=scene.objects[:i] + scene.objects[i + 1:])


def target_of(rng: random.Random, scene: Scene, kind: str) -> Scene | None:
    """The edited scene, or None if this source cannot take this edit."""
    if kind == "background":
        return replace(scene, bg_colour=_other(rng, list(world.BACKGROUNDS), scene.bg_colour))
    if kind == "add":
        return _add(rng, scene)
    if kind == "remove":
        return _remove(rng, scene)
    if kind in ("colour", "shape", "texture"):
        return _object_edit(rng, scene, kind)
    raise ValueError(f"unknown edit kind {kind!r}: use one of {KINDS}")


def objects_mask(scene: Scene) -> torch.Tensor:
    """Union of the scene's object masks."""
    mask = torch.zeros(world.SIZE, world.SIZE, dtype=torch.bool)
    for obj in scene.objects:
        mask |= world.object_mask(obj)
    return mask


def edit_mask(kind: str, source: Scene, target: Scene) -> torch.Tensor:
    """The pixels the edit may change: the background for background edits, else the changed objects' pixels
    in the source and the target (objects present in one scene only, or changed)."""
    if kind == "background":
        return ~objects_mask(source)
    changed = set(source.objects) ^ set(target.objects)
    mask = torch.zeros(world.SIZE, world.SIZE, dtype=torch.bool)
    for obj in changed:
        mask |= world.object_mask(obj)
    return mask


def make_edit(rng: random.Random, kind: str) -> Edit:
    """A random edit of one kind (sources are drawn until one can take it)."""
    while True:
        source = world.sample_scene(rng)
        target = target_of(rng, source, kind)
        if target is not None:
            mask = edit_mask(kind, source, target)
            return Edit(kind, source, target, world.caption(source), world.caption(target), mask)


def test_set(seed: int, n: int) -> list[Edit]:
    """n edits, the kinds taken in turn (balanced), deterministic from the seed."""
    rng = random.Random(seed)
    return [make_edit(rng, KINDS[i % len(KINDS)]) for i in range(n)]


test_set.__test__ = False  # not a pytest test, despite its name
