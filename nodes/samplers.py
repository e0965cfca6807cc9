"""The Sampler objects (SAMPLER type) that run rf_core's passes inside CFGGuider.sample."""

from __future__ import annotations

import contextlib

import torch

import comfy.samplers
from tqdm.auto import tqdm

from .. import rf_core
from . import latents, masks, patches, record, specs
from .inputs import MAX_SEED, WAN22_BOUNDARY_T2V
from .models import noise_scale
from .velocity import GuiderVelocity


@contextlib.contextmanager
def progress(callback, first: int, total: int, disable_pbar: bool):
    """Step dicts -> ComfyUI's callback, and a console bar closed however the run ends."""
    bar = None if disable_pbar else tqdm(total=total, initial=first)

    def on_step(d: dict):
        if callback is not None:
            callback(d["i"], d["denoised"], d["x"], total)
        if bar is not None:
            bar.update(1)

    try:
        yield on_step
    finally:
        if bar is not None:
            bar.close()


class InvertSampler(comfy.samplers.Sampler):
    """Eq. 8 up increasing sigmas to KSampler's noise for `seed` (the noise input is ignored)."""

    def __init__(self, gamma: float = 0.5, seed: int = 0, order: str = "euler", expert: str = "both",
                 boundary: float = WAN22_BOUNDARY_T2V, batch_index=None, plan: rf_core.InversionPlan | None = None,
                 trace: rf_core.InversionTrace | None = None, **gamma_trend):
        self.settings = dict(gamma=gamma, order=order, **gamma_trend)  # gamma_start, gamma_stop, gamma_schedule
        self.seed, self.expert, self.boundary, self.batch_index, self.plan = int(seed), expert, boundary, batch_index, plan
        self.trace = trace

    @torch.no_grad()
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        patcher, shapes = model_wrap.model_patcher, latents.packed_shapes(model_wrap)
        plan = self.plan or specs.inversion_plan([patcher], sigmas, latents.unpack(latent_image, shapes), walk=True,
                                                 name="latent_image (the source)", **self.settings)
        specs.check_mask_not_read_as_timesteps(model_wrap, denoise_mask, "RFControlledSamplerSampler")
        first, end = rf_core.expert_steps(plan.sigmas, self.boundary, self.expert)
        if first >= end:  # the other expert's steps only
            return latent_image
        noise_parts = latents.seed_noise(self.seed, shapes or [latent_image.shape], self.batch_index,
                                         noise_scale(patcher))
        y1 = latents.pack(noise_parts).to(latent_image.device)
        patches.check_inversion_hooks(getattr(model_wrap, "conds", None) or {})
        with specs.comfy_terms(patcher, sigmas), \
                patches.pass_options(model_wrap, extra_args, "inversion", inversion=True) as extra, \
                progress(callback, first, plan.steps, disable_pbar) as on_step:
            return rf_core.run_inversion(GuiderVelocity(model_wrap, extra), latent_image, y1, plan,
                                         steps=(first, end), callback=on_step, trace=self.trace)


