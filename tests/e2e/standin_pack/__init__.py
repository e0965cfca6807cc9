"""Test-only ComfyUI node pack: tiny random-weight stand-ins for Flux's giant files.

Registered only when tests/e2e links this folder into a throw-away
``custom_nodes`` directory; the real pack never imports it.

The stand-ins keep the input signature (and therefore the server's input
validation) of the core loader they replace, but ignore the file they are
pointed at and build a deterministic, tiny model instead:

* ``E2ETinyFluxUNETLoader``  (for UNETLoader): a real ``comfy.model_base.Flux``
  with hidden size 64, one double and one single block, guidance embedding,
  context dim 4096 and pooled dim 768, exactly like Flux-dev's interface.
* ``E2EFakeDualCLIPLoader``  (for DualCLIPLoader): a CLIP-like object the real
  ``CLIPTextEncode`` can use; it returns T5-shaped context (1, 16, 4096) and a
  CLIP-L-shaped pooled vector (1, 768) derived from a hash of the prompt.
* ``E2ETinyVAELoader``       (for VAELoader): a real ``comfy.sd.VAE`` around a
  32-channel AutoencoderKL with 16 latent channels and 8x downscale.
* ``E2ETensorStats``: an output node that reports min/max/mean/std/finite of a
  LATENT or IMAGE so the test can check results that a PNG would hide.
* special_latents.py: ``E2ESpecialLatent`` / ``E2ESpecialMask`` / ``E2ESpecialSigmas``
  (tiny, empty, NaN or inf inputs of any shape, for the input sweep) and
  ``E2ELatentValues`` (an output node that reports a latent's values).
"""
from . import special_latents, standins

NODE_CLASS_MAPPINGS = {**standins.NODE_CLASS_MAPPINGS, **special_latents.NODE_CLASS_MAPPINGS}
NODE_DISPLAY_NAME_MAPPINGS = {**standins.NODE_DISPLAY_NAME_MAPPINGS, **special_latents.NODE_DISPLAY_NAME_MAPPINGS}

__all__ = ["NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
