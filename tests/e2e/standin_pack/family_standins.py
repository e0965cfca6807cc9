"""Loader stand-ins chosen by the file a workflow names, for the families beyond Flux, and a probe of what the
model saw (tests only).

* ``E2ETinyUNETLoader`` (for UNETLoader): the tiny model of the family its ``unet_name`` belongs to
  (UNET_FAMILIES): Flux.1 dev is standins.build_tiny_flux, the others come from tests/support/model_zoo
  (Qwen-Image-Edit, Wan 2.1 T2V). A fresh model on every run, with a CallRecorder as its model function wrapper, so E2EModelCalls
  reports the evaluations of one prompt.
* ``E2EFakeCLIPLoader`` (for CLIPLoader): a text encoder of the family's ``type`` (qwen_image, wan) whose context
  has the tiny models' width; the images TextEncodeQwenImageEdit hands its tokenizer go into the prompt's hash.
* ``E2ETinyVAELoader`` (for VAELoader): ``ae.safetensors`` is standins.build_tiny_vae; the Wan 2.1 VAE files
  (Qwen-Image's VAE has the same architecture) are a real comfy.sd.VAE around a Wan 2.1 VAE of width 4.
* ``E2ECachedUNETLoader``: ``E2ETinyUNETLoader`` that ComfyUI caches across prompts, as the real loader.
* ``E2EModelCalls``: output node (run on every prompt); every model evaluation since the model was loaded: which pass
  (inversion: rising sigmas), sigma, batch, cond / uncond, and whether each reference latent the network got is the
  given latent.
"""
import hashlib
import zlib

import torch

from .standins import Probe, StandIn, build_tiny_flux, build_tiny_vae, tests_module

TEXT_TOKENS = 8

# unet_name -> tests/support/model_zoo family (None: the Flux-dev stand-in of standins.py, which the Flux fakes fit)
UNET_FAMILIES = {
    "flux1-dev.safetensors": None,
    "qwen_image_edit_fp8_e4m3fn.safetensors": "Qwen-Image-Edit",
    "wan2.1_t2v_1.3B_fp16.safetensors": "Wan 2.1 T2V",
}
CLIP_TYPES = ("qwen_image", "wan")  # CLIPLoader types whose tiny models read a context of model_zoo.CONTEXT_DIM
WAN21_VAES = ("qwen_image_vae.safetensors", "wan_2.1_vae.safetensors")


def _model_zoo():
    return tests_module("model_zoo")


def _unknown(what, value, known):
    return ValueError(f"the e2e stand-ins have no tiny model for {what} {value!r}; known: {sorted(known)} "
                      "(tests/e2e/standin_pack/family_standins.py)")


class CallRecorder:
    """model_function_wrapper that records each evaluation, then runs it unchanged."""

    def __init__(self):
        self.calls = []

    def __call__(self, apply_model, args):
        c = args["c"]
        sigmas = c.get("transformer_options", {}).get("sample_sigmas")
        self.calls.append({
            "pass": "invert" if sigmas is not None and float(sigmas[0]) < float(sigmas[-1]) else "sample",
            "sigma": float(args["timestep"].flatten()[0]),
            "batch": int(args["input"].shape[0]),
            "cond_or_uncond": [int(i) for i in args["cond_or_uncond"]],
            "ref_latents": [r.detach().float().cpu().clone() for r in c.get("ref_latents") or []],
        })
        return apply_model(args["input"], args["timestep"], **c)


def build_unet(unet_name):
    if unet_name not in UNET_FAMILIES:
        raise _unknown("unet_name", unet_name, UNET_FAMILIES)
    family = UNET_FAMILIES[unet_name]
    patcher = build_tiny_flux() if family is None else _model_zoo().BY_NAME[family].build(seed=1234)
    patcher.set_model_unet_function_wrapper(CallRecorder())
    return patcher


class E2ETinyUNETLoader(StandIn):
    """Stands in for UNETLoader: same inputs, the tiny model of the file's family, recording its evaluations."""

    CORE = "UNETLoader"
    RETURN_TYPES = ("MODEL",)

    @classmethod
    def IS_CHANGED(cls, unet_name, weight_dtype):
        return float("nan")  # never cached: each prompt gets its own model and record of evaluations

    def load(self, unet_name, weight_dtype):
        return (build_unet(unet_name),)


