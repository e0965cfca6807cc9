"""The all-in-one nodes: RFInvert and RFControlledSampler.

Each builds a CFGGuider and calls guider.sample with the Sampler objects of samplers.py, with the preview
callback of latent_preview, exactly as SamplerCustomAdvanced does: the power-user chain (SamplerCustomAdvanced +
RFInvertSampler / RFControlledSamplerSampler) runs the same code. Latents go in and out in VAE space.
"""

from __future__ import annotations

import torch

import comfy.model_management
import comfy.sample
import comfy.samplers
import comfy.utils
import latent_preview
from comfy_api.latest import io

from ..rf_core import inversion_sigmas
from . import inputs, latents
from .adapter import require_flow_model, require_velocity_at_sigma0
from .checks import (
    INVERSION_KEY,
    check_cfg,
    check_edit_inputs,
    check_edit_wiring,
    check_flow_latent,
    edit_masks,
    inversion_info,
    reference_fingerprints,
    sampling_grid,
)
from .guidance import conditioning_with_guidance
from .samplers import RFControlledSamplerObject, RFInversionSamplerObject
from .schema import schema


def run_guider(guider, sampler, sigmas: torch.Tensor, latent: dict, samples: torch.Tensor, seed: int) -> dict:
    """guider.sample as SamplerCustomAdvanced calls it, with DisableNoise's zero noise, but with no denoise_mask: a
    noise_mask acts in RF-Inversion's controller only, never as the model's inpainting conditioning (per-token
    timesteps of LTXV / Wan 2.2, concat masks of inpainting and image-to-video models). Returns a LATENT."""
    noise = latents.zeros_like(samples)
    callback = latent_preview.prepare_callback(guider.model_patcher, sigmas.shape[-1] - 1)
    disable_pbar = not comfy.utils.PROGRESS_BAR_ENABLED
    out = guider.sample(noise, samples, sampler, sigmas, callback=callback, disable_pbar=disable_pbar, seed=seed)
    result = latent.copy()
    result["samples"] = out.to(comfy.model_management.intermediate_device())
    return result


def expert_runs(model, model_low_noise, first: str) -> list[tuple[object, str]]:
    """The guider runs of one direction: [(model, "both")] for one model; for a model of two experts (Wan 2.2 A14B:
    model the high-noise one, model_low_noise the other) the low-noise expert's steps first for the inversion
    (first="low_noise"), the high-noise expert's first for the edit, each run on the whole grid (its Sampler object
    takes only its expert's steps), as ComfyUI's Wan 2.2 templates chain two KSamplerAdvanced."""
    if model_low_noise is None:
        return [(model, "both")]
    runs = [(model, "high_noise"), (model_low_noise, "low_noise")]
    return runs[::-1] if first == "low_noise" else runs


def guider_for(model, positive, negative=None, cfg: float = 1.0):
    """A CFGGuider with the conditioning (and negative) written for this model's guidance rule."""
    guider = comfy.samplers.CFGGuider(model)
    if negative is None:
        guider.inner_set_conds({"positive": positive})
    else:
        guider.set_conds(positive, negative)
    guider.set_cfg(cfg)
    return guider


class RFInvert(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFInvert",
            search_aliases=["invert", "inversion", "image inversion", "unsample", "unsampler", "image to noise",
                            "flux edit"],
            display_name="RF-Inversion: Invert",
            category=inputs.CATEGORY,
            description="Inverts an image latent into structured noise with RF-Inversion's controlled forward ODE "
            "(Rout et al., ICLR 2025, Algorithm 1). Feed the result to RFControlledSampler as 'inverted'. Needs a "
            "rectified-flow model (Flux, SD3/3.5, ...). Only the edit re-runs when you change edit settings.",
            inputs=[
                io.Model.Input("model", tooltip="A rectified-flow model (Flux dev/schnell, SD3/3.5, ...), with any LoRAs."),
                io.Conditioning.Input(
                    "conditioning",
                    tooltip="Prompt for the inversion: normally the empty prompt (the paper inverts unconditionally). "
                    "For an edit model (Flux Kontext, Qwen-Image-Edit, Flux.2) give it the same reference latents as the "
                    "edit's conditioning (ReferenceLatent with the encoded source): the edit says on the console "
                    "when they differ.",
                ),
                io.Latent.Input(
                    "latent",
                    tooltip="The source image, VAE-encoded with this model's VAE. A noise_mask on it "
                    "(SetLatentNoiseMask) does not limit the inversion (it inverts the whole image): it travels in "
                    "the output, and RFControlledSampler edits only inside it.",
                ),
                inputs.steps(),
                inputs.gamma(),
                inputs.inversion_seed(),
                inputs.guidance(0.0, for_edit=False),
                inputs.start_step(for_edit=False),
                inputs.sigmas(for_edit=False),
                inputs.order(),
                inputs.model_low_noise(for_edit=False),
                inputs.boundary(),
            ],
            outputs=[
                io.Latent.Output(
                    tooltip="The inverted latent (structured noise at the start step's noise level), with how it "
                    "was made, for RFControlledSampler's 'inverted' input.",
                )
            ],
        )

    @classmethod
    def execute(cls, model, conditioning, latent, steps, gamma, seed, guidance, start_step, sigmas=None,
                order="euler", model_low_noise=None, boundary=inputs.WAN22_BOUNDARY_T2V) -> io.NodeOutput:
        samples = comfy.sample.fix_empty_latent_channels(model, latent["samples"])
        runs = expert_runs(model, model_low_noise, "low_noise")
        for m, _ in runs:
            check_flow_latent(m, "latent", samples)
        require_velocity_at_sigma0(runs[0][0])  # the run that takes the step from sigma = 0
        grid = sampling_grid(model, steps, sigmas)
        walk = inversion_sigmas(grid, start_step)  # checks start_step against the grid
        result, current = latent, samples
        for m, expert in runs:
            positive = conditioning_with_guidance(m, conditioning, guidance)
            guider = guider_for(m, positive)
            sampler = RFInversionSamplerObject(gamma=gamma, seed=seed, order=order, expert=expert, boundary=boundary,
                                               batch_index=latent.get("batch_index"))
            result = run_guider(guider, sampler, walk, latent, current, seed)
            current = result["samples"]
        result[INVERSION_KEY] = {
            "sigmas": grid.clone(),
            "steps": grid.numel() - 1,
            "start_step": int(start_step),
            "gamma": float(gamma),
            "seed": int(seed),
            "order": order,
            "boundary": None if model_low_noise is None else float(boundary),
            "reference_latents": reference_fingerprints(d for _, d in conditioning),  # guidance adds none
        }
        return io.NodeOutput(result)


