"""RF-Inversion for ComfyUI (Rout et al., ICLR 2025): invert and edit real images with rectified-flow models.

ComfyUI calls comfy_entrypoint() (V3 extension API). The node modules are imported there, so importing this
folder (or rf_core inside it) never needs ComfyUI.
"""


async def comfy_entrypoint():
    from .nodes import RFInversionExtension

    return RFInversionExtension()
