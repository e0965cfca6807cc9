"""Run this pack's nodes the way ComfyUI runs them: prompt graphs validated and executed by execution.PromptExecutor.

The pack's nodes are registered from its V3 comfy_entrypoint into nodes.NODE_CLASS_MAPPINGS (as ComfyUI's
load_custom_node does), the core custom-sampling and Flux nodes through nodes.load_custom_node, and a few
test-only nodes (registered only here) hand the tiny models, conditionings, latents, images and masks to the graph
and capture its outputs. Objects go in through a registry under fresh keys, so ComfyUI's cache never confuses two.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from dataclasses import dataclass, field

import comfy_harness

OBJECTS: dict[str, object] = {}
CAPTURED: dict[str, dict] = {}
_keys = itertools.count()
_ready = False


def put(obj) -> str:
    """Store an object for the test input nodes; returns a key used only for this object."""
    key = f"obj{next(_keys)}"
    OBJECTS[key] = obj
    return key


class _Get:
    RETURN_TYPES: tuple = ()
    FUNCTION = "get"
    CATEGORY = "_rf_tests"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"key": ("STRING", {"default": ""})}}

    def get(self, key):
        return (OBJECTS[key],)


class RFTestModel(_Get):
    RETURN_TYPES = ("MODEL",)


class RFTestConditioning(_Get):
    RETURN_TYPES = ("CONDITIONING",)


class RFTestLatent(_Get):
    RETURN_TYPES = ("LATENT",)


class RFTestImage(_Get):
    RETURN_TYPES = ("IMAGE",)


class RFTestMask(_Get):
    RETURN_TYPES = ("MASK",)


class RFTestSigmas(_Get):
    RETURN_TYPES = ("SIGMAS",)


class RFTestVae(_Get):
    RETURN_TYPES = ("VAE",)


# Graph.obj's kinds: test input nodes for the other objects some core nodes take, kind -> (node, ComfyUI type)
OBJECT_TYPES = {"image": ("RFTestImage", "IMAGE"), "control_net": ("RFTestControlNet", "CONTROL_NET"),
                "style_model": ("RFTestStyleModel", "STYLE_MODEL"),
                "clip_vision_output": ("RFTestClipVisionOutput", "CLIP_VISION_OUTPUT"), "clip": ("RFTestClip", "CLIP")}
OBJECT_NODES = {node: type(node, (_Get,), {"RETURN_TYPES": (kind,)}) for node, kind in OBJECT_TYPES.values()}


class _Capture:
    RETURN_TYPES: tuple = ()
    FUNCTION = "capture"
    OUTPUT_NODE = True
    CATEGORY = "_rf_tests"


class RFTestCapture(_Capture):
    """Output node: keeps the LATENT it receives under CAPTURED[name]."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"latent": ("LATENT",), "name": ("STRING", {"default": "out"})}}

    def capture(self, latent, name):
        CAPTURED[name] = latent
        return {}


class RFTestCaptureOutputs(_Capture):
    """Output node: keeps the IMAGE and the STRING it receives (either may be absent) under CAPTURED[name]."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"name": ("STRING", {"default": "out"})},
                "optional": {"image": ("IMAGE",), "text": ("STRING", {"forceInput": True})}}

    def capture(self, name, image=None, text=None):
        CAPTURED[name] = {"image": image, "text": text}
        return {}


class RFTestCaptureImage(RFTestCapture):
    """Output node: keeps the IMAGE it receives under CAPTURED[name]."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"image": ("IMAGE",), "name": ("STRING", {"default": "out"})}}

    def capture(self, image, name):
        CAPTURED[name] = image
        return {}


