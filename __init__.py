"""RF-Inversion for ComfyUI (Rout et al., ICLR 2025): invert and edit real images with rectified-flow models.

ComfyUI calls comfy_entrypoint() (V3 extension API). The node modules are imported there, so importing this
folder (or rf_core inside it) never needs ComfyUI.

WEB_DIRECTORY: ComfyUI serves web/ at /extensions/<this folder's name>/ (it reads the attribute before it looks
for comfy_entrypoint, so a V3 pack has it too); the node help panel reads web/docs/<node id>.md from there.
"""

WEB_DIRECTORY = "./web"


async def comfy_entrypoint():
    from .nodes import RFInversionExtension

    return RFInversionExtension()
