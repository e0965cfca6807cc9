"""The demo's nodes: toyworld/'s scene model (nodes/scene_model.py), captions and scenes as ComfyUI types; the
LATENT is the image (samples = image * 2 - 1)."""

from __future__ import annotations

import comfy.utils
import torch
from comfy_api.latest import io

from ..rf_core import RFInputError
from ..toyworld import world
from . import inputs, scene_model
from .schema import schema

CATEGORY = f"{inputs.CATEGORY}/demo"
EXAMPLE = "a red solid circle at left on a plain white background"
ALIASES = ["demo", "toy world", "scene", "tutorial", "no download"]


def caption_input(tooltip: str) -> io.String.Input:
    return io.String.Input("caption", default=EXAMPLE, multiline=True, tooltip=tooltip)


def demo_schema(node_id: str, name: str, aliases: list[str], **fields) -> io.Schema:
    return schema(node_id=node_id, display_name=f"RF-Inversion Demo: {name}", category=CATEGORY,
                  search_aliases=[*aliases, *ALIASES], **fields)


def checked_caption(caption: str) -> str:
    """The caption, if toyworld's tokenize reads it (known words, at most TOKENS)."""
    try:
        world.tokenize(caption)
    except ValueError as e:
        raise RFInputError(f"caption: {e}. Words are lowercase, without punctuation, e.g. {EXAMPLE!r}.") from None
    return caption


def checked_pixels(image: torch.Tensor) -> torch.Tensor:
    """An IMAGE (B, H, W, 3) of finite values as (B, 3, H, W) float32."""
    if image.ndim != 4 or image.shape[-1] != 3 or image.shape[0] == 0:
        raise RFInputError(f"image: got shape {tuple(image.shape)}, need a batch of RGB images (B, H, W, 3): connect "
                           "an IMAGE such as Load Image's.")
    if not torch.isfinite(image).all():
        raise RFInputError("image: it holds NaN or infinite values: connect an image with finite pixels.")
    return image.movedim(-1, 1).float()


def checked_samples(latent: dict) -> torch.Tensor:
    """The demo's pixel LATENT: (B, 3, H, W), finite."""
    samples = latent["samples"]
    if samples.ndim != 4 or samples.shape[1] != 3 or samples.shape[0] == 0:
        raise RFInputError(f"samples: got shape {tuple(samples.shape)}, but this node shows the demo's 3-channel "
                           "pixel latent (B, 3, H, W): decode another model's latent with VAE Decode.")
    if not torch.isfinite(samples).all():
        raise RFInputError("samples: the latent holds NaN or infinite values, so there is no image to show.")
    return samples.float()


class RFDemoSceneModel(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return demo_schema(
            "RFDemoSceneModel", "Scene Model", ["load model", "scene model"],
            description="Loads the small text-to-image model of 32 x 32 scenes that ships with the pack (toyworld/), "
            "so RF-Inversion can be tried on the CPU without a download.",
            inputs=[],
            outputs=[io.Model.Output(tooltip="The demo's rectified-flow model, for RFInvert and RFControlledSampler.")],
        )

    @classmethod
    def execute(cls) -> io.NodeOutput:
        return io.NodeOutput(scene_model.load_scene_model())


class RFDemoCaption(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return demo_schema(
            "RFDemoCaption", "Caption", ["caption", "text encode", "prompt"],
            description="Encodes a caption in the demo model's words (shapes, colours, textures, slots, "
            "backgrounds) with the text embedding shipped beside it; an empty caption is the null prompt.",
            inputs=[caption_input("A caption in the demo's 20 words, e.g. the edit you want; empty = the null prompt "
                                  "(for the inversion and the negative). A word it does not know is refused.")],
            outputs=[io.Conditioning.Output(tooltip="The caption's conditioning, for the demo model only.")],
        )

    @classmethod
    def execute(cls, caption: str) -> io.NodeOutput:
        return io.NodeOutput(scene_model.encode_caption(checked_caption(caption)))


class RFDemoScene(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return demo_schema(
            "RFDemoScene", "Render Scene", ["render", "load scene", "source image"],
            description="Draws the scene a caption describes, exactly as the demo model's training images were "
            "drawn: a source image to invert and edit.",
            inputs=[caption_input("The scene to draw: one or two objects at left or right on a background, in the "
                                  "demo's words. Anything else is refused with the grammar.")],
            outputs=[io.Image.Output(tooltip="The 32 x 32 scene as an IMAGE.")],
        )

    @classmethod
    def execute(cls, caption: str) -> io.NodeOutput:
        try:
            scene = world.parse(caption)
        except ValueError as e:
            raise RFInputError(f"caption: {e}") from None
        return io.NodeOutput(world.render(scene).movedim(0, -1)[None])


class RFDemoImageToLatent(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return demo_schema(
            "RFDemoImageToLatent", "Image to Latent", ["encode", "image to latent"],
            description="Turns any image into the demo model's LATENT: centre-cropped and resized to 32 x 32 as "
            "ComfyUI's Upscale Image node does (area filter), then mapped to [-1, 1]. The demo has no VAE.",
            inputs=[io.Image.Input("image", tooltip="Any image, e.g. Render Scene's or your own from Load Image; it "
                                                    "is cropped to a square and resized to 32 x 32.")],
            outputs=[io.Latent.Output(tooltip="The 32 x 32 image as the demo model's LATENT.")],
        )

    @classmethod
    def execute(cls, image: torch.Tensor) -> io.NodeOutput:
        size = world.SIZE
        pixels = comfy.utils.common_upscale(checked_pixels(image), size, size, "area", "center")
        return io.NodeOutput({"samples": pixels * 2 - 1})


class RFDemoLatentToImage(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return demo_schema(
            "RFDemoLatentToImage", "Latent to Image", ["decode", "latent to image"],
            description="Shows the demo model's LATENT as an image, each pixel enlarged to a block (nearest "
            "neighbour) so the 32 x 32 scene is visible; values are clamped to [0, 1] as VAE Decode clamps.",
            inputs=[
                io.Latent.Input("samples",
                                tooltip="The demo model's LATENT: the source, or RFControlledSampler's edit."),
                io.Int.Input("scale", default=8, min=1, max=32,
                             tooltip="Each pixel becomes a scale x scale block, 1 to 32 (default 8: 256 x 256)."),
            ],
            outputs=[io.Image.Output(tooltip="The image, scale times larger.")],
        )

    @classmethod
    def execute(cls, samples: dict, scale: int) -> io.NodeOutput:
        latent = checked_samples(samples)
        h, w = latent.shape[-2:]
        pixels = comfy.utils.common_upscale((latent + 1) / 2, w * scale, h * scale, "nearest-exact", "disabled")
        return io.NodeOutput(pixels.clamp(0, 1).movedim(1, -1))


NODES: list[type[io.ComfyNode]] = [RFDemoSceneModel, RFDemoCaption, RFDemoScene, RFDemoImageToLatent,
                                   RFDemoLatentToImage]