class RFTestInterruptAfter:
    """A clone of the model whose k-th network evaluation asks ComfyUI to interrupt (like the Cancel button).

    Uses the public wrapper API (an APPLY_MODEL wrapper on a model clone). COUNTS[key] counts the evaluations.
    """

    COUNTS: dict[str, int] = {}
    RETURN_TYPES = ("MODEL",)
    FUNCTION = "patch"
    CATEGORY = "_rf_tests"

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"model": ("MODEL",), "evaluations": ("INT", {"default": 3, "min": 1}),
                             "key": ("STRING", {"default": "interrupt"})}}

    def patch(self, model, evaluations, key):
        import comfy.model_management
        import comfy.patcher_extension

        counts = type(self).COUNTS
        counts[key] = 0

        def wrapper(executor, *args, **kwargs):
            counts[key] += 1
            out = executor(*args, **kwargs)
            if counts[key] == evaluations:
                comfy.model_management.interrupt_current_processing(True)
            return out

        m = model.clone()
        m.add_wrapper_with_key(comfy.patcher_extension.WrappersMP.APPLY_MODEL, "rf_test_interrupt", wrapper)
        return (m,)


TEST_NODES = {
    "RFTestModel": RFTestModel,
    "RFTestConditioning": RFTestConditioning,
    "RFTestLatent": RFTestLatent,
    "RFTestImage": RFTestImage,
    "RFTestMask": RFTestMask,
    "RFTestSigmas": RFTestSigmas,
    "RFTestVae": RFTestVae,
    "RFTestCapture": RFTestCapture,
    "RFTestCaptureOutputs": RFTestCaptureOutputs,
    "RFTestCaptureImage": RFTestCaptureImage,
    "RFTestInterruptAfter": RFTestInterruptAfter,
    **OBJECT_NODES,
}


def load_core(files) -> list[str]:
    """Registers ComfyUI's comfy_extras/<file> node modules (as its own loader does); the ones that failed."""
    import nodes

    extras = os.path.join(os.path.dirname(nodes.__file__), "comfy_extras")
    return [name for name in files if not os.path.isfile(os.path.join(extras, name))
            or not asyncio.run(nodes.load_custom_node(os.path.join(extras, name), module_parent="comfy_extras"))]


def setup(pack) -> None:
    """Register core custom-sampling nodes, this pack's nodes (from its entrypoint) and the test nodes."""
    global _ready
    if _ready:
        return
    import nodes

    if not nodes.__file__.startswith(str(comfy_harness.find_comfyui())):
        raise RuntimeError(f"'import nodes' found {nodes.__file__}, not ComfyUI's nodes.py: fix sys.path order.")
    failed = load_core(("nodes_custom_sampler.py", "nodes_flux.py"))
    if failed:
        raise RuntimeError(f"ComfyUI's {failed} failed to load")

    for node_cls in comfy_harness.pack_node_classes(pack):  # what nodes.load_custom_node does with a V3 extension
        schema = node_cls.GET_SCHEMA()
        nodes.NODE_CLASS_MAPPINGS[schema.node_id] = node_cls
        node_cls.RELATIVE_PYTHON_MODULE = f"custom_nodes.{comfy_harness.PACK_MODULE}"
        if schema.display_name is not None:
            nodes.NODE_DISPLAY_NAME_MAPPINGS[schema.node_id] = schema.display_name
    nodes.NODE_CLASS_MAPPINGS.update(TEST_NODES)
    _ready = True


class ServerStub:
    """What PromptExecutor needs of PromptServer: it records every message it is sent."""

    def __init__(self):
        self.client_id = None
        self.last_node_id = None
        self.last_prompt_id = None
        self.sockets_metadata: dict = {}
        self.messages: list[tuple[str, dict]] = []

    def send_sync(self, event, data, sid=None):
        self.messages.append((event, data))

    def queue_updated(self):
        pass