class RFControlledSampler(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFControlledSampler",
            search_aliases=["edit", "image edit", "flux edit", "controlled sampler", "semantic edit", "inversion edit",
                            "regional edit"],
            display_name="RF-Inversion: Controlled Sampler",
            category=inputs.CATEGORY,
            description="Edits an inverted image with RF-Inversion's controlled reverse ODE/SDE (Rout et al., ICLR "
            "2025, Algorithm 2): generates from the inverted noise with the edit prompt while eta pulls towards the "
            "reference on the first steps. eta 1 everywhere returns the reference; eta 0 ignores it.",
            inputs=[
                io.Model.Input("model", tooltip="The same rectified-flow model as the inversion (LoRAs allowed)."),
                io.Conditioning.Input("conditioning", tooltip="The edit prompt: describe the image you want."),
                io.Latent.Input("inverted", tooltip="RFInvert's output (structured noise)."),
                io.Latent.Input(
                    "reference",
                    tooltip="The source latent the controller pulls towards: the one RFInvert inverted, not "
                    "RFInvert's output (refused). Batch 1 or the inverted batch. A noise_mask on it "
                    "(SetLatentNoiseMask) limits the edit to the mask exactly as the mask input does: it acts in the "
                    "controller only and is not handed to the model as inpainting conditioning (which would tell "
                    "LTXV or Wan 2.2 that the outside is clean, while the edit keeps it at the step's noise level).",
                ),
                inputs.steps(),
                inputs.start_step(for_edit=True),
                inputs.stop_step(),
                inputs.eta(),
                inputs.eta_schedule(),
                inputs.guidance(3.5, for_edit=True),
                inputs.mode(),
                inputs.sde_seed(),
                inputs.mask(),
                io.Conditioning.Input(
                    "negative", optional=True,
                    tooltip="Optional negative prompt, used with cfg > 1 (classifier-free guidance, 2 model "
                    "evaluations per step).",
                ),
                io.Float.Input(
                    "cfg", default=1.0, min=0.0, max=100.0, step=0.1, optional=True,
                    tooltip="Classifier-free guidance scale with the negative prompt; 1 = off (Flux dev uses the "
                    "guidance input instead).",
                ),
                inputs.sigmas(for_edit=True),
                inputs.order(),
                inputs.model_low_noise(for_edit=True),
                inputs.boundary(),
            ],
            outputs=[io.Latent.Output(tooltip="The edited latent (VAE space): decode it with the model's VAE.")],
        )

    @classmethod
    def execute(cls, model, conditioning, inverted, reference, steps, start_step, stop_step, eta, eta_schedule,
                guidance, mode, seed, mask=None, negative=None, cfg=1.0, sigmas=None, order="euler",
                model_low_noise=None, boundary=inputs.WAN22_BOUNDARY_T2V) -> io.NodeOutput:
        runs = expert_runs(model, model_low_noise, "high_noise")
        for m, _ in runs:
            require_flow_model(m)  # before sampling_grid: other models' sigmas are not a flow grid
        grid = sampling_grid(model, steps, sigmas)
        x = inverted["samples"]
        ref = comfy.sample.fix_empty_latent_channels(model, reference["samples"])
        check_edit_wiring(inverted, reference)
        for m, _ in runs:
            check_edit_inputs(m, inversion_info(inverted), grid, start_step, stop_step, x, ref,
                              masks=edit_masks(mask, inverted, reference.get("noise_mask")), order=order)
        cfg = check_cfg(cfg, negative)
        if ref.shape[0] != x.shape[0]:
            ref = latents.expand_batch(ref, x.shape[0])
        current = inverted
        for m, expert in runs:
            neg = None if negative is None else conditioning_with_guidance(m, negative, guidance, "negative")
            guider = guider_for(m, conditioning_with_guidance(m, conditioning, guidance), neg, cfg)
            sampler = RFControlledSamplerObject(
                current, start_step=start_step, stop_step=stop_step, eta=eta, eta_schedule=eta_schedule, mode=mode,
                seed=seed, mask=mask, order=order, reference_noise_mask=reference.get("noise_mask"), expert=expert,
                boundary=boundary,
            )
            out = run_guider(guider, sampler, grid, reference, ref, seed)
            current = {**inverted, "samples": out["samples"]}  # the next expert starts here (record and masks kept)
        return io.NodeOutput(out)
