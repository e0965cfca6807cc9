"""Small synthetic inputs for the end-to-end runs (no downloads, deterministic)."""
from PIL import Image, ImageDraw

# Region made transparent in the source PNG. ComfyUI's LoadImage turns alpha into
# MASK = 1 - alpha, exactly what painting in its MaskEditor produces.
MASK_BOX_FRACTION = (0.375, 0.375, 0.75, 0.875)

# The source clip of the video workflow: 4n + 1 frames, as the Wan VAE encodes them (1 + 4k frames).
VIDEO_FRAMES = 9
VIDEO_FPS = 16


def _painting(size, shift=0):
    """A tiny stroke painting (sky, hill, sun, figure); shift moves the figure right by that many pixels."""
    img = Image.new("RGBA", (size, size), (90, 150, 250, 255))
    d = ImageDraw.Draw(img)
    d.ellipse([-size // 2, size // 2, size * 3 // 2, size * 2], fill=(90, 240, 90, 255))
    d.ellipse([size * 3 // 8, size // 8, size * 5 // 8, size * 3 // 8], fill=(250, 230, 120, 255))
    d.rectangle([size * 7 // 16 + shift, size * 3 // 8, size * 9 // 16 + shift, size * 13 // 16],
                fill=(250, 160, 210, 255))
    return img


def write_source_image(path, size=64):
    """The stroke painting with a transparent, i.e. masked, box."""
    img = _painting(size)
    alpha = Image.new("L", (size, size), 255)
    x0, y0, x1, y1 = (round(f * size) for f in MASK_BOX_FRACTION)
    ImageDraw.Draw(alpha).rectangle([x0, y0, x1 - 1, y1 - 1], fill=0)
    img.putalpha(alpha)
    img.save(path)
    return path


def write_source_video(path, size=64, frames=VIDEO_FRAMES, fps=VIDEO_FPS):
    """An H.264 clip (PyAV, which ComfyUI installs) of the painting with the figure walking right."""
    import av
    import numpy as np

    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size, size, "yuv420p"
        for i in range(frames):
            rgb = np.asarray(_painting(size, shift=i * size // 32).convert("RGB"))
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
