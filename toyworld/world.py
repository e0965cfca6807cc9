"""A seeded procedural world of 32 x 32 RGB scenes: one or two flat objects, each in the left or right slot, on a
plain or striped background. render(scene) draws it with hard edges (so edits are exact), caption(scene) names the
attributes in a 21-word vocabulary, tokenize(caption) gives fixed-length ids ("" is the null prompt). What the
caption does not say, the objects' exact positions within their slots and the background's light, is what an edit
must keep from its source."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, replace

import torch

SIZE = 32
COLOURS = {  # object colours: saturated, far apart in RGB
    "red": (0.90, 0.10, 0.10),
    "green": (0.10, 0.75, 0.15),
    "blue": (0.10, 0.25, 0.95),
    "yellow": (0.95, 0.85, 0.10),
}
BACKGROUNDS = {  # background colour: (base, stripe); pale, so every object colour stands out
    "white": ((0.95, 0.95, 0.95), (0.70, 0.70, 0.70)),
    "gray": ((0.50, 0.50, 0.50), (0.70, 0.70, 0.70)),
    "pink": ((1.00, 0.75, 0.80), (0.80, 0.55, 0.60)),
}
SHAPES = ("circle", "square", "triangle")
SIZES = {"large": 6}  # half-width: the object's box is 13 pixels (one size: shapes learn in 45 CPU minutes)
SLOTS = {"left": (8, 16), "right": (24, 16)}  # slot centres (x = column, y = row)
JITTER = (2, 3)  # an object's centre lies up to this many pixels (x, y) from its slot's, uncaptioned
LIGHT = (0.85, 1.0)  # the background's brightness factor, uncaptioned
TEXTURES = ("solid", "striped")  # striped objects: 2-pixel columns of the colour and a darker shade
BG_TEXTURES = ("plain", "striped")  # striped backgrounds: 2-pixel rows of base and stripe colour
DARK = 0.35  # the darker shade of a striped object is colour * DARK
MARGIN = 1  # objects keep this many background pixels from the image's edge
GAP = 2  # and at least this many between each other
HOLD_OUT = 10  # one scene description in HOLD_OUT is never trained on (see held_out)

WORDS = ("a", "and", "on", "at", "background", *SLOTS, *COLOURS, *TEXTURES, *SHAPES, "plain", *BACKGROUNDS)
VOCAB = ("<pad>", *dict.fromkeys(WORDS))  # id 0 pads; "striped" appears once
TOKENS = 20


@dataclass(frozen=True)
class Obj:
    """One object: shape, colour, size, texture, and its centre pixel (x = column, y = row)."""

    shape: str
    colour: str
    size: str
    texture: str
    x: int
    y: int

    @property
    def slot(self) -> str:
        return "left" if self.x < SIZE // 2 else "right"

    def words(self) -> str:
        return f"a {self.colour} {self.texture} {self.shape} at {self.slot}"


@dataclass(frozen=True)
class Scene:
    """A background colour and texture, and one or two objects (drawn in order)."""

    bg_colour: str
    bg_texture: str
    objects: tuple[Obj, ...]
    light: float = 1.0


def caption(scene: Scene) -> str:
    """'a red striped circle at left and a blue solid square at right on a plain white background'."""
    things = " and ".join(o.words() for o in sorted(scene.objects, key=lambda o: o.x))
    return f"{things} on a {scene.bg_texture} {scene.bg_colour} background"


def _parse_object(words: list[str], taken: list[Obj]) -> Obj:
    a, colour, texture, shape, at, slot = words
    if a != "a" or at != "at" or colour not in COLOURS or texture not in TEXTURES or shape not in SHAPES \
            or slot not in SLOTS or any(o.slot == slot for o in taken):
        raise ValueError
    return Obj(shape, colour, "large", texture, *SLOTS[slot])


def parse(text: str) -> Scene:
    """The scene a caption describes, objects left to right (caption's inverse)."""
    things, _, bg = text.strip().partition(" on a ")
    try:
        bg_texture, bg_colour, word = bg.split()
        if word != "background" or bg_texture not in BG_TEXTURES or bg_colour not in BACKGROUNDS:
            raise ValueError
        objects: list[Obj] = []
        for part in things.split(" and "):
            objects.append(_parse_object(part.split(), objects))
    except ValueError:
        example = "a red solid circle at left and a blue striped square at right on a plain white background"
        raise ValueError(f"{text!r} is not a toy-world caption: write one or two 'a <colour> <solid|striped> <shape> "
                         f"at <left|right>' joined by 'and', then 'on a <plain|striped> <colour> background', e.g. "
                         f"{example!r} (colours {', '.join(COLOURS)}; shapes {', '.join(SHAPES)}; backgrounds "
                         f"{', '.join(BACKGROUNDS)})") from None
    return Scene(bg_colour, bg_texture, tuple(sorted(objects, key=lambda o: o.x)))


def tokenize(text: str) -> torch.Tensor:
    """(TOKENS,) int64 word ids of a caption, padded with 0; "" gives the null prompt (all padding)."""
    words = text.split()
    unknown = [w for w in words if w not in VOCAB[1:]]
    if unknown:
        raise ValueError(f"unknown words {unknown}: toyworld captions use only {list(VOCAB[1:])}")
    if len(words) > TOKENS:
        raise ValueError(f"{len(words)} words: toyworld captions have at most {TOKENS} (two objects)")
    ids = [VOCAB.index(w) for w in words] + [0] * (TOKENS - len(words))
    return torch.tensor(ids, dtype=torch.long)


def _grid() -> tuple[torch.Tensor, torch.Tensor]:
    """Row and column index of every pixel, (SIZE, SIZE) each."""
    return torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")


def shape_mask(shape: str, size: str, x, y) -> torch.Tensor:
    """Bool mask(s) of a shape centred on pixel (x, y); x and y may be (N,) tensors -> (N, SIZE, SIZE)."""
    rows, cols = _grid()
    x, y = torch.as_tensor(x).reshape(-1, 1, 1), torch.as_tensor(y).reshape(-1, 1, 1)
    r = SIZES[size]
    dx, dy = (cols - x).abs(), rows - y
    box = (dx <= r) & (dy.abs() <= r)
    if shape == "square":
        mask = box
    elif shape == "circle":
        mask = dx**2 + dy**2 <= (r + 0.5) ** 2
    elif shape == "triangle":  # apex up: one pixel at the top row, the box's full width at the bottom row
        mask = box & (dx <= (dy + r) / 2 + 0.5)
    else:
        raise ValueError(f"unknown shape {shape!r}: use one of {SHAPES}")
    return mask.squeeze(0) if mask.shape[0] == 1 else mask


def object_mask(obj: Obj) -> torch.Tensor:
    """The (SIZE, SIZE) bool mask of an object's pixels."""
    return shape_mask(obj.shape, obj.size, obj.x, obj.y)


def _rgb(colour) -> torch.Tensor:
    return torch.tensor(colour, dtype=torch.float32).reshape(3, 1, 1)


def background(colour: str, texture: str, light: float = 1.0) -> torch.Tensor:
    """(3, SIZE, SIZE) background: base colour, with stripe-colour rows 2 of every 4 if striped, times light."""
    base, stripe = BACKGROUNDS[colour]
    rows, _ = _grid()
    striped = (rows % 4 >= 2) if texture == "striped" else torch.zeros(SIZE, SIZE, dtype=torch.bool)
    return torch.where(striped, _rgb(stripe), _rgb(base)) * light


def paint(obj: Obj) -> torch.Tensor:
    """(3, SIZE, SIZE) fill of an object's colour, with darker columns 2 of every 4 if striped."""
    _, cols = _grid()
    colour = _rgb(COLOURS[obj.colour])
    dark = (cols % 4 >= 2) & (obj.texture == "striped")
    return torch.where(dark, colour * DARK, colour)


def render(scene: Scene) -> torch.Tensor:
    """The scene as a (3, SIZE, SIZE) float tensor in [0, 1]."""
    image = background(scene.bg_colour, scene.bg_texture, scene.light)
    for obj in scene.objects:
        image = torch.where(object_mask(obj), paint(obj), image)
    return image


def box(obj: Obj) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) pixel bounds of an object, inclusive."""
    r = SIZES[obj.size]
    return obj.x - r, obj.y - r, obj.x + r, obj.y + r


def fits(obj: Obj, others=()) -> bool:
    """The object lies MARGIN inside the image and GAP away from every other object's box."""
    left, top, right, bottom = box(obj)
    if min(left, top) < MARGIN or max(right, bottom) > SIZE - 1 - MARGIN:
        return False
    for other in others:
        ol, ot, orr, ob = box(other)
        if not (left > orr + GAP or ol > right + GAP or top > ob + GAP or ot > bottom + GAP):
            return False
    return True


