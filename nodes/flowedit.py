"""FlowEdit (Kulikov et al., 2024): a CFGGuider holding source and target prompts, a Sampler running rf_core's
FlowEdit plan on their velocities, and the node."""

from __future__ import annotations

import comfy.sample
import comfy.samplers
import torch
from comfy_api.latest import io

from .. import rf_core
from ..rf_core import RFInputError
from . import inputs, latents, specs
from .edit_nodes import run_guider, sampling_grid
from .guidance import check_cfg, conditioning_with_guidance
from .models import noise_scale
from .samplers import progress
from .schema import schema
from .velocity import GuiderVelocity

ROLES = {"target": ("positive", "negative"), "source": ("source", "source_negative")}  # role -> its cond keys


class FlowEditGuider(comfy.samplers.CFGGuider):
    """Target (positive, negative) and source (source, source_negative) prompts, each with its cfg;
    predict_noise answers for `role`."""

    def __init__(self, model_patcher):
        super().__init__(model_patcher)
        self.role, self.cfgs = "target", {}

    def set_prompts(self, prompts: dict, cfgs: dict) -> None:
        """prompts: cond key -> CONDITIONING (None = not given); cfgs: role -> scale."""
        self.inner_set_conds({k: c for k, c in prompts.items() if c is not None})
        self.cfgs = dict(cfgs)

    def predict_noise(self, x, timestep, model_options={}, seed=None):
        positive, negative = ROLES[self.role]
        return comfy.samplers.sampling_function(self.inner_model, x, timestep, self.conds.get(negative),
                                                self.conds.get(positive), self.cfgs[self.role],
                                                model_options=model_options, seed=seed)


