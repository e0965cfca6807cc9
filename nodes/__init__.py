"""The pack's ComfyUI nodes. Node ids and input names are a public contract: never rename them."""

from comfy_api.latest import ComfyExtension, io

from .demo import NODES as DEMO_NODES
from .edit_nodes import RFControlledSampler, RFInvert
from .flowedit import RFFlowEdit
from .sampler_nodes import NODES as SAMPLER_NODES

NODE_LIST: list[type[io.ComfyNode]] = [RFInvert, RFControlledSampler, *SAMPLER_NODES, RFFlowEdit, *DEMO_NODES]


class RFInversionExtension(ComfyExtension):
    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        return list(NODE_LIST)
