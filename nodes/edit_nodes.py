"""RFInvert and RFControlledSampler: a checked spec, then guider.sample with the Sampler objects."""

from __future__ import annotations

import torch

import comfy.model_management
import comfy.sample
import comfy.samplers
import comfy.utils
import latent_preview
from comfy_api.latest import io

from .. import rf_core
from ..rf_core import RFInputError
from . import inputs, latents, record, specs
from .guidance import check_cfg, conditioning_with_guidance
from .samplers import EditSampler, InvertSampler
from .schema import schema


def run_guider(guider, sampler, sigmas: torch.Tensor, latent: dict, samples, seed: int) -> dict:
    """guider.sample with zero noise and no denoise_mask (masks act in the controller only); a LATENT."""
    noise = latents.zeros_like(samples)
    callback = latent_preview.prepare_callback(guider.model_patcher, sigmas.shape[-1] - 1)
    disable_pbar = not comfy.utils.PROGRESS_BAR_ENABLED
    out = guider.sample(noise, samples, sampler, sigmas, callback=callback, disable_pbar=disable_pbar, seed=seed)
    result = latent.copy()
    result["samples"] = out.to(comfy.model_management.intermediate_device())
    return result


def expert_runs(model, model_low_noise, first: str) -> list[tuple[object, str]]:
    """[(model, expert)] per guider run, the `first` expert first; each Sampler takes its own steps."""
    if model_low_noise is None:
        return [(model, "both")]
    runs = [(model, "high_noise"), (model_low_noise, "low_noise")]
    return runs[::-1] if first == "low_noise" else runs


def guider_for(model, positive, negative=None, cfg: float = 1.0):
    guider = comfy.samplers.CFGGuider(model)
    if negative is None:
        guider.inner_set_conds({"positive": positive})
    else:
        guider.set_conds(positive, negative)
    guider.set_cfg(cfg)
    return guider


def sampling_grid(model, steps: int, sigmas: torch.Tensor | None) -> torch.Tensor:
    """The connected sigmas, else the model's 'simple' grid of `steps`."""
    if sigmas is not None:
        return sigmas.detach().cpu()
    return comfy.samplers.calculate_sigmas(model.get_model_object("model_sampling"), "simple", int(steps)).cpu()