class EditSampler(comfy.samplers.Sampler):
    """Eq. 15 / 17 from `inverted` (VAE space) down the sampling grid, pulled towards latent_image."""

    def __init__(self, inverted: dict, start_step: int = 0, stop_step: int = 7, eta: float = 0.9,
                 eta_schedule: str = "constant", mode: str = "ode", seed: int = 0, mask: torch.Tensor | None = None,
                 order: str = "euler", expert: str = "both", boundary: float = WAN22_BOUNDARY_T2V,
                 spec: specs.EditSpec | None = None, align: bool = False):
        if not isinstance(inverted, dict) or "samples" not in inverted:
            raise rf_core.RFInputError("inverted must be a LATENT (the output of RFInvert or of the inversion sampler).")
        self.inverted = inverted["samples"]
        self.masks = {"mask": mask, specs.INVERTED_NOISE_MASK: inverted.get("noise_mask")}
        self.info = record.read(inverted)
        self.settings = dict(start_step=start_step, stop_step=stop_step, eta=eta, eta_schedule=eta_schedule,
                             mode=mode, order=order, align=align)
        self.seed, self.expert, self.boundary, self.spec = int(seed), expert, boundary, spec

    def _spec(self, model_wrap, sigmas, reference: list, denoise_mask) -> specs.EditSpec:
        """The SAMPLER form's spec; the reference's noise_mask arrives as denoise_mask."""
        edit_masks = dict(self.masks)
        if denoise_mask is not None:
            shapes = latents.packed_shapes(model_wrap)
            edit_masks[specs.REFERENCE_NOISE_MASK] = latents.unpack(denoise_mask, shapes)[0][:, :1]
        boundary = None if self.expert == "both" else float(self.boundary)
        spec = specs.edit_spec([model_wrap.model_patcher], sigmas, latents.parts(self.inverted), reference,
                               edit_masks, self.info, boundary, "reference (latent_image)", **self.settings)
        specs.check_mask_not_read_as_timesteps(model_wrap, denoise_mask, "RFControlledSamplerSampler")
        return spec

    def rungs(self, spec: specs.EditSpec) -> int:
        """How many edits of the inverted batch the state holds (a ladder's rungs)."""
        return 1

    def walk(self, velocity, x, y0, spec: specs.EditSpec, mask=None, **run) -> torch.Tensor:
        return rf_core.run_edit(velocity, x, y0, spec.plan, mask=mask, trace=spec.trace, **run)

    @torch.no_grad()
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        shapes = latents.packed_shapes(model_wrap)
        spec = self.spec or self._spec(model_wrap, sigmas, latents.unpack(latent_image, shapes), denoise_mask)
        plan = spec.plan
        inverted = latents.pack([t.to(device=latent_image.device, dtype=torch.float32)
                                 for t in latents.parts(self.inverted)])
        x = model_wrap.inner_model.process_latent_in(inverted)
        a, b = rf_core.edit_expert_steps(plan, self.boundary, self.expert)
        first, end = max(a, plan.start_step), b
        if first >= end:  # the other expert's steps only
            return x
        if first == plan.start_step:  # the run that starts the edit
            record.warn_reference_mismatch(spec.info, (getattr(model_wrap, "conds", None) or {}).get("positive", []))
        batch = x.shape[0] // self.rungs(spec)
        noise_sampler = None
        if plan.mode == "sde":
            noise_sampler = rf_core.step_noise(self.seed, (batch, *x.shape[1:]), noise_scale(model_wrap.model_patcher))
        mask = masks.packed(spec.mask, latents.unpack(x[:batch], shapes), shapes)
        with patches.pass_options(model_wrap, extra_args, "edit", inversion=False) as extra, \
                progress(callback, first, plan.steps, disable_pbar) as on_step:
            return self.walk(GuiderVelocity(model_wrap, extra), x, latent_image[:batch], spec, mask=mask,
                             noise=noise_sampler, steps=(first, end), callback=on_step)


class LadderSampler(EditSampler):
    """An edit ladder's rungs as one batch; `inverted` is rung-major (rf_core.tile_rungs) and spec.ladder set. The
    ladder's plans carry no align (RFEditLadder has no align input)."""

    def rungs(self, spec: specs.EditSpec) -> int:
        return len(spec.ladder.plans)

    def walk(self, velocity, x, y0, spec: specs.EditSpec, **run) -> torch.Tensor:
        return rf_core.run_ladder(velocity, x, y0, spec.ladder.plans, tiled=True, **run)


class StochasticSampler(comfy.samplers.Sampler):
    """Eq. 22 for generation, like KSAMPLER; its noise is keyed by the run's seed + 1."""

    def __init__(self, noise_scale: float = 1.0):
        self.noise_scale = noise_scale

    @torch.no_grad()
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        patcher = model_wrap.model_patcher
        specs.check_source([patcher], "latent_image",
                           latents.unpack(latent_image, latents.packed_shapes(model_wrap)))
        extra_args = dict(extra_args, denoise_mask=denoise_mask)
        model_k = comfy.samplers.KSamplerX0Inpaint(model_wrap, sigmas)
        model_k.latent_image, model_k.noise = latent_image, noise
        sampling = model_wrap.inner_model.model_sampling
        x = sampling.noise_scaling(sigmas[0], noise, latent_image, self.max_denoise(model_wrap, sigmas))
        seed = (int(extra_args.get("seed") or 0) + 1) % (MAX_SEED + 1)
        noise_sampler = rf_core.step_noise(seed, x.shape, noise_scale(patcher))
        with specs.comfy_terms(patcher, sigmas), progress(callback, 0, sigmas.shape[-1] - 1, disable_pbar) as on_step:
            out = rf_core.stochastic_sampler(GuiderVelocity(model_k, extra_args), x, sigmas,
                                             noise_sampler=noise_sampler, noise_scale=self.noise_scale,
                                             callback=on_step)
        if float(sigmas[-1]) < 1.0:
            out = sampling.inverse_noise_scaling(sigmas[-1], out)
        return out