class RoleVelocity:
    """velocity(x, sigma) of one role of a FlowEditGuider."""

    def __init__(self, velocity: GuiderVelocity, role: str):
        self.velocity, self.role = velocity, role

    def __call__(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        self.velocity.model_wrap.role = self.role
        return self.velocity(x, sigma)


class FlowEditSampler(comfy.samplers.Sampler):
    """rf_core's FlowEdit of latent_image; the n_avg draws seeded seed, seed + 1, ..."""

    def __init__(self, plan: rf_core.FlowEditPlan, seed: int):
        self.plan, self.seed = plan, int(seed)

    @torch.no_grad()
    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        scale = noise_scale(model_wrap.model_patcher)
        noises = [rf_core.step_noise((self.seed + k) % (inputs.MAX_SEED + 1), latent_image.shape, scale)
                  for k in range(self.plan.n_avg)]
        velocity = GuiderVelocity(model_wrap, extra_args)
        steps = len(self.plan.sigmas) - 1
        with progress(callback, steps - self.plan.n_max, steps, disable_pbar) as on_step:
            return rf_core.run_flowedit(RoleVelocity(velocity, "source"), RoleVelocity(velocity, "target"),
                                        latent_image, self.plan, noises=noises, callback=on_step)


def cfg_input(name: str, which: str) -> io.Float.Input:
    return io.Float.Input(
        name, default=1.0, min=0.0, max=100.0, step=0.1, optional=True,
        tooltip=f"Classifier-free guidance scale of the {which} prompt with the negative prompt, 0 to 100; 1 = off "
        "(default).",
    )


def guidance_input(name: str, which: str, default: float) -> io.Float.Input:
    return io.Float.Input(
        name, default=default, min=0.0, max=100.0, step=0.1,
        tooltip=f"Distilled guidance of the {which} prompt (default {default}, FlowEdit's for Flux), written only for "
        "models with a guidance embedding. A different value set upstream is refused, not replaced.",
    )


class RFFlowEdit(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFFlowEdit",
            search_aliases=["flowedit", "flow edit", "inversion-free edit", "image edit", "flux edit"],
            display_name="FlowEdit (inversion-free edit)",
            category=inputs.CATEGORY,
            description="Edits an image latent from a source prompt to a target prompt with FlowEdit (Kulikov et al., "
            "2024), no inversion: 2 n_avg (n_max - n_min) + n_min model evaluations, 48 at the defaults.",
            inputs=[
                io.Model.Input("model", tooltip="A rectified-flow model (Flux, SD3, Qwen-Image, Wan, ...), with any LoRAs."),
                io.Conditioning.Input("source_conditioning", tooltip="The source prompt: describe the image as it is."),
                io.Conditioning.Input("target_conditioning", tooltip="The target prompt: describe the image you want."),
                io.Latent.Input("latent", tooltip="The source image, encoded with this model's VAE."),
                inputs.steps(),
                io.Int.Input(
                    "n_max", default=24, min=1, max=inputs.MAX_STEPS,
                    tooltip="FlowEdit edits on the last n_max steps, at most steps (default 24 of 28, FlowEdit's for "
                    "Flux). More edits more, fewer keeps more of the source.",
                ),
                io.Int.Input(
                    "n_min", default=0, min=0, max=inputs.MAX_STEPS - 1,
                    tooltip="The last n_min steps sample the target prompt alone, below n_max (default 0). Raise it for "
                    "finer detail from the target.",
                ),
                io.Int.Input(
                    "n_avg", default=1, min=1, max=64,
                    tooltip="Noise draws averaged per step, 1 to 64 (default 1); each costs two more model calls per "
                    "edited step.",
                ),
                io.Int.Input("seed", default=0, min=0, max=inputs.MAX_SEED, control_after_generate=False,
                             tooltip="Seed of FlowEdit's noise draws. Same seed, same result."),
                guidance_input("source_guidance", "source", 1.5),
                guidance_input("target_guidance", "target", 5.5),
                io.Conditioning.Input("negative", optional=True,
                                      tooltip="Optional negative prompt, used with source_cfg or target_cfg above 1."),
                cfg_input("source_cfg", "source"),
                cfg_input("target_cfg", "target"),
                io.Sigmas.Input("sigmas", optional=True,
                                tooltip="Optional schedule (decreasing from 1 to 0) instead of the model's own; it then "
                                "decides the steps."),
            ],
            outputs=[io.Latent.Output(tooltip="The edited latent (VAE space): decode it with the model's VAE.")],
        )

    @classmethod
    def execute(cls, model, source_conditioning, target_conditioning, latent, steps, n_max, n_min, n_avg, seed,
                source_guidance, target_guidance, negative=None, source_cfg=1.0, target_cfg=1.0,
                sigmas=None) -> io.NodeOutput:
        samples = comfy.sample.fix_empty_latent_channels(model, latent["samples"])
        if latent.get("noise_mask") is not None:
            raise RFInputError("FlowEdit edits the whole latent and has no mask: remove the noise_mask (Set Latent "
                               "Noise Mask), or use RFInvert and RFControlledSampler for a regional edit.")
        grid = sampling_grid(model, steps, sigmas)
        plan = specs.flowedit_plan([model], grid, latents.parts(samples), n_min=n_min, n_max=n_max, n_avg=n_avg)
        cfgs = {"source": check_cfg(source_cfg, negative, "source_cfg"),
                "target": check_cfg(target_cfg, negative, "target_cfg")}
        guided = lambda cond, g, name: None if cond is None else conditioning_with_guidance(model, cond, g, name)  # noqa: E731
        guider = FlowEditGuider(model)
        guider.set_prompts({"positive": guided(target_conditioning, target_guidance, "target_conditioning"),
                            "negative": guided(negative, target_guidance, "negative"),
                            "source": guided(source_conditioning, source_guidance, "source_conditioning"),
                            "source_negative": guided(negative, source_guidance, "negative")}, cfgs)
        return io.NodeOutput(run_guider(guider, FlowEditSampler(plan, seed), grid, latent, samples, seed))
