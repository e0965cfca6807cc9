"""ComfyUI Sampler objects (the SAMPLER type) that run rf_core's solvers on a guider's flow velocity.

Each owns its loop in sample(model_wrap, sigmas, extra_args, callback, noise, latent_image, denoise_mask,
disable_pbar), the interface CFGGuider.inner_sample calls. They never divide by (1 - sigma) at the end, unlike
KSAMPLER, so an inversion that ends at sigma = 1 returns a finite latent. Latents inside sample() are in the
model's space (the guider applied process_latent_in to latent_image and applies process_latent_out to the result).
The all-in-one nodes run these same objects through guider.sample, exactly as SamplerCustomAdvanced does.
"""

from __future__ import annotations

import contextlib

import torch

import comfy.samplers
from tqdm.auto import tqdm

from ..rf_core import (
    ETA_SCHEDULES,
    EXPERTS,
    MODES,
    RFInputError,
    check_option,
    check_order,
    check_sde_order,
    check_unit_interval,
    controlled_forward_ode,
    edit,
    expert_steps,
    seeded_noise_parts,
    seeded_noise_sampler,
    stochastic_sampler,
)
from .adapter import GuiderVelocity, first_velocity, noise_scale, require_velocity_at_sigma0
from .checks import (
    REFERENCE_NOISE_MASK,
    check_edit_inputs,
    check_flow_latent,
    check_mask_not_read_as_timesteps,
    check_model_grid,
    edit_mask,
    edit_masks,
    inversion_info,
    warn_reference_mismatch,
)
from .latents import pack, packed_shapes, parts, unpack

MAX_SEED = 0xFFFFFFFFFFFFFFFF

@contextlib.contextmanager
def _progress(callback, offset: int, total: int, disable_pbar: bool):
    """rf_core's per-step dict -> ComfyUI's callback(step, x0, x, total_steps), x0 = the model's x0 estimate,
    and a console bar that is closed however the run ends (Cancel included)."""
    bar = None if disable_pbar else tqdm(total=total, initial=offset)

    def on_step(d: dict):
        if callback is not None:
            callback(d["i"] + offset, d["denoised"], d["x"], total)
        if bar is not None:
            bar.update(1)

    try:
        yield on_step
    finally:
        if bar is not None:
            bar.close()


class RFInversionSamplerObject(comfy.samplers.Sampler):
    """Controlled forward ODE (Eq. 8, Algorithm 1): from the image latent_image up the INCREASING sigmas.

    The sigmas are the sampling grid flipped (RFFlipSigmas / RFInversionSigmas); they end at 1 (full inversion)
    or at sigma_s (start_step > 0). The noise input is ignored (wire DisableNoise): the target noise y1 is drawn
    from `seed`, never from the global RNG: ComfyUI's noise for that seed and the latent's batch_index (RFInvert
    passes it; SamplerCustomAdvanced hands a Sampler no batch_index, so there y1 is the seed's noise for a latent
    without one), times the model's noise_scale (adapter.noise_scale), as KSampler's noise_scaling at sigma = 1.
    A denoise_mask does not limit the inversion: it inverts the whole image, and the mask travels
    on in the output LATENT to the edit. For an x0-predicting network (adapter.predicts_x0) the first step reads
    the model at sigma_1, not at sigma = 0 where such a network is not finite. With expert high_noise / low_noise
    (a model of two experts, rf_core.expert_steps) it runs only that expert's steps of the sigmas, from
    latent_image, the state at the first of them. Returns the inverted state.
    """

    def __init__(self, gamma: float = 0.5, seed: int = 0, order: str = "euler", batch_index=None,
                 expert: str = "both", boundary: float = 0.875):
        self.gamma = check_unit_interval("gamma", gamma)
        self.seed = int(seed)
        self.order = check_order(order)
        self.batch_index = batch_index
        self.expert, self.boundary = check_option("expert", expert, EXPERTS), check_unit_interval("boundary", boundary)

    @torch.no_grad()
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        shapes = packed_shapes(model_wrap)
        check_flow_latent(model_wrap.model_patcher, "latent_image (the source)", unpack(latent_image, shapes))
        check_model_grid(model_wrap.model_patcher, sigmas)
        check_mask_not_read_as_timesteps(model_wrap, denoise_mask, "RFControlledSamplerSampler")
        require_velocity_at_sigma0(model_wrap.model_patcher)
        y0 = latent_image
        velocity = GuiderVelocity(model_wrap, extra_args)
        scale = noise_scale(model_wrap.model_patcher)
        y1 = pack(seeded_noise_parts(self.seed, shapes or [y0.shape], batch_index=self.batch_index, scale=scale))
        y1 = y1.to(y0.device)
        steps = sigmas.shape[-1] - 1
        a, b = expert_steps(sigmas, self.boundary, self.expert)
        if a >= b:  # the other expert's steps only
            return y0
        with _progress(callback, a, steps, disable_pbar) as on_step:
            return controlled_forward_ode(velocity, y0, sigmas[a:b + 1], y1, self.gamma, order=self.order,
                                          first_velocity=first_velocity(model_wrap.model_patcher), callback=on_step)


