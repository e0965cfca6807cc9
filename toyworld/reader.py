"""Read a toy-world image back into a Scene, on the renderer's own terms.

Background: colour and stripes from the image's border ring (objects keep a margin, so it is background).
Objects: pixels far from the expected background, split into connected parts; each part's colour from the
median of its undarkened columns, texture from the contrast of its dark columns, shape, size and centre from
the best overlap (IoU) with the rendered templates. Exact on rendered scenes, tolerant of blurry samples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import world
from .world import SIZE, Obj, Scene

CORE = 0.4  # RGB distance from the expected background above which a pixel is inside an object for sure
STRIPED = 0.12  # RGB distance between a background's two stripe phases above which it is striped
CONTRAST = 0.15  # the same between an object's two column phases (blur lowers it from about 0.6)
MIN_AREA = 12  # connected parts smaller than this are specks, not objects (the smallest object, a triangle, has about 90 px)
SEARCH = 2  # template centres are tried this many pixels around a part's box centre


def _nearest(rgb: torch.Tensor, palette: dict) -> str:
    """The palette name whose colour is nearest (RGB distance) to rgb."""
    names = list(palette)
    dist = torch.stack([(rgb - torch.tensor(palette[n])).norm() for n in names])
    return names[int(dist.argmin())]


def _ring() -> torch.Tensor:
    """(SIZE, SIZE) bool mask of the image's outermost pixels."""
    ring = torch.ones(SIZE, SIZE, dtype=torch.bool)
    ring[1:-1, 1:-1] = False
    return ring


def _stripe_rows() -> torch.Tensor:
    """(SIZE, SIZE) bool: the rows a striped background draws in its stripe colour."""
    rows, _ = world._grid()
    return rows % 4 >= 2


def _dark_cols() -> torch.Tensor:
    """(SIZE, SIZE) bool: the columns a striped object draws in its darker shade."""
    _, cols = world._grid()
    return cols % 4 >= 2


