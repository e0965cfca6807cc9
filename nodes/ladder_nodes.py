"""RFEditLadder: RFControlledSampler's edit at several strengths in one pass, and a labelled grid."""

from __future__ import annotations

from comfy_api.latest import io
from comfy_execution.graph_utils import ExecutionBlocker

from ..rf_core import SWEEPS
from . import grid, inputs, latents, record, specs
from .edit_nodes import edit_inputs, edit_setup, expert_split, run_passes
from .guidance import check_cfg
from .samplers import LadderSampler
from .schema import schema

MAX_RUNGS = 8
NO_VAE = "RF-Inversion: Edit Ladder draws its grid with a VAE: connect the model's VAE to its vae input."


def ladder_inputs() -> tuple:
    """The sweep and the rungs, after the edit's required inputs."""
    return (
        io.Combo.Input(
            "sweep", options=list(SWEEPS), default="stop_step",
            tooltip="The setting that changes from rung to rung: stop_step (from start_step + 1 up to stop_step) or "
            "eta (from eta / rungs up to eta). Default stop_step.",
        ),
        io.Int.Input(
            "rungs", default=4, min=2, max=MAX_RUNGS,
            tooltip=f"How many edits, 2 to {MAX_RUNGS} (default 4), the last one at the settings given. Memory grows "
            "with rungs x images; the model calls do not.",
        ),
    )


def labels(ladder) -> list[str]:
    """Each rung's setting as the single edit takes it, e.g. 'eta 0.45'."""
    return [f"{ladder.sweep} {value:g}" for value in ladder.values]


class RFEditLadder(io.ComfyNode):
    @classmethod
    def define_schema(cls) -> io.Schema:
        return schema(
            node_id="RFEditLadder",
            search_aliases=["edit ladder", "strength sweep", "eta sweep", "stop step sweep", "edit strength",
                            "compare edits"],
            display_name="RF-Inversion: Edit Ladder",
            category=inputs.CATEGORY,
            description="RF-Inversion: Controlled Sampler's edit at several strengths in one run: each rung sweeps "
            "stop_step or eta, and every model call serves all rungs, so it costs the model calls of one edit.",
            inputs=[
                *edit_inputs(ladder_inputs()),
                io.Vae.Input("vae", optional=True,
                             tooltip="Optional: the model's VAE, to draw the grid of the rungs with each setting under "
                             "its picture."),
            ],
            outputs=[
                io.Latent.Output("latents", display_name="edited latents",
                                 tooltip="Every rung's edited latents, strongest edit first (rungs x images)."),
                io.Image.Output("grid", display_name="labelled grid",
                                tooltip="The rungs side by side, each setting written under its picture (needs vae)."),
                io.String.Output("labels", tooltip="Each rung's setting, one line per rung, as the single edit "
                                 "takes it."),
            ],
        )

    @classmethod
    def execute(cls, model, conditioning, inverted, reference, steps, start_step, stop_step, eta, eta_schedule,
                guidance, mode, seed, sweep, rungs, mask=None, negative=None, cfg=1.0, sigmas=None, order="euler",
                model_low_noise=None, boundary=inputs.WAN22_BOUNDARY_T2V, vae=None) -> io.NodeOutput:
        runs, sampling_grid, ref, edit_masks = edit_setup(model, inverted, reference, steps, sigmas, mask,
                                                          model_low_noise)
        spec = specs.ladder_spec(
            [m for m, _ in runs], sampling_grid, latents.parts(inverted["samples"]), latents.parts(ref), edit_masks,
            record.read(inverted), expert_split(model_low_noise, boundary), sweep=sweep, rungs=rungs,
            start_step=start_step, stop_step=stop_step, eta=eta, eta_schedule=eta_schedule, mode=mode, order=order,
        )
        cfg = check_cfg(cfg, negative)
        if vae is not None:
            grid.check_image_latent(reference)
        if ref.shape[0] != inverted["samples"].shape[0]:
            ref = latents.expand_batch(ref, inverted["samples"].shape[0])
        count = len(spec.ladder.plans)

        def sampler(current, expert):
            return LadderSampler(current, seed=seed, expert=expert, boundary=boundary, spec=spec)

        out = run_passes(runs, (conditioning, negative, guidance, cfg), sampler, latents.tile_rungs(inverted, count),
                         latents.tile_rungs({**reference, "samples": ref}, count), sampling_grid,
                         record.model_seed(spec.info, seed))
        names = labels(spec.ladder)
        picture = ExecutionBlocker(NO_VAE) if vae is None else grid.labelled_grid(
            grid.decoded_rungs(vae, out["samples"], count), names)
        return io.NodeOutput(out, picture, "\n".join(names))