class RFControlledSamplerObject(comfy.samplers.Sampler):
    """Controlled reverse ODE (Eq. 15) or SDE (Eq. 17) from the inverted latent, pulled towards latent_image.

    `inverted` is a LATENT dict in VAE space (RFInvert's or SamplerCustomAdvanced's output); latent_image is the
    reference y0 (the guider has already moved it to the model's space). The sigmas are the full DECREASING
    sampling grid; the run starts at step start_step (where the inversion stopped), eta acts on
    [start_step, stop_step). `mask` (MASK, 1 = edit), the inverted latent's noise_mask (set on RFInvert's source)
    and the reference's (RFControlledSampler passes it as reference_noise_mask and hands the guider none;
    SamplerCustomAdvanced hands it to the guider, and so to the sampler, as denoise_mask) confine the edit to where
    all of them allow it (their minimum, so one mask reaching it by two paths counts once); outside, the result
    stays the reference. The noise input is ignored;
    the SDE draws from `seed`, scaled by the model's noise_scale. With expert high_noise / low_noise it runs only
    that expert's steps of the full grid (rf_core.edit's segment), from `inverted`, the state at the first of them
    (for low_noise: the high_noise run's output).
    """

    def __init__(self, inverted: dict, start_step: int = 0, stop_step: int = 7, eta: float = 0.9,
                 eta_schedule: str = "constant", mode: str = "ode", seed: int = 0, mask: torch.Tensor | None = None,
                 order: str = "euler", reference_noise_mask: torch.Tensor | None = None, expert: str = "both",
                 boundary: float = 0.875):
        if not isinstance(inverted, dict) or "samples" not in inverted:
            raise RFInputError("inverted must be a LATENT (the output of RFInvert or of the inversion sampler).")
        check_option("eta_schedule", eta_schedule, ETA_SCHEDULES)
        check_option("mode", mode, MODES)
        self.order = check_sde_order(order) if mode == "sde" else check_order(order)
        self.inverted = inverted["samples"]
        self.info = inversion_info(inverted)
        self.masks = edit_masks(mask, inverted, reference_noise_mask)
        self.start_step, self.stop_step = int(start_step), int(stop_step)
        self.eta = check_unit_interval("eta", eta)
        self.eta_schedule, self.mode, self.seed = eta_schedule, mode, int(seed)
        self.expert, self.boundary = check_option("expert", expert, EXPERTS), check_unit_interval("boundary", boundary)

    def _mask(self, x: torch.Tensor, denoise_mask: torch.Tensor | None, shapes: list | None) -> torch.Tensor | None:
        """The minimum of the edit's masks, (B or 1, 1, ...) at x's size; None if none is connected. For a packed
        latent (shapes) they apply to the first part (LTX-2's video) and the others are edited everywhere, as
        ComfyUI fills a noise_mask's missing parts with ones; the result is packed like x."""
        first = unpack(x, shapes)[0]
        found = [edit_mask(name, m, first) for name, m in self.masks.items() if m is not None]
        if denoise_mask is not None:  # already (B, C, ...) at the latent's size (the guider's prepare_mask)
            found.append(edit_mask(REFERENCE_NOISE_MASK, unpack(denoise_mask, shapes)[0][:, :1], first))
        if not found:
            return None
        out = found[0]
        for m in found[1:]:
            out = torch.minimum(out, m)
        if shapes is None:
            return out
        rest = [torch.ones((first.shape[0], *s[1:]), device=x.device) for s in shapes[1:]]
        return pack([out.expand(first.shape[0], *first.shape[1:]), *rest])

    @torch.no_grad()
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        steps = sigmas.shape[-1] - 1
        y0 = latent_image
        shapes = packed_shapes(model_wrap)
        check_model_grid(model_wrap.model_patcher, sigmas)
        check_edit_inputs(model_wrap.model_patcher, self.info, sigmas, self.start_step, self.stop_step,
                          parts(self.inverted), unpack(y0, shapes), reference_name="reference (latent_image)",
                          masks=self.masks, order=self.order)
        check_mask_not_read_as_timesteps(model_wrap, denoise_mask, "RFControlledSamplerSampler")
        inverted = pack([t.to(device=y0.device, dtype=torch.float32) for t in parts(self.inverted)])
        x = model_wrap.inner_model.process_latent_in(inverted)
        velocity = GuiderVelocity(model_wrap, extra_args)
        noise_sampler = None
        if self.mode == "sde":
            noise_sampler = seeded_noise_sampler(self.seed, x.shape, scale=noise_scale(model_wrap.model_patcher))
        segment = expert_steps(sigmas, self.boundary, self.expert)
        if segment[0] <= self.start_step < segment[1]:  # the run that starts the edit (one of two experts' runs)
            warn_reference_mismatch(self.info, (getattr(model_wrap, "conds", None) or {}).get("positive", []))
        with _progress(callback, max(segment[0], self.start_step), steps, disable_pbar) as on_step:
            return edit(
                velocity, x, y0, sigmas, eta=self.eta, start_step=self.start_step, stop_step=self.stop_step,
                eta_kind=self.eta_schedule, mode=self.mode, mask=self._mask(x, denoise_mask, shapes),
                noise_sampler=noise_sampler, order=self.order, segment=segment, callback=on_step,
            )


