"""The inventory of ComfyUI's core nodes that change what happens during sampling (their MODEL, GUIDER or
CONDITIONING output), read from ComfyUI 0.30.0's source: where each applies, what the pack does with it, and how
tests/test_compat.py runs it. tests/build_compat_table.py writes README.md's compatibility table from the test runs.

Outcomes: WORKS (the same in both passes, or no effect on the inversion), COST (works, with a cost or a part turned
off for a pass, said on the console), REFUSED (stopped with a message naming the node and what to do).
Kinds (the test that decides an entry): model, cfg_stage, cache, unread, timing, conditioning, guider, refused, unet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

WORKS, COST, REFUSED = "works", "works, with a cost", "refused"
EXACT = "Flux (exact)"  # exact_model.exact_flux: the Gaussian-mixture velocity in ComfyUI's Flux model
TRUE_CFG = "families run with a negative prompt (SD3, Qwen-Image, Wan, HunyuanVideo 1.5, ...)"
DIT = "DiT families with double/single blocks (Flux, Chroma, HunyuanVideo, ...)"
LORA_NAME = "rf_compat_tiny_flux.safetensors"  # compat_runs.flux_lora, written into a test loras folder
UNET = "SD 1.x, SDXL, SVD (UNet models; none is a rectified flow)"


@dataclass(frozen=True)
class Entry:
    node: str  # the core node id: the table's first column
    source: str  # where ComfyUI 0.30.0 defines it (comfy_extras/... or nodes.py)
    families: str  # where it applies
    kind: str  # the test that decides it
    outcome: str
    note: str  # what a user should know: the table's last column
    patch: Optional[Callable] = None  # (g, model or conditioning link) -> link; None: the kind's test builds it
    model: str = EXACT  # EXACT, or the zoo family the test builds
    inputs: dict = field(default_factory=dict)  # the node's widget values
    needs: tuple = ()  # other node ids the test graph uses
    changes: bool = True  # whether the test asserts it changes the result (False: it may not, on a tiny model)
    said_as: str = ""  # the name the console gives it, when not its own (a node built on another's patch)

    @property
    def name(self) -> str:
        return self.node

    @property
    def nodes(self) -> tuple:
        return (self.node, *self.needs)

    def missing(self) -> Optional[str]:
        """Why the running ComfyUI cannot run this entry (a node it lacks), else None."""
        import nodes

        absent = [n for n in self.nodes if n not in nodes.NODE_CLASS_MAPPINGS]
        return f"ComfyUI {_version()} has no {', '.join(absent)}" if absent else None


def _version() -> str:
    import comfyui_version

    return str(comfyui_version.__version__)


def on_model(node_id: str, **inputs) -> Callable:
    """A patch: node_id(model=link, **inputs), its output 0."""
    return lambda g, m: g.out(g.add(node_id, model=m, **inputs))


def on_cond(node_id: str, **inputs) -> Callable:
    return lambda g, c: g.out(g.add(node_id, conditioning=c, **inputs))


def model_entry(node, source, families, note, model=EXACT, changes=True, **inputs) -> Entry:
    return Entry(node, source, families, "model", WORKS, note, on_model(node, **inputs), model, inputs, (), changes)


def cfg_entry(node, source, families, model=EXACT, patch=None, needs=(), said_as="", **inputs) -> Entry:
    note = ("off in a pass without a negative prompt (the inversion; an edit at cfg 1), said on the console"
            + (f" (as {said_as}, the node it is built on)" if said_as else "")
            + "; acts in an edit with a negative prompt and cfg > 1")
    return Entry(node, source, families, "cfg_stage", COST, note, patch or on_model(node, **inputs), model, inputs,
                 needs, said_as=said_as)


def _perp_neg(g, m):
    import comfy_harness

    empty = g.cond(comfy_harness.conditioning(seed=8))
    return g.out(g.add("PerpNeg", model=m, empty_conditioning=empty, neg_scale=1.0))


def unet_entry(node, source, **inputs) -> Entry:
    note = "patches UNet blocks only: on SD 1.x/SDXL the pack refuses the model (not a rectified flow)"
    return Entry(node, source, UNET, "unet", REFUSED, note, on_model(node, **inputs), "SD1.5", inputs)


def refused_sampling(node, **inputs) -> Entry:
    note = "makes the model sample by another rule than a rectified flow: refused, naming the node"
    return Entry(node, "comfy_extras/nodes_model_advanced.py", "any model", "refused", REFUSED, note,
                 on_model(node, **inputs), EXACT, inputs)


MODEL_SAMPLING = [
    model_entry("ModelSamplingFlux", "comfy_extras/nodes_model_advanced.py", "Flux.1, Flux.2, Chroma",
                "the shifted grid is the edit's too (the record refuses an edit on another shift)",
                max_shift=1.15, base_shift=0.5, width=1024, height=1024),
    model_entry("ModelSamplingSD3", "comfy_extras/nodes_model_advanced.py", "SD3, Wan, HunyuanVideo, Mochi, ...",
                "the shifted grid is the edit's too", shift=3.0),
    model_entry("ModelSamplingAuraFlow", "comfy_extras/nodes_model_advanced.py",
                "AuraFlow, Qwen-Image, Lumina 2, Z-Image, HiDream", "the shifted grid is the edit's too", shift=3.0),
    model_entry("ModelSamplingLTXV", "comfy_extras/nodes_lt.py", "LTXV, LTX-2",
                "the shift follows the latent's token count, the same in both passes", max_shift=2.05,
                base_shift=0.95),
    model_entry("ModelNoiseScale", "comfy_extras/nodes_model_advanced.py", "any flow model",
                "gamma = 1 lands on noise of this scale, as the model samples from", noise_scale=2.0),
    model_entry("ModelComputeDtype", "comfy_extras/nodes_model_advanced.py", "any model",
                "the ODE state stays float32; the network computes in the dtype set", model="Flux.1 dev",
                dtype="bf16"),
    refused_sampling("ModelSamplingDiscrete", sampling="eps", zsnr=False),
    refused_sampling("ModelSamplingContinuousEDM", sampling="v_prediction", sigma_max=120.0, sigma_min=0.002),
    refused_sampling("ModelSamplingContinuousV", sampling="v_prediction", sigma_max=500.0, sigma_min=0.03),
    refused_sampling("ModelSamplingStableCascade", shift=2.0),
]

CFG_STAGE = [
    cfg_entry("APG", "comfy_extras/nodes_apg.py", TRUE_CFG, eta=1.0, norm_threshold=5.0, momentum=0.5),
    cfg_entry("CFGZeroStar", "comfy_extras/nodes_cfg.py", TRUE_CFG),
    cfg_entry("CFGNorm", "comfy_extras/nodes_cfg.py", TRUE_CFG, strength=1.0),
    cfg_entry("RescaleCFG", "comfy_extras/nodes_model_advanced.py", TRUE_CFG, multiplier=0.7),
    cfg_entry("Mahiro", "comfy_extras/nodes_mahiro.py", TRUE_CFG),
    cfg_entry("FreSca", "comfy_extras/nodes_fresca.py", TRUE_CFG, scale_low=1.0, scale_high=1.25, freq_cutoff=2),
    cfg_entry("TCFG", "comfy_extras/nodes_tcfg.py", TRUE_CFG),
    cfg_entry("RenormCFG", "comfy_extras/nodes_lumina2.py", "Lumina 2, and any true-CFG family", cfg_trunc=100.0,
              renorm_cfg=1.0),
    cfg_entry("TemporalScoreRescaling", "comfy_extras/nodes_eps.py", TRUE_CFG, tsr_k=0.95, tsr_sigma=1.0),
    cfg_entry("Epsilon Scaling", "comfy_extras/nodes_eps.py", TRUE_CFG, said_as="EpsilonScaling",
              scaling_factor=1.2),
    cfg_entry("CFGOverride", "comfy_extras/nodes_custom_sampler.py", TRUE_CFG, cfg=6.0, start_percent=0.0,
              end_percent=0.5),
    cfg_entry("PerpNeg", "comfy_extras/nodes_perpneg.py", TRUE_CFG, model="SD3", patch=_perp_neg),
    cfg_entry("LatentApplyOperationCFG", "comfy_extras/nodes_latent.py", TRUE_CFG,
              patch=lambda g, m: g.out(g.add("LatentApplyOperationCFG", model=m, operation=g.out(g.add(
                  "LatentOperationSharpen", sharpen_radius=3, sigma=1.0, alpha=0.5)))),
              needs=("LatentOperationSharpen",)),
    cfg_entry("SkipLayerGuidanceDiT", "comfy_extras/nodes_slg.py", DIT, model="Flux.1 dev", double_layers="0",
              single_layers="0", scale=3.0, start_percent=0.0, end_percent=1.0, rescaling_scale=0.0),
    cfg_entry("SkipLayerGuidanceDiTSimple", "comfy_extras/nodes_slg.py", DIT, model="Flux.1 dev", double_layers="0",
              single_layers="0", start_percent=0.0, end_percent=1.0),
    cfg_entry("SkipLayerGuidanceSD3", "comfy_extras/nodes_sd3.py", "SD3", model="SD3",
              said_as="SkipLayerGuidanceDiT", layers="0", scale=3.0, start_percent=0.0, end_percent=1.0),
]

CACHES = [
    Entry("EasyCache", "comfy_extras/nodes_easycache.py", "any model (most used with Wan, Qwen-Image, Flux)", "cache",
          COST, "off for the inversion, said on the console; skips model calls in the edit", on_model(
              "EasyCache", reuse_threshold=0.2, start_percent=0.15, end_percent=0.95, verbose=False)),
    Entry("LazyCache", "comfy_extras/nodes_easycache.py", "any model", "cache", COST,
          "off for the inversion, said on the console (there it stopped ComfyUI with a TypeError); skips model calls "
          "in the edit", on_model("LazyCache", reuse_threshold=0.2, start_percent=0.15, end_percent=0.95,
                                  verbose=False)),
    Entry("FluxKVCache", "comfy_extras/nodes_flux.py", "Flux.2 (reference images)", "cache", COST,
          "off for the inversion, said on the console; in the edit it reuses the reference images' keys and values "
          "(on the tiny Flux.1 Kontext, ComfyUI's own sampling fails with it)", on_model("FluxKVCache"), "Flux.2"),
]

OTHER_MODEL_PATCHES = [
    Entry("DifferentialDiffusion", "comfy_extras/nodes_differential_diffusion.py", "any model", "unread", COST,
          "no effect: the pack applies masks in its controller, where a grey mask value pulls partly (said on the "
          "console)", on_model("DifferentialDiffusion")),
    Entry("NAGuidance", "comfy_extras/nodes_nag.py", DIT + ", Wan, Qwen-Image", "cfg_stage", WORKS,
          "acts only in a pass with a negative prompt (the edit's): the inversion is unchanged",
          on_model("NAGuidance", nag_scale=5.0, nag_alpha=0.5, nag_tau=1.5), "Flux.1 dev"),
    model_entry("ScaleROPE", "comfy_extras/nodes_rope.py", "Flux, Qwen-Image, Wan, Lumina 2, ...",
                "the same positions in both passes", model="Flux.1 dev", scale_x=1.5, shift_x=0.0, scale_y=1.0,
                shift_y=0.0, scale_t=1.0, shift_t=0.0),
    model_entry("ChromaRadianceOptions", "comfy_extras/nodes_chroma_radiance.py", "Chroma Radiance",
                "options of how the network runs (a sigma window, tiles, text positions), the same at each sigma "
                "in both passes", model="Chroma Radiance (pixel space)", changes=False,
                preserve_wrapper=True, start_sigma=1.0, end_sigma=0.0, nerf_tile_size=-1,
                force_sequential_txt_ids=True),
    model_entry("HiDreamO1PatchSeamSmoothing", "comfy_extras/nodes_hidream_o1.py", "HiDream-O1",
                "a sigma window, the same in both passes (the tests' 64-pixel image has no seam away from its "
                "edges, so there it changes nothing)", model="HiDream-O1 (pixel space, noise_scale 8)", changes=False,
                start_percent=0.0, end_percent=1.0, pattern="single_shift", passes="2", blend="average", strength=1.0),
    model_entry("ContextWindowsManual", "comfy_extras/nodes_context_windows.py", "video families (Wan, LTXV, ...)",
                "the inversion reads each sigma's step on the sampling grid, so the windows at a sigma are the "
                "edit's", model="Wan 2.1 T2V", context_length=2, context_overlap=1,
                context_schedule="standard_uniform", context_stride=1, closed_loop=False, fuse_method="pyramid", dim=2,
                freenoise=False, cond_retain_index_list="", split_conds_to_windows=False, latent_retain_index_list="",
                causal_window_fix=True),
    model_entry("WanContextWindowsManual", "comfy_extras/nodes_context_windows.py", "Wan",
                "as ContextWindowsManual; FreeNoise shuffles sampling noise, which neither pass draws",
                model="Wan 2.1 T2V", context_length=5, context_overlap=4, context_schedule="standard_uniform",
                context_stride=1, closed_loop=False, fuse_method="pyramid", freenoise=True, retain_first_frame=False,
                split_conds_to_windows=False),
    model_entry("LTXVContextWindows", "comfy_extras/nodes_context_windows.py", "LTXV, LTX-2",
                "as ContextWindowsManual", model="LTXV", context_length=9, context_overlap=8,
                context_schedule="standard_uniform", context_stride=1, closed_loop=False, fuse_method="pyramid",
                freenoise=False, retain_first_frame=False, split_conds_to_windows=False),
    Entry("LoraLoader", "nodes.py", "any model", "model", WORKS,
          "its model half is LoraLoaderModelOnly's (the text encoder half only changes the prompts)",
          lambda g, m: g.out(g.add("LoraLoader", model=m, clip=g.obj("clip", None), lora_name=LORA_NAME,
                                   strength_model=1.0, strength_clip=1.0)), "Flux.1 dev"),
    Entry("TorchCompileModel", "comfy_extras/nodes_torch_compile.py", "any model", "compile", WORKS,
          "compiles the network; the pack's read of the raw output at sigma = 0 goes through it",
          on_model("TorchCompileModel", backend="inductor"), "Flux.1 dev", {"backend": "inductor"}),
    model_entry("LoraLoaderModelOnly", "nodes.py", "any model (LoRAs, lightning LoRAs)",
                "weights patched once, the same in both passes", model="Flux.1 dev", lora_name=LORA_NAME,
                strength_model=1.0),
]

MODEL_PATCH_NODES = MODEL_SAMPLING + CFG_STAGE + CACHES + OTHER_MODEL_PATCHES

UNET_ONLY = [
    unet_entry("HyperTile", "comfy_extras/nodes_hypertile.py", tile_size=256, swap_size=2, max_depth=0,
               scale_depth=False),
    unet_entry("FreeU", "comfy_extras/nodes_freelunch.py", b1=1.1, b2=1.2, s1=0.9, s2=0.2),
    unet_entry("FreeU_V2", "comfy_extras/nodes_freelunch.py", b1=1.3, b2=1.4, s1=0.9, s2=0.2),
    unet_entry("PatchModelAddDownscale", "comfy_extras/nodes_model_downscale.py", block_number=3,
               downscale_factor=2.0, start_percent=0.0, end_percent=0.35, downscale_after_skip=True,
               downscale_method="bicubic", upscale_method="bicubic"),
    unet_entry("TomePatchModel", "comfy_extras/nodes_tomesd.py", ratio=0.3),
    unet_entry("UNetSelfAttentionMultiply", "comfy_extras/nodes_attention_multiply.py", q=1.0, k=1.0, v=1.0, out=1.0),
    unet_entry("UNetCrossAttentionMultiply", "comfy_extras/nodes_attention_multiply.py", q=1.0, k=1.0, v=1.0, out=1.0),
    unet_entry("UNetTemporalAttentionMultiply", "comfy_extras/nodes_attention_multiply.py", self_structural=1.0,
               self_temporal=1.0, cross_structural=1.0, cross_temporal=1.0),
    unet_entry("PerturbedAttentionGuidance", "comfy_extras/nodes_pag.py", scale=3.0),
    unet_entry("SelfAttentionGuidance", "comfy_extras/nodes_sag.py", scale=0.5, blur_sigma=2.0),
    unet_entry("VideoLinearCFGGuidance", "comfy_extras/nodes_video_model.py", min_cfg=1.0),
    unet_entry("VideoTriangleCFGGuidance", "comfy_extras/nodes_video_model.py", min_cfg=1.0),
]

# --- conditioning (applied to the prompts of both passes) -----------------------------------------------------


def cond_entry(node, source, families, note, patch=None, model=EXACT, needs=(), kind="conditioning", **inputs):
    return Entry(node, source, families, kind, WORKS, note, patch or on_cond(node, **inputs), model, inputs, needs)


def _pair(node_id: str, other: str, **inputs) -> Callable:
    """node_id(the prompt, a second prompt made by the test as `other`): (g, c, second) -> link."""
    return lambda g, c, second: g.out(g.add(node_id, **{other[0]: c, other[1]: second}, **inputs))


CONDITIONING = [
    cond_entry("ConditioningCombine", "nodes.py", "any model", "both prompts are evaluated and averaged at each step",
               patch=_pair("ConditioningCombine", ("conditioning_1", "conditioning_2"))),
    cond_entry("ConditioningAverage", "nodes.py", "any model", "a fixed blend of two prompts",
               patch=_pair("ConditioningAverage", ("conditioning_to", "conditioning_from"),
                           conditioning_to_strength=0.5)),
    cond_entry("ConditioningConcat", "nodes.py", "any model", "a longer prompt, the same in both passes",
               patch=_pair("ConditioningConcat", ("conditioning_to", "conditioning_from"))),
    cond_entry("ConditioningZeroOut", "nodes.py", "any model", "the empty prompt, a fixed input"),
    cond_entry("ConditioningMultiply", "nodes.py", "any model", "a scaled prompt, the same in both passes",
               multiplier=0.5),
    cond_entry("ConditioningSetAreaPercentage", "nodes.py", "any model",
               "the area is a region of the latent, the same at every sigma (with a prompt over the whole image: "
               "ComfyUI predicts 0 where no prompt is)", model="Flux.1 dev", patch=lambda g, c, second: g.out(g.add(
                   "ConditioningCombine", conditioning_1=c, conditioning_2=g.out(g.add(
                       "ConditioningSetAreaPercentage", conditioning=second, width=0.5, height=1.0, x=0.0, y=0.0,
                       strength=1.0)))), needs=("ConditioningCombine",)),
    cond_entry("ConditioningSetMask", "nodes.py", "any model", "a region mask, the same at every sigma",
               model="Flux.1 dev", patch=lambda g, c: g.out(g.add(
                   "ConditioningSetMask", conditioning=c, mask=g.out(g.add("SolidMask", value=1.0, width=64,
                                                                         height=64)), strength=1.0,
                   set_cond_area="mask bounds")), needs=("SolidMask",)),
    cond_entry("FluxDisableGuidance", "comfy_extras/nodes_flux.py", "Flux dev, Flux.2 dev, HunyuanVideo",
               "kept: the guidance input is not written over it (said on the console)", model="Flux.1 dev"),
    cond_entry("FluxGuidance", "comfy_extras/nodes_flux.py", "Flux dev, Flux.2 dev, HunyuanVideo",
               "the same value as the node's guidance input works; another is refused, naming the value to set",
               model="Flux.1 dev", guidance=0.0),
    cond_entry("ControlNetApply", "nodes.py", "Flux, SD3, ... (with their ControlNets)",
               "a ControlNet on every step, the same in both passes", model="Flux.1 dev"),
    cond_entry("ReferenceLatent", "comfy_extras/nodes_edit_model.py", "Flux Kontext, Qwen-Image-Edit, Flux.2",
               "give the inversion the same reference latents as the edit (the edit says so when they differ)",
               model="Flux.1 Kontext", kind="reference"),
    cond_entry("FluxKontextMultiReferenceLatentMethod", "comfy_extras/nodes_flux.py", "Flux Kontext, Flux.2",
               "a fixed way of placing the references, the same in both passes", model="Flux.1 Kontext",
               kind="reference", reference_latents_method="uxo/uno"),
    cond_entry("ConditioningSetTimestepRange", "nodes.py", "any model",
               "each prompt acts at the sigmas of its range, in both directions", kind="timing"),
    cond_entry("ConditioningSetProperties", "comfy_extras/nodes_hooks.py", "any model",
               "with ConditioningTimestepsRange: each prompt acts at the sigmas of its range, in both directions",
               kind="timing", needs=("ConditioningTimestepsRange",)),
    cond_entry("ControlNetApplyAdvanced", "nodes.py", "Flux, SD3, Qwen-Image, ... (with their ControlNets)",
               "the ControlNet acts at the sigmas of start_percent..end_percent, in both directions",
               model="Flux.1 dev", kind="timing"),
    cond_entry("StyleModelApply", "nodes.py", "Flux (Redux)", "image tokens added to the prompt, a fixed input",
               model="Flux.1 dev"),
    cond_entry("CreateHookLora", "comfy_extras/nodes_hooks.py", "any model",
               "a LoRA on the prompt's evaluations, without keyframes: the same in both passes", kind="hooks",
               model="Flux.1 dev", needs=("ConditioningSetProperties",)),
    Entry("SetHookKeyframes", "comfy_extras/nodes_hooks.py", "any model", "hooks", REFUSED,
          "on the inversion's prompt: ComfyUI moves hook keyframes only as sigma falls; keep them on the edit's",
          None, "Flux.1 dev", needs=("CreateHookLora", "CreateHookKeyframe", "ConditioningSetProperties")),
]

GUIDERS = [
    Entry(node, "comfy_extras/" + src, "any model", "guider", WORKS, note, None, "SD3" if "Perp" in node else EXACT)
    for node, src, note in (
        ("BasicGuider", "nodes_custom_sampler.py", "the SAMPLER forms' guider in workflows/power_user.json"),
        ("CFGGuider", "nodes_custom_sampler.py",
         "CFG in both passes (the same guided field both ways; the paper inverts unguided)"),
        ("DualCFGGuider", "nodes_custom_sampler.py", "two prompts and a negative, the same in both passes"),
        ("PerpNegGuider", "nodes_perpneg.py", "the same guided field in both passes (run on SD3: on the exact "
         "model the prompt's prediction can equal the empty prompt's, where Perp-Neg divides by zero)"),
        ("DualModelGuider", "nodes_custom_sampler.py", "a second model for the negative, the same in both passes"),
    )
]

INVENTORY = MODEL_PATCH_NODES + UNET_ONLY + CONDITIONING + GUIDERS
BY_NODE = {e.node: e for e in INVENTORY}


def of_kind(*kinds) -> list[Entry]:
    return [e for e in INVENTORY if e.kind in kinds]