def _median(image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Per-channel median (3,) of the image's pixels under a mask."""
    return image[:, mask].median(dim=1).values


def read_background(image: torch.Tensor) -> tuple[str, str, torch.Tensor]:
    """(colour, texture, expected background image) from the border ring."""
    ring, stripe = _ring(), _stripe_rows()
    base, alt = _median(image, ring & ~stripe), _median(image, ring & stripe)
    striped = (alt - base).norm() > STRIPED
    texture = "striped" if striped else "plain"
    expected = torch.where(stripe & striped, alt.reshape(3, 1, 1), base.reshape(3, 1, 1))
    return _lit_nearest(base, {k: v[0] for k, v in world.BACKGROUNDS.items()}), texture, expected


def _lit_nearest(rgb: torch.Tensor, palette: dict) -> str:
    """The palette name whose colour, under the light that fits it best (world.LIGHT's range), is nearest."""
    def distance(colour) -> float:
        c = torch.tensor(colour)
        light = float((rgb @ c) / (c @ c))
        return float((rgb - min(max(light, world.LIGHT[0]), world.LIGHT[1]) * c).norm())

    return min(palette, key=lambda name: distance(palette[name]))


def _grow4(labels: torch.Tensor) -> torch.Tensor:
    """Each pixel's largest value among itself and its 4 neighbours."""
    padded = F.pad(labels, (1, 1, 1, 1))
    shifts = (padded[1:-1, :-2], padded[1:-1, 2:], padded[:-2, 1:-1], padded[2:, 1:-1])
    return torch.stack((labels, *shifts)).amax(0)


def components(mask: torch.Tensor) -> list[torch.Tensor]:
    """The 4-connected parts of a (SIZE, SIZE) bool mask with at least MIN_AREA pixels, largest first."""
    labels = torch.where(mask, torch.arange(1, mask.numel() + 1, dtype=torch.float32).reshape(mask.shape), 0.0)
    while True:
        grown = _grow4(labels) * mask
        if torch.equal(grown, labels):
            break
        labels = grown
    parts = [labels == v for v in labels.unique() if v > 0]
    return sorted((p for p in parts if p.sum() >= MIN_AREA), key=lambda p: -int(p.sum()))


def _candidates(part: torch.Tensor) -> list[tuple[str, str, int, int]]:
    """(shape, size, x, y) templates to try: every shape and size, centred near the part's box centre."""
    rows, cols = part.nonzero(as_tuple=True)
    cx, cy = (int(cols.min()) + int(cols.max())) // 2, (int(rows.min()) + int(rows.max())) // 2
    offsets = range(-SEARCH, SEARCH + 1)
    centres = [(cx + dx, cy + dy) for dx in offsets for dy in offsets]
    return [(s, z, x, y) for s in world.SHAPES for z in world.SIZES for x, y in centres]


def read_form(part: torch.Tensor) -> tuple[str, str, int, int]:
    """(shape, size, x, y) of the template with the best IoU with a part's mask."""
    candidates = _candidates(part)
    best, best_iou = None, -1.0
    for shape, size in ((s, z) for s in world.SHAPES for z in world.SIZES):  # fixed order: ties break alike
        xy = torch.tensor([(x, y) for s, z, x, y in candidates if (s, z) == (shape, size)])
        masks = world.shape_mask(shape, size, xy[:, 0], xy[:, 1])
        iou = (masks & part).sum((1, 2)) / (masks | part).sum((1, 2))
        i = int(iou.argmax())
        if iou[i] > best_iou:
            best, best_iou = (shape, size, int(xy[i, 0]), int(xy[i, 1])), float(iou[i])
    return best


def half_max(distance: torch.Tensor, part: torch.Tensor) -> torch.Tensor:
    """The part's pixels (grown by one) at least half as far from the background as its inner pixels, per
    column phase: a blurred edge crosses half-way where the sharp edge was, so shapes keep their corners."""
    grown = F.max_pool2d(part[None, None].float(), 3, stride=1, padding=1)[0, 0].bool()
    dark = _dark_cols()
    inner = lambda m: distance[m].quantile(0.75) if m.any() else distance[part].quantile(0.75)  # noqa: E731
    typical = {d: inner(part & (dark == d)) for d in (False, True)}
    return grown & (distance >= torch.where(dark, typical[True], typical[False]) / 2)


def _inner(distance: torch.Tensor, pixels: torch.Tensor) -> torch.Tensor:
    """Those of the pixels at least as far from the background as their median: away from blurred edges."""
    return pixels & (distance >= distance[pixels].median())


def read_object(image: torch.Tensor, distance: torch.Tensor, part: torch.Tensor) -> Obj:
    """An object's attributes from its pixels."""
    dark = _dark_cols()
    phase = lambda d: part & (dark == d) if (part & (dark == d)).any() else part  # noqa: E731
    light, shade = (_median(image, _inner(distance, phase(d))) for d in (False, True))
    texture = "striped" if (light - shade).norm() > CONTRAST else "solid"
    shape, size, x, y = read_form(half_max(distance, part))
    return Obj(shape, _nearest(light, world.COLOURS), size, texture, x, y)


def read(image: torch.Tensor) -> Scene:
    """The Scene an image (3, SIZE, SIZE) in [0, 1] shows; objects ordered by position (row, then column)."""
    if tuple(image.shape) != (3, SIZE, SIZE):
        raise ValueError(f"read takes one (3, {SIZE}, {SIZE}) image in [0, 1], not {tuple(image.shape)}")
    image = image.float().clamp(0, 1)
    colour, texture, expected = read_background(image)
    distance = (image - expected).norm(dim=0)
    objects = [read_object(image, distance, part) for part in components(distance > CORE)]
    return Scene(colour, texture, tuple(sorted(objects, key=lambda o: (o.y, o.x))))