class StochasticSamplerObject(comfy.samplers.Sampler):
    """Rectified-SDE sampler for plain generation (Eq. 22 with the score of Eq. 23), used like any core sampler.

    Starts at noise_scaling(sigma_0, noise, latent_image) and ends with inverse_noise_scaling like KSAMPLER
    (skipped only where it would divide by zero, i.e. a run ending at sigma = 1). The SDE noise xi comes from
    the run's noise seed + 1 (its own CPU generator; after the largest seed, 2^64 - 1, it wraps to 0), so it
    never repeats the initial noise, scaled by the model's noise_scale as noise_scaling scales the initial noise.
    A noise_mask inpaints exactly as core samplers do (ComfyUI's
    KSamplerX0Inpaint), and denoise < 1 (a schedule starting below sigma = 1) starts from the re-noised source.
    """

    def __init__(self, noise_scale: float = 1.0):
        self.noise_scale = check_unit_interval("noise_scale", noise_scale)

    @torch.no_grad()
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        check_flow_latent(model_wrap.model_patcher, "latent_image", latent_image)
        check_model_grid(model_wrap.model_patcher, sigmas)
        extra_args = dict(extra_args, denoise_mask=denoise_mask)
        model_k = comfy.samplers.KSamplerX0Inpaint(model_wrap, sigmas)
        model_k.latent_image = latent_image
        model_k.noise = noise
        sampling = model_wrap.inner_model.model_sampling
        x = sampling.noise_scaling(sigmas[0], noise, latent_image, self.max_denoise(model_wrap, sigmas))
        seed = int(extra_args.get("seed") or 0)
        noise_sampler = seeded_noise_sampler((seed + 1) % (MAX_SEED + 1), x.shape,
                                             scale=noise_scale(model_wrap.model_patcher))
        with _progress(callback, 0, sigmas.shape[-1] - 1, disable_pbar) as on_step:
            out = stochastic_sampler(
                GuiderVelocity(model_k, extra_args), x, sigmas, noise_sampler=noise_sampler,
                noise_scale=self.noise_scale, callback=on_step,
            )
        if float(sigmas[-1]) < 1.0:
            out = sampling.inverse_noise_scaling(sigmas[-1], out)
        return out