def place(rng: random.Random, obj: Obj, others=(), tries: int = 100) -> Obj | None:
    """The object moved to a random free slot, jittered where it fits; None if no slot is free."""
    free = [xy for name, xy in SLOTS.items() if all(o.slot != name for o in others)]
    if not free:
        return None
    x, y = rng.choice(free)
    for _ in range(tries):
        moved = replace(obj, x=x + rng.randint(-JITTER[0], JITTER[0]), y=y + rng.randint(-JITTER[1], JITTER[1]))
        if fits(moved, others):
            return moved
    return replace(obj, x=x, y=y)


def sample_object(rng: random.Random) -> Obj:
    """Random attributes (position not yet placed)."""
    size = rng.choice(list(SIZES))
    return Obj(rng.choice(SHAPES), rng.choice(list(COLOURS)), size, rng.choice(TEXTURES), 0, 0)


def sample_scene(rng: random.Random) -> Scene:
    """A random scene: background, then one or two objects (even odds) placed without overlap."""
    bg = (rng.choice(list(BACKGROUNDS)), rng.choice(BG_TEXTURES))
    light = round(rng.uniform(*LIGHT), 3)
    objects: list[Obj] = []
    for _ in range(rng.choice((1, 2))):
        objects.append(place(rng, sample_object(rng), objects))
    return Scene(*bg, tuple(objects), light)


def description(scene: Scene) -> str:
    """The scene's attributes without positions or object order (what held_out hashes)."""
    things = sorted(o.words() for o in scene.objects)
    return " | ".join(things) + f" | {scene.bg_texture} {scene.bg_colour}"


def held_out(scene: Scene) -> bool:
    """One attribute combination in HOLD_OUT (by a fixed hash) is kept out of training for the gates."""
    return zlib.crc32(description(scene).encode()) % HOLD_OUT == 0


def sample_split(rng: random.Random, held: bool) -> Scene:
    """A random scene from the training split (held=False) or the held-out split (held=True)."""
    while True:
        scene = sample_scene(rng)
        if held_out(scene) == held:
            return scene


def batch(seed: int, n: int, held: bool = False) -> tuple[torch.Tensor, list[str]]:
    """n rendered scenes (n, 3, SIZE, SIZE) and their captions, deterministic from the seed."""
    rng = random.Random(seed)
    scenes = [sample_split(rng, held) for _ in range(n)]
    return torch.stack([render(s) for s in scenes]), [caption(s) for s in scenes]
