"""The SAMPLER and SIGMAS nodes: the same passes for SamplerCustomAdvanced with DisableNoise."""

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
            "forward ODE. Give it increasing sigmas (RFFlipSigmas or RFInversionSigmas) and DisableNoise.",
            inputs=[inputs.gamma(), inputs.inversion_seed(sampler_form=True), inputs.order(), inputs.expert(),
                    inputs.boundary(), *inputs.gamma_window(), inputs.gamma_schedule()],
            outputs=[io.Sampler.Output(tooltip="The inversion sampler, for SamplerCustomAdvanced.")],
        )

    @classmethod
    def execute(cls, gamma, seed, order="euler", expert="both", boundary=inputs.WAN22_BOUNDARY_T2V, gamma_start=0,
                gamma_stop=inputs.MAX_STEPS, gamma_schedule="constant") -> io.NodeOutput:
        return io.NodeOutput(InvertSampler(gamma=gamma, seed=seed, order=order, expert=expert, boundary=boundary,
                                           gamma_start=gamma_start, gamma_stop=gamma_stop,
                                           gamma_schedule=gamma_schedule))


class RFControlledSamplerSampler(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFControlledSamplerSampler",
            search_aliases=["controlled sampler", "edit sampler", "image edit", "flux edit"],
            display_name="RF-Inversion: Controlled Sampler (SAMPLER)",
            category=inputs.CATEGORY,
            description="SAMPLER for SamplerCustomAdvanced that edits an inverted latent with RF-Inversion's "
            "controlled reverse ODE/SDE. Give it the inversion's schedule, DisableNoise and the source as latent_image.",
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
                inputs.boundary(),
                inputs.align(),
            ],
            outputs=[io.Sampler.Output(tooltip="The controlled sampler, for SamplerCustomAdvanced.")],
        )

    @classmethod
    def execute(cls, inverted, start_step, stop_step, eta, eta_schedule, mode, seed, mask=None,
                order="euler", expert="both", boundary=inputs.WAN22_BOUNDARY_T2V, align=False) -> io.NodeOutput:
        return io.NodeOutput(
            EditSampler(
                inverted, start_step=start_step, stop_step=stop_step, eta=eta, eta_schedule=eta_schedule,
                mode=mode, seed=seed, mask=mask, order=order, expert=expert, boundary=boundary,
                align=bool(align),
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
            "the flow ODE's marginals, with fresh noise along the way, seeded by the run's noise seed.",
            inputs=[
                io.Float.Input(
                    "noise_scale", default=1.0, min=0.0, max=1.0, step=0.01,
                    tooltip="Scale of the injected noise, 0 to 1: 1 = the paper's SDE, 0 = the deterministic ODE.",
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
            description="Reverses a sigma schedule exactly, keeping its leading 0 (core FlipSigmas changes it), for "
            "RFInvertSampler.",
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
            description="The schedule RFInvertSampler walks for a start_step: the sampling schedule from start_step "
            "to the end, flipped (start_step 0 = RFFlipSigmas).",
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
