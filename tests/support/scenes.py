"""What the demo's tests read in its pictures with toyworld's reader: whether an edit shows its caption, and kept
what no caption says (toyworld.world: each object's place within its slot, the background's light)."""

from __future__ import annotations

import torch

from toyworld import reader, world

LIGHT_TOLERANCE = 0.03  # largest change of the read background colour; world.LIGHT spans 0.15 of brightness


def picture(image: torch.Tensor) -> torch.Tensor:
    """One ComfyUI IMAGE (1, H, W, 3) as the reader's (3, H, W)."""
    return image[0].movedim(-1, 0)


def edit_problems(source: torch.Tensor, edit: torch.Tensor, caption: str) -> list[str]:
    """How an edit ((3, SIZE, SIZE) in [0, 1]) of source fails to show caption with all else kept; [] if it does."""
    before, after = reader.read(source), reader.read(edit)
    problems = [] if world.caption(after) == caption else [f"it reads {world.caption(after)!r}, not {caption!r}"]
    places = {o.slot: (o.x, o.y) for o in before.objects}
    problems += [f"the {o.slot} object moved from {places[o.slot]} to {(o.x, o.y)}" for o in after.objects
                 if o.slot in places and (o.x, o.y) != places[o.slot]]
    if (before.bg_colour, before.bg_texture) == (after.bg_colour, after.bg_texture):
        light = float((reader.read_background(edit)[2] - reader.read_background(source)[2]).abs().max())
        problems += [f"the background's light changed by {light:.3f}"] if light > LIGHT_TOLERANCE else []
    return problems
