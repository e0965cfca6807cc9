"""SAMPLER and SIGMAS nodes for SamplerCustomAdvanced: the power-user forms of the same code.

Inversion:  SamplerCustomAdvanced(noise=DisableNoise, guider=BasicGuider(empty prompt, FluxGuidance 0),
            sampler=RFInvertSampler, sigmas=RFFlipSigmas(BasicScheduler) or RFInversionSigmas, latent_image=source)
Edit:       SamplerCustomAdvanced(noise=DisableNoise, guider=BasicGuider(edit prompt, FluxGuidance 3.5),
            sampler=RFControlledSamplerSampler(inverted=...), sigmas=BasicScheduler, latent_image=source)
gives the same latents as RFInvert + RFControlledSampler with the same settings. A model of two experts (Wan 2.2
A14B) runs each direction as two SamplerCustomAdvanced on the same sigmas, one per expert's guider, the samplers'
`expert` set to low_noise then high_noise (inversion) or high_noise then low_noise (edit), as ComfyUI's Wan 2.2
templates chain two KSamplerAdvanced; that equals RFInvert / RFControlledSampler with model_low_noise.
"""

from __future__ import annotations

from comfy_api.latest import io

from ..rf_core import check_steps, flip_sigmas, inversion_sigmas
from . import inputs
from .samplers import EditSampler, InvertSampler, StochasticSampler
from .schema import schema


class RFInvertSampler(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFInvertSampler",
            search_aliases=["invert", "inversion", "unsample", "unsampler", "inversion sampler"],
            display_name="RF-Inversion: Invert (SAMPLER)",
            category=inputs.CATEGORY,
            description="SAMPLER for SamplerCustomAdvanced that inverts latent_image with RF-Inversion's controlled "
            "forward ODE. Give it INCREASING sigmas (RFFlipSigmas of the sampling schedule, or RFInversionSigmas) "
            "and DisableNoise: it starts from the image and ignores the noise input. A noise_mask on latent_image "
            "does not limit the inversion; SamplerCustomAdvanced carries it on to the edit (refused for a model "
            "that reads it as per-token timesteps: LTXV, LTX-2, Wan 2.2 TI2V; connect the mask to the edit "
            "sampler's mask).",
            inputs=[inputs.gamma(), inputs.inversion_seed(sampler_form=True), inputs.order(), inputs.expert(),
                    inputs.boundary(sampler_form=True)],
            outputs=[io.Sampler.Output(tooltip="The inversion sampler, for SamplerCustomAdvanced.")],
        )

    @classmethod
    def execute(cls, gamma, seed, order="euler", expert="both", boundary=inputs.WAN22_BOUNDARY_T2V) -> io.NodeOutput:
        return io.NodeOutput(InvertSampler(gamma=gamma, seed=seed, order=order, expert=expert, boundary=boundary))


class RFControlledSamplerSampler(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFControlledSamplerSampler",
            search_aliases=["controlled sampler", "edit sampler", "image edit", "flux edit"],
            display_name="RF-Inversion: Controlled Sampler (SAMPLER)",
            category=inputs.CATEGORY,
            description="SAMPLER for SamplerCustomAdvanced that edits from an inverted latent with RF-Inversion's "
            "controlled reverse ODE/SDE. Give SamplerCustomAdvanced the sampling schedule (BasicScheduler, the "
            "same steps as the inversion), DisableNoise, and the source as latent_image (the reference).",
            inputs=[
                io.Latent.Input("inverted", tooltip="The inverted latent (RFInvert's or the inversion sampler's output)."),
                inputs.start_step(for_edit=True),
                inputs.stop_step(),
                inputs.eta(),
                inputs.eta_schedule(),
                inputs.mode(),
                inputs.sde_seed(),
                inputs.mask(),
                inputs.order(),
                inputs.expert(),
                inputs.boundary(sampler_form=True),
            ],
            outputs=[io.Sampler.Output(tooltip="The controlled sampler, for SamplerCustomAdvanced.")],
        )

    @classmethod
    def execute(cls, inverted, start_step, stop_step, eta, eta_schedule, mode, seed, mask=None,
                order="euler", expert="both", boundary=inputs.WAN22_BOUNDARY_T2V) -> io.NodeOutput:
        return io.NodeOutput(
            EditSampler(
                inverted, start_step=start_step, stop_step=stop_step, eta=eta, eta_schedule=eta_schedule,
                mode=mode, seed=seed, mask=mask, order=order, expert=expert, boundary=boundary,
            )
        )


class StochasticFluxSampler(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="StochasticFluxSampler",
            search_aliases=["sde sampler", "stochastic sampler", "rectified sde", "flux sde"],
            display_name="Stochastic Flux Sampler (rectified SDE)",
            category=inputs.CATEGORY,
            description="SAMPLER for plain generation with the rectified stochastic sampler of Rout et al. (Eq. 22): "
            "the same marginals as the flow ODE, with fresh noise along the way. Works with any rectified-flow "
            "model; its noise follows the noise seed of SamplerCustomAdvanced.",
            inputs=[
                io.Float.Input(
                    "noise_scale", default=1.0, min=0.0, max=1.0, step=0.01,
                    tooltip="Scale of the injected noise: 1 = the paper's SDE, 0 = the deterministic ODE (Euler).",
                )
            ],
            outputs=[io.Sampler.Output(tooltip="The stochastic sampler, for SamplerCustomAdvanced or SamplerCustom.")],
        )

    @classmethod
    def execute(cls, noise_scale) -> io.NodeOutput:
        return io.NodeOutput(StochasticSampler(noise_scale=noise_scale))


class RFFlipSigmas(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFFlipSigmas",
            search_aliases=["flip sigmas", "reverse sigmas", "inversion sigmas"],
            display_name="RF-Inversion: Flip Sigmas (exact)",
            category=inputs.CATEGORY,
            description="Reverses a sigma schedule exactly (1 ... 0 becomes 0 ... 1), for RFInvertSampler. Unlike "
            "core FlipSigmas it keeps the leading 0, so the inversion starts at the image itself.",
            inputs=[io.Sigmas.Input("sigmas", tooltip="The sampling schedule (decreasing), e.g. from BasicScheduler.")],
            outputs=[io.Sigmas.Output(tooltip="The same sigmas in increasing order.")],
        )

    @classmethod
    def execute(cls, sigmas) -> io.NodeOutput:
        return io.NodeOutput(flip_sigmas(check_steps(sigmas)))  # the inversion sampler checks the values


class RFInversionSigmas(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFInversionSigmas",
            search_aliases=["inversion sigmas", "inversion schedule", "partial inversion"],
            display_name="RF-Inversion: Inversion Sigmas",
            category=inputs.CATEGORY,
            description="The schedule RFInvertSampler walks for a given start_step: the sampling schedule's steps "
            "from start_step to the end, flipped (image to noise level sigma_start). start_step 0 = RFFlipSigmas.",
            inputs=[
                io.Sigmas.Input("sigmas", tooltip="The sampling schedule (decreasing), e.g. from BasicScheduler."),
                inputs.start_step(for_edit=False),
            ],
            outputs=[io.Sigmas.Output(tooltip="Increasing sigmas from 0 to sigma_start, for RFInvertSampler.")],
        )

    @classmethod
    def execute(cls, sigmas, start_step) -> io.NodeOutput:
        return io.NodeOutput(inversion_sigmas(sigmas, start_step))  # checks the grid itself


NODES = [RFInvertSampler, RFControlledSamplerSampler, StochasticFluxSampler, RFFlipSigmas, RFInversionSigmas]
