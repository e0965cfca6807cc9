"""Small synthetic inputs for the end-to-end runs (no downloads, deterministic)."""
from PIL import Image, ImageDraw

# Region made transparent in the source PNG. ComfyUI's LoadImage turns alpha into
# MASK = 1 - alpha, exactly what painting in its MaskEditor produces.
MASK_BOX_FRACTION = (0.375, 0.375, 0.75, 0.875)


def write_source_image(path, size=64):
    """A tiny stroke painting (sky, hill, figure) with a transparent, i.e. masked, box."""
    img = Image.new("RGBA", (size, size), (90, 150, 250, 255))
    d = ImageDraw.Draw(img)
    d.ellipse([-size // 2, size // 2, size * 3 // 2, size * 2], fill=(90, 240, 90, 255))
    d.ellipse([size * 3 // 8, size // 8, size * 5 // 8, size * 3 // 8], fill=(250, 230, 120, 255))
    d.rectangle([size * 7 // 16, size * 3 // 8, size * 9 // 16, size * 13 // 16], fill=(250, 160, 210, 255))
    alpha = Image.new("L", (size, size), 255)
    x0, y0, x1, y1 = (round(f * size) for f in MASK_BOX_FRACTION)
    ImageDraw.Draw(alpha).rectangle([x0, y0, x1 - 1, y1 - 1], fill=0)
    img.putalpha(alpha)
    img.save(path)
    return path