class E2ECachedUNETLoader(E2ETinyUNETLoader):
    """E2ETinyUNETLoader cached as ComfyUI caches the real loader: one model, and one record of its evaluations,
    across prompts (the caching tests count what each prompt adds)."""

    @classmethod
    def IS_CHANGED(cls, unet_name, weight_dtype):
        return unet_name


def _image_key(image):
    return hashlib.sha1(image.detach().float().cpu().contiguous().numpy().tobytes()).hexdigest()[:16]


class FakeTextEncoder:
    """Enough of comfy.sd.CLIP for CLIPTextEncode and TextEncodeQwenImageEdit: a (1, TEXT_TOKENS, width) context
    from a hash of the prompt and of the images given to the tokenizer; no pooled output."""

    def __init__(self, clip_type, width):
        self.clip_type, self.width = clip_type, width

    def clone(self):
        return self

    def tokenize(self, text, return_word_ids=False, images=None, **kwargs):
        return {"text": text, "images": [_image_key(im) for im in images or []]}

    def encode_from_tokens_scheduled(self, tokens, unprojected=False, add_dict={}, show_pbar=True):
        key = "|".join([self.clip_type, tokens["text"], *tokens["images"]])
        cond = tests_module("seeded").randn((1, TEXT_TOKENS, self.width), zlib.crc32(key.encode("utf-8")))
        return [[cond, {"pooled_output": None, **add_dict}]]


class E2EFakeCLIPLoader(StandIn):
    """Stands in for CLIPLoader (one text encoder): prompt-hash context of the family's tiny width."""

    CORE = "CLIPLoader"
    RETURN_TYPES = ("CLIP",)

    def load(self, clip_name, type, device="default"):
        if type not in CLIP_TYPES:
            raise _unknown("CLIPLoader type", type, CLIP_TYPES)
        return (FakeTextEncoder(type, _model_zoo().CONTEXT_DIM),)


def build_tiny_wan21_vae():
    return tests_module("tiny_vaes").wan21_vae()


class E2ETinyVAELoader(StandIn):
    """Stands in for VAELoader: the tiny VAE of the file's architecture (Flux's AutoencoderKL or Wan 2.1's)."""

    CORE = "VAELoader"
    RETURN_TYPES = ("VAE",)

    def load(self, vae_name):
        if vae_name == "ae.safetensors":
            return (build_tiny_vae(),)
        if vae_name in WAN21_VAES:
            return (build_tiny_wan21_vae(),)
        raise _unknown("vae_name", vae_name, ("ae.safetensors", *WAN21_VAES))


class E2EModelCalls(Probe):
    """Output node: the evaluations a stand-in model recorded (see CallRecorder); each reference latent is
    compared with the model's own process_latent_in of ``reference`` (what ReferenceLatent of it hands the
    network). ``after`` (and ``also_after``) only order this node after the samplings that produced them."""

    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"label": ("STRING", {"default": ""}), "model": ("MODEL",),
                             "reference": ("LATENT",), "after": ("LATENT",)},
                "optional": {"also_after": ("LATENT",)}}

    @classmethod
    def IS_CHANGED(cls, **inputs):
        return float("nan")  # reports on every prompt, also when the sampling before it was cached

    def report(self, label, model, reference, after, also_after=None):
        recorder = model.model_options.get("model_function_wrapper")
        if not isinstance(recorder, CallRecorder):
            raise ValueError("E2EModelCalls needs a model from E2ETinyUNETLoader (its CallRecorder)")
        expected = model.model.process_latent_in(reference["samples"].float()).cpu()
        def same(row):
            return row.shape == expected.shape[1:] and bool(torch.allclose(row, expected[0], atol=1e-6))

        calls = []
        for call in recorder.calls:
            refs = [{"shape": list(r.shape), "rows_equal": [same(row) for row in r]} for r in call["ref_latents"]]
            calls.append({k: call[k] for k in ("pass", "sigma", "batch", "cond_or_uncond")} | {"refs": refs})
        return {"ui": {"e2e_model_calls": [{"label": label, "calls": calls}]}}


NODE_CLASS_MAPPINGS = {
    "E2ETinyUNETLoader": E2ETinyUNETLoader,
    "E2ECachedUNETLoader": E2ECachedUNETLoader,
    "E2EFakeCLIPLoader": E2EFakeCLIPLoader,
    "E2ETinyVAELoader": E2ETinyVAELoader,
    "E2EModelCalls": E2EModelCalls,
}

NODE_DISPLAY_NAME_MAPPINGS = {k: k + " (test stand-in)" for k in NODE_CLASS_MAPPINGS}
