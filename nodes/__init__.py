"""ComfyUI nodes of the pack (V3 schema). Thin: unpack inputs, call rf_core through the adapter, wrap outputs.

edit_nodes: RFInvert, RFControlledSampler (all-in-one). sampler_nodes: the SAMPLER / SIGMAS forms for
SamplerCustomAdvanced. samplers: the ComfyUI Sampler objects both run. The node ids and input names are a public
contract (saved workflows refer to them): do not rename them.
"""

from comfy_api.latest import ComfyExtension, io

from .edit_nodes import RFControlledSampler, RFInvert
from .sampler_nodes import NODES as SAMPLER_NODES

NODE_LIST: list[type[io.ComfyNode]] = [RFInvert, RFControlledSampler, *SAMPLER_NODES]


class RFInversionExtension(ComfyExtension):
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return list(NODE_LIST)
