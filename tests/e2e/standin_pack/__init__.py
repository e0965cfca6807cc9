"""Test-only ComfyUI node pack: tiny random-weight stand-ins for the giant model files of the workflows.

Registered only when tests/e2e links this folder into a throw-away
``custom_nodes`` directory; the real pack never imports it.

The stand-ins keep the input signature (and therefore the server's input
validation) of the core loader they replace, but ignore the file they are
pointed at and build a deterministic, tiny model instead:

* ``E2ETinyFluxUNETLoader``  (the input sweep's UNETLoader): a real ``comfy.model_base.Flux``
  with hidden size 64, one double and one single block, guidance embedding,
  context dim 4096 and pooled dim 768, exactly like Flux-dev's interface.
* ``E2EFakeDualCLIPLoader``  (for DualCLIPLoader): a CLIP-like object the real
  ``CLIPTextEncode`` can use; it returns T5-shaped context (1, 16, 4096) and a
  CLIP-L-shaped pooled vector (1, 768) derived from a hash of the prompt.
* ``E2ETinyVAELoader``       (for VAELoader, family_standins.py): a real ``comfy.sd.VAE``
  around a 32-channel AutoencoderKL with 16 latent channels and 8x downscale for
  ``ae.safetensors``, around a width-4 Wan 2.1 VAE for the Wan / Qwen-Image VAE files.
* family_standins.py: ``E2ETinyUNETLoader`` (for UNETLoader: the tiny model of the file's
  family, Flux-dev as above or Qwen-Image-Edit / Wan 2.1 T2V from tests/support/model_zoo, recording
  every evaluation), ``E2EFakeCLIPLoader`` (for CLIPLoader: qwen_image and wan text encoders
  of the tiny models' width) and ``E2EModelCalls`` (an output node that reports what the
  model was evaluated on: pass, sigma, cond/uncond, reference latents).
* ``E2ETensorStats``: an output node that reports min/max/mean/std/finite of a
  LATENT or IMAGE so the test can check results that a PNG would hide.
* special_latents.py: ``E2ESpecialLatent`` / ``E2ESpecialMask`` / ``E2ESpecialSigmas``
  (tiny, empty, NaN or inf inputs of any shape, for the input sweep) and
  ``E2ELatentValues`` (an output node that reports a latent's values).
"""
from . import family_standins, special_latents, standins

_PARTS = (standins, family_standins, special_latents)
NODE_CLASS_MAPPINGS = {k: v for part in _PARTS for k, v in part.NODE_CLASS_MAPPINGS.items()}
NODE_DISPLAY_NAME_MAPPINGS = {k: v for part in _PARTS for k, v in part.NODE_DISPLAY_NAME_MAPPINGS.items()}

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
