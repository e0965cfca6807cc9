"""The edit ladder's grid image: each rung decoded, its setting written under it."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from ..rf_core import RFInputError


def check_image_latent(latent: dict) -> None:
    """A LATENT the grid can decode: one image or video tensor, no audio."""
    samples = latent["samples"]
    if getattr(samples, "is_nested", False) or samples.ndim not in (4, 5) or latent.get("type") == "audio":
        raise RFInputError("the grid shows images, but this latent holds audio (or video and audio, LTX-2): "
                           "disconnect vae and decode the ladder's latents with the model's own decode nodes.")


def decoded_rungs(vae, samples: torch.Tensor, rungs: int) -> list[torch.Tensor]:
    """Each rung's images (B, H, W, 3), decoded rung by rung; a video's first frame."""
    batch = samples.shape[0] // rungs
    out = []
    for r in range(rungs):
        images = vae.decode(samples[r * batch:(r + 1) * batch])
        out.append(images[:, 0] if images.ndim == 5 else images)
    return out


def font(size: int) -> ImageFont.ImageFont:
    """Pillow's default font at `size` px (a fixed bitmap font before Pillow 10.1)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def label_image(text: str, width: int, height: int) -> Image.Image:
    """Black text centred on a white strip, the font shrunk to fit."""
    strip = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(strip)
    size = max(6, round(height * 0.6))
    while size > 6 and draw.textlength(text, font=font(size)) > width - 4:
        size -= 1
    face = font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)  # anchors need FreeType: centre by the box
    draw.text(((width - right - left) / 2, (height - bottom - top) / 2), text, fill="black", font=face)
    return strip


def strip_height(width: int) -> int:
    """The label strip under an image `width` pixels wide."""
    return max(16, round(width / 10))


def labelled_grid(rungs: list[torch.Tensor], labels: list[str]) -> torch.Tensor:
    """An IMAGE (1, H, W, 3): rungs as columns, the batch as rows, each labelled."""
    batch, height, width = rungs[0].shape[:3]
    strip, gap = strip_height(width), max(2, width // 64)
    canvas = Image.new("RGB", (len(rungs) * (width + gap) - gap, batch * (height + strip + gap) - gap), "white")
    for r, (images, label) in enumerate(zip(rungs, labels)):
        under = label_image(label, width, strip)
        for b, image in enumerate(images):
            x, y = r * (width + gap), b * (height + strip + gap)
            pixels = (image.detach().float().cpu().clamp(0, 1) * 255).round().to(torch.uint8).numpy()  # as SaveImage
            canvas.paste(Image.fromarray(pixels[..., :3]), (x, y))
            canvas.paste(under, (x, y + height))
    return torch.from_numpy(np.asarray(canvas).astype(np.float32) / 255.0)[None]