def edit_inputs(required_extra: tuple = ()) -> list:
    """RFControlledSampler's inputs; required_extra goes after its required ones (the ladder's)."""
    return [
        io.Model.Input("model", tooltip="The same rectified-flow model as the inversion (LoRAs allowed)."),
        io.Conditioning.Input("conditioning", tooltip="The edit prompt: describe the image you want."),
        io.Latent.Input("inverted", tooltip="RFInvert's output (structured noise)."),
        io.Latent.Input(
            "reference",
            tooltip="The source latent the edit is pulled towards: the one RFInvert inverted (batch 1 or the "
            "inverted batch). A noise_mask on it limits the edit as the mask input does.",
        ),
        inputs.steps(),
        inputs.start_step(for_edit=True),
        inputs.stop_step(),
        inputs.eta(),
        inputs.eta_schedule(),
        inputs.guidance(3.5, for_edit=True),
        inputs.mode(),
        inputs.sde_seed(),
        *required_extra,
        inputs.mask(),
        io.Conditioning.Input(
            "negative", optional=True,
            tooltip="Optional negative prompt, used with cfg > 1 (two model calls per step).",
        ),
        io.Float.Input(
            "cfg", default=1.0, min=0.0, max=100.0, step=0.1, optional=True,
            tooltip="Classifier-free guidance scale with the negative prompt, 0 to 100; 1 = off.",
        ),
        inputs.sigmas(for_edit=True),
        inputs.order(),
        inputs.model_low_noise(for_edit=True),
        inputs.boundary(),
    ]


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
            "(Rout et al., ICLR 2025, Algorithm 1), for RFControlledSampler's 'inverted' input.",
            inputs=[
                io.Model.Input("model", tooltip="A rectified-flow model (Flux, SD3, Qwen-Image, Wan, ...), with any LoRAs."),
                io.Conditioning.Input(
                    "conditioning",
                    tooltip="The inversion prompt, normally empty (the paper's). For an edit model (Kontext, "
                    "Qwen-Image-Edit, Flux.2), the same reference latents as the edit's conditioning.",
                ),
                io.Latent.Input(
                    "latent",
                    tooltip="The source image, encoded with this model's VAE. A noise_mask on it limits the edit, not "
                    "the inversion.",
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
                *inputs.gamma_window(),
                inputs.gamma_schedule(),
                inputs.keep_trace(),
            ],
            outputs=[
                io.Latent.Output(
                    tooltip="The inverted latent (structured noise at start_step's noise level), with how it was made.",
                )
            ],
        )

    @classmethod
    def execute(cls, model, conditioning, latent, steps, gamma, seed, guidance, start_step, sigmas=None,
                order="euler", model_low_noise=None, boundary=inputs.WAN22_BOUNDARY_T2V, gamma_start=0,
                gamma_stop=inputs.MAX_STEPS, gamma_schedule="constant", keep_trace=False) -> io.NodeOutput:
        samples = comfy.sample.fix_empty_latent_channels(model, latent["samples"])
        runs = expert_runs(model, model_low_noise, "low_noise")
        grid = sampling_grid(model, steps, sigmas)
        plan = specs.inversion_plan([m for m, _ in runs], grid, latents.parts(samples), walk=False, gamma=gamma,
                                    start_step=start_step, order=order, gamma_start=gamma_start,
                                    gamma_stop=gamma_stop, gamma_schedule=gamma_schedule)
        walk = rf_core.flip_sigmas(grid[int(start_step):])  # the plan's walk, as a tensor for guider.sample
        trace = rf_core.InversionTrace(plan.sigmas) if keep_trace else None
        result, current = latent, samples
        for m, expert in runs:
            guider = guider_for(m, conditioning_with_guidance(m, conditioning, guidance))
            sampler = InvertSampler(seed=seed, expert=expert, boundary=boundary, batch_index=latent.get("batch_index"),
                                    plan=plan, trace=trace)
            result = run_guider(guider, sampler, walk, latent, current, seed)
            current = result["samples"]
        kept = None if trace is None else trace.to(comfy.model_management.intermediate_device())
        result[record.KEY] = record.make(grid, start_step, order, expert_split(model_low_noise, boundary),
                                         conditioning, seed, kept)  # guidance adds no latents
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
            "2025, Algorithm 2): the edit prompt drives it while eta pulls towards the reference on the first steps.",
            inputs=[*edit_inputs(), inputs.align()],
            outputs=[io.Latent.Output(tooltip="The edited latent (VAE space): decode it with the model's VAE.")],
        )

    @classmethod
    def execute(cls, model, conditioning, inverted, reference, steps, start_step, stop_step, eta, eta_schedule,
                guidance, mode, seed, mask=None, negative=None, cfg=1.0, sigmas=None, order="euler",
                model_low_noise=None, boundary=inputs.WAN22_BOUNDARY_T2V, align=False) -> io.NodeOutput:
        runs, grid, ref, edit_masks = edit_setup(model, inverted, reference, steps, sigmas, mask, model_low_noise)
        spec = specs.edit_spec(
            [m for m, _ in runs], grid, latents.parts(inverted["samples"]), latents.parts(ref), edit_masks,
            record.read(inverted), expert_split(model_low_noise, boundary),
            start_step=start_step, stop_step=stop_step, eta=eta, eta_schedule=eta_schedule, mode=mode, order=order,
            align=bool(align),
        )
        cfg = check_cfg(cfg, negative)
        if ref.shape[0] != inverted["samples"].shape[0]:
            ref = latents.expand_batch(ref, inverted["samples"].shape[0])

        def sampler(current, expert):
            return EditSampler(current, seed=seed, expert=expert, boundary=boundary, spec=spec)

        return io.NodeOutput(run_passes(runs, (conditioning, negative, guidance, cfg), sampler, inverted,
                                        {**reference, "samples": ref}, grid,
                                        record.model_seed(spec.info, seed)))


def expert_split(model_low_noise, boundary: float) -> float | None:
    """The sigma where two experts hand over; None for one model."""
    return None if model_low_noise is None else float(boundary)


def edit_setup(model, inverted: dict, reference: dict, steps: int, sigmas, mask, model_low_noise):
    """An edit's expert runs, grid, reference samples and masks, with the wiring checked."""
    runs = expert_runs(model, model_low_noise, "high_noise")
    ref = comfy.sample.fix_empty_latent_channels(model, reference["samples"])
    check_wiring(inverted, reference)
    edit_masks = {"mask": mask, specs.INVERTED_NOISE_MASK: inverted.get("noise_mask"),
                  specs.REFERENCE_NOISE_MASK: reference.get("noise_mask")}
    return runs, sampling_grid(model, steps, sigmas), ref, edit_masks


def run_passes(runs: list, prompts: tuple, sampler, inverted: dict, reference: dict, grid: torch.Tensor,
               seed: int) -> dict:
    """guider.sample once per expert, each from the state the last one left; prompts: (conditioning, negative,
    guidance, cfg); sampler(current LATENT, expert) gives the Sampler; seed: the one the model sees."""
    conditioning, negative, guidance, cfg = prompts
    current = inverted
    for m, expert in runs:
        neg = None if negative is None else conditioning_with_guidance(m, negative, guidance, "negative")
        guider = guider_for(m, conditioning_with_guidance(m, conditioning, guidance), neg, cfg)
        out = run_guider(guider, sampler(current, expert), grid, reference, reference["samples"], seed)
        current = {**inverted, "samples": out["samples"]}  # the next expert starts here
    return out


def check_wiring(inverted: dict, reference: dict) -> None:
    """RFInvert's record on the reference means a wiring mistake."""
    if record.read(reference) is None:
        return
    if record.read(inverted) is None:
        raise RFInputError("inverted and reference are swapped: connect RFInvert's output to 'inverted' and the "
                           "source latent to 'reference'.")
    raise RFInputError("the reference is RFInvert's output, so the edit would pull towards noise: connect the source "
                       "latent (the one RFInvert inverted) to 'reference'.")
