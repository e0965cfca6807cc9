"""An exact-velocity Flux stand-in: ComfyUI's own Flux model (model_base, ModelSamplingFlux, latent format,
ModelPatcher) whose network returns the exact flow velocity of a Gaussian mixture (exact_fields), so every error
left in a round trip is the solver's and every change a patch makes can be measured against the truth.

The network reads its sigma from transformer_options["sigmas"] (so ModelSampling* shifts and timestep scales do not
matter) and its class from the conditioning: context[b, 0, 0] is a CLASS code (exact_conditioning). It runs
ComfyUI's DIFFUSION_MODEL wrappers as Flux's forward does, and counts its evaluations (one per batch row).
"""

from __future__ import annotations

import torch

import comfy_harness
import mixtures
from seeded import gen

SHAPE = (1, 16, 8, 8)  # builders.SHAPE: a Flux latent
CLASSES = {0: None, 1: mixtures.CLASS_A, 2: mixtures.CLASS_B}  # context code -> mixture components (0: all)


class ExactNet(torch.nn.Module):
    """Flux's forward signature; the output is gm's velocity for each row's class at transformer_options' sigma."""

    def __init__(self, gm):
        super().__init__()
        self.gm = gm
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # a parameter, so ComfyUI can load and place the module
        self.evaluations = 0
        self.dtype = torch.float32  # what ComfyUI's model_base (and RenormCFG) read of a network
        self.in_channels = SHAPE[1]

    def forward(self, x, timestep, context, y=None, guidance=None, ref_latents=None, control=None,
                transformer_options={}, **kwargs):
        import comfy.patcher_extension as pe

        wrappers = pe.get_all_wrappers(pe.WrappersMP.DIFFUSION_MODEL, transformer_options)
        return pe.WrapperExecutor.new_class_executor(self._forward, self, wrappers).execute(
            x, timestep, context, y, guidance, ref_latents, control, transformer_options, **kwargs)

    def _forward(self, x, timestep, context, y=None, guidance=None, ref_latents=None, control=None,
                 transformer_options={}, **kwargs):
        sigmas = transformer_options["sigmas"].flatten()
        rows = []
        for b in range(x.shape[0]):
            code = int(round(float(context[b % context.shape[0], 0, 0])))
            sigma = float(sigmas[b % sigmas.numel()])
            rows.append(self.gm.velocity(x[b:b + 1].float(), sigma, CLASSES[code]))
        self.evaluations += x.shape[0]
        return torch.cat(rows).to(x.dtype)


def exact_flux(seed: int = 0):
    """A ComfyUI Flux model (no guidance embedding) with an ExactNet of mixtures.class_mixture over SHAPE."""
    patcher = comfy_harness.tiny_model("FluxSchnell", comfy_harness.flux_unet_config(guidance_embed=False), seed)
    patcher.model.diffusion_model = ExactNet(mixtures.class_mixture(event=SHAPE[1:], seed=seed))
    return patcher


def net(patcher) -> ExactNet:
    return patcher.get_model_object("diffusion_model")


def exact_conditioning(code: int, tokens: int = 4):
    """A CONDITIONING whose context carries a CLASSES code: 0 the whole mixture, 1 class A, 2 class B."""
    cond = comfy_harness.conditioning(tokens=tokens, seed=100 + code)
    cond[0][0][:, 0, 0] = float(code)
    return cond


def source(patcher, seed: int = 1, classes=mixtures.CLASS_A) -> torch.Tensor:
    """A draw of the mixture (model space) as a LATENT's samples (VAE space: the latent format's process_out)."""
    sample = net(patcher).gm.sample(1, gen(seed), classes).reshape(SHAPE)
    return patcher.get_model_object("latent_format").process_out(sample)
