"""ComfyUI nodes of the pack (V3 schema). Thin: unpack inputs, call rf_core through the adapter, wrap outputs."""

from comfy_api.latest import ComfyExtension, io


class RFInversionExtension(ComfyExtension):
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return []