class Graph:
    """A prompt in ComfyUI's API format. add() returns the node id; out(id, i) links to its i-th output."""

    def __init__(self):
        self.prompt: dict[str, dict] = {}
        self._ids = itertools.count(1)

    def add(self, class_type: str, **inputs) -> str:
        node_id = str(next(self._ids))
        self.prompt[node_id] = {"class_type": class_type, "inputs": inputs}
        return node_id

    @staticmethod
    def out(node_id: str, index: int = 0) -> list:
        return [node_id, index]

    # inputs from Python objects
    def model(self, m) -> list:
        return self.out(self.add("RFTestModel", key=put(m)))

    def cond(self, c) -> list:
        return self.out(self.add("RFTestConditioning", key=put(c)))

    def latent(self, samples=None, **extra) -> list:
        d = dict(extra)
        if samples is not None:
            d["samples"] = samples
        return self.out(self.add("RFTestLatent", key=put(d)))

    def mask(self, m) -> list:
        return self.out(self.add("RFTestMask", key=put(m)))

    def image(self, i) -> list:
        return self.out(self.add("RFTestImage", key=put(i)))

    def sigmas(self, s) -> list:
        return self.out(self.add("RFTestSigmas", key=put(s)))

    def vae(self, v) -> list:
        return self.out(self.add("RFTestVae", key=put(v)))

    def obj(self, kind: str, x) -> list:
        """Any other object through its test input node (OBJECT_TYPES: image, control_net, ...)."""
        return self.out(self.add(OBJECT_TYPES[kind][0], key=put(x)))

    def capture(self, latent_link: list, name: str | None = None) -> str:
        name = name or f"cap{uuid.uuid4().hex}"
        self.add("RFTestCapture", latent=latent_link, name=name)
        return name

    def capture_image(self, image_link: list) -> str:
        name = f"cap{uuid.uuid4().hex}"
        self.add("RFTestCaptureImage", image=image_link, name=name)
        return name


@dataclass
class Run:
    success: bool
    messages: list = field(default_factory=list)
    validation_error: object = None

    def events(self, name: str) -> list[dict]:
        return [d for e, d in self.messages if e == name]

    @property
    def executed(self) -> list[str]:
        """Ids of the nodes that ran (not served from the cache), in order."""
        return [d["node"] for d in self.events("executing") if d.get("node") is not None]

    @property
    def cached(self) -> list[str]:
        return [n for d in self.events("execution_cached") for n in d["nodes"]]

    @property
    def error(self) -> str:
        errs = self.events("execution_error")
        if self.validation_error is not None:
            return str(self.validation_error)
        return errs[0]["exception_message"] if errs else ""

    @property
    def interrupted(self) -> bool:
        return bool(self.events("execution_interrupted"))


def executor_cache_kwargs(execution) -> dict:
    """PromptExecutor's classic cache, as each version's main.py builds it for --cache-classic: newer ComfyUI
    (0.16+) also takes a cache_args dict and reads its "ram" (0.16) and "ram_inactive" (0.30) headrooms, which
    main.py sets to 0 for the classic cache; 0.3.64 takes cache_type alone."""
    import inspect

    params = inspect.signature(execution.PromptExecutor.__init__).parameters
    kwargs = {"cache_type": execution.CacheType.CLASSIC}
    if "cache_args" in params:
        kwargs["cache_args"] = {"lru": 0, "ram": 0.0, "ram_inactive": 0.0}
    return kwargs


class Runner:
    """One PromptExecutor (one cache) and its server stub; run() validates and executes a Graph."""

    def __init__(self):
        import execution

        self.server = ServerStub()
        self.executor = execution.PromptExecutor(self.server, **executor_cache_kwargs(execution))

    def run(self, graph: Graph, **extra_data) -> Run:
        """Validate and execute graph; extra_data goes to the executor as the server's /prompt would pass it
        (e.g. preview_method, read per prompt by ComfyUI 0.16+)."""
        import execution

        prompt_id = uuid.uuid4().hex
        valid, err, outputs, node_errors = asyncio.run(execution.validate_prompt(prompt_id, graph.prompt, None))
        if not valid:
            return Run(False, [], validation_error={"error": err, "node_errors": node_errors})
        self.server.messages = []
        self.executor.execute(graph.prompt, prompt_id, {"client_id": "rf-tests", **extra_data}, outputs)
        return Run(self.executor.success, list(self.server.messages))


def new_runner(pack) -> Runner:
    """A Runner, with the pack's, the core custom-sampling and the test-only nodes registered (setup)."""
    setup(pack)
    return Runner()


def take(name: str) -> dict:
    """The captured LATENT (removed from the store)."""
    return CAPTURED.pop(name)
