"""The inputs the nodes share, one definition each; the help pages give each default's source."""

from __future__ import annotations

from comfy_api.latest import io

from ..rf_core import ETA_SCHEDULES, EXPERTS, MODES, ORDERS
from .guidance import GUIDANCE_MODELS

CATEGORY = "sampling/rf_inversion"
MAX_STEPS = 10000
MAX_SEED = 0xFFFFFFFFFFFFFFFF
WAN22_BOUNDARY_T2V = 0.875  # Wan 2.2 A14B's expert hand-over in sigma, from its own configs
WAN22_BOUNDARY_I2V = 0.9
ETA_STEP = 0.01  # the eta input's resolution: the values its widget holds


def steps() -> io.Int.Input:
    return io.Int.Input(
        "steps", default=28, min=1, max=MAX_STEPS,
        tooltip="Steps of the model's own schedule, the same on both nodes; not used when sigmas is connected. At most "
        "the model's noise levels (1000 for discrete-flow models such as SD3, AuraFlow and Wan; 10000 for Flux).",
    )


def gamma() -> io.Float.Input:
    return io.Float.Input(
        "gamma", default=0.5, min=0.0, max=1.0, step=0.01,
        tooltip="Inversion controller strength, 0 to 1 (paper: 0.5). 0 = plain ODE inversion (faithful), 1 = straight "
        "to the seed's noise (most editable).",
    )


def inversion_seed(sampler_form: bool = False) -> io.Int.Input:
    which = "(for a latent without batch_index)" if sampler_form else "(and the latent's batch_index)"
    return io.Int.Input(
        "seed", default=0, min=0, max=MAX_SEED, control_after_generate=False,
        tooltip=f"Seed of the target noise the inversion steers to: KSampler's noise for this seed {which}. Same "
        "seed, same result.",
    )


def start_step(for_edit: bool) -> io.Int.Input:
    tip = (
        "Step where the edit begins, from the inversion's state there: 0 = from pure noise, larger keeps more of the "
        "source. Must equal RFInvert's start_step."
        if for_edit
        else "Invert only up to this step's noise level (0 = all the way to noise). The edit must use the same "
        "start_step."
    )
    return io.Int.Input("start_step", default=0, min=0, max=MAX_STEPS - 1, tooltip=tip)


def stop_step() -> io.Int.Input:
    return io.Int.Input(
        "stop_step", default=7, min=1, max=MAX_STEPS,
        tooltip="The controller pulls towards the reference on the steps [start_step, stop_step), then stops. Later "
        "keeps more of the source, earlier edits more (default 7 of 28 steps).",
    )


def eta() -> io.Float.Input:
    return io.Float.Input(
        "eta", default=0.9, min=0.0, max=1.0, step=ETA_STEP,
        tooltip="Edit controller strength inside the step window, 0 to 1 (default 0.9). 1 = stay on the reference, "
        "0 = free generation from the inverted noise.",
    )


# linear_increase measured -2.55 dB on the scene model (docs/benchmarks.md section 6): not offered for eta
EDIT_ETA_SCHEDULES = tuple(s for s in ETA_SCHEDULES if s != "linear_increase")


def eta_schedule() -> io.Combo.Input:
    return io.Combo.Input(
        "eta_schedule", options=list(EDIT_ETA_SCHEDULES), default="constant",
        tooltip="How eta varies inside the window: constant, linear_decrease (to 0 across the window) or power_decay "
        "(eta * (1 - k/L)^2).",
    )


def mode() -> io.Combo.Input:
    return io.Combo.Input(
        "mode", options=list(MODES), default="ode",
        tooltip="ode: the deterministic controlled ODE (Eq. 15). sde: the controlled SDE (Eq. 17), which adds seeded "
        "noise where eta < 1.",
    )


def sde_seed() -> io.Int.Input:
    return io.Int.Input(
        "seed", default=0, min=0, max=MAX_SEED, control_after_generate=False,
        tooltip="Seed of the SDE's noise (mode sde only). Same seed, same result.",
    )


def mask() -> io.Mask.Input:
    return io.Mask.Input(
        "mask", optional=True,
        tooltip="Edit only where the mask is 1 (any size; its batch is images, or frames for video); elsewhere the "
        "result stays the reference. A noise_mask on the reference or on RFInvert's source also counts.",
    )


def order() -> io.Combo.Input:
    return io.Combo.Input(
        "order", options=list(ORDERS), default="euler", optional=True,
        tooltip="Solver, the same on both nodes: euler (N model calls for N steps, the paper's), midpoint (2N) or "
        "fireflow (N + 1). mode sde takes euler only.",
    )


def sigmas(for_edit: bool) -> io.Sigmas.Input:
    other = "RFInvert" if for_edit else "RFControlledSampler"
    return io.Sigmas.Input(
        "sigmas", optional=True,
        tooltip="Optional schedule (decreasing from 1 to 0) instead of the model's own; it then decides the steps. "
        f"Connect the same one to {other}.",
    )


def guidance(default: float, for_edit: bool) -> io.Float.Input:
    use = "for the edit prompt" if for_edit else "for the inversion (the paper inverts at 0)"
    return io.Float.Input(
        "guidance", default=default, min=0.0, max=100.0, step=0.1,
        tooltip=f"Distilled guidance {use}, written only for models with a guidance embedding ({GUIDANCE_MODELS}). "
        "A different value set upstream (FluxGuidance) is refused, not replaced.",
    )


def model_low_noise(for_edit: bool) -> io.Model.Input:
    other = "RFInvert" if for_edit else "RFControlledSampler"
    return io.Model.Input(
        "model_low_noise", optional=True,
        tooltip="Optional low-noise expert of a two-expert model (Wan 2.2 A14B; model is the high-noise one): each "
        f"step runs on the expert of its sigma. Give {other} the same two models.",
    )


def boundary() -> io.Float.Input:
    return io.Float.Input(
        "boundary", default=WAN22_BOUNDARY_T2V, min=0.0, max=1.0, step=0.005, optional=True,
        tooltip=f"The sigma where two experts hand over: {WAN22_BOUNDARY_T2V} text-to-video, {WAN22_BOUNDARY_I2V} "
        "image-to-video (Wan 2.2's own). ComfyUI's templates switch at half the steps (sigma 0.889 at 20, shift 8).",
    )


def expert() -> io.Combo.Input:
    return io.Combo.Input(
        "expert", options=list(EXPERTS), default="both", optional=True,
        tooltip="For a two-expert model run as two SamplerCustomAdvanced on the same sigmas: high_noise runs the steps "
        "from sigma >= boundary, low_noise the others, both every step.",
    )


# --- beyond the paper: gamma's window and trend, the inversion's trace and the edit's align (issue 17) -----


def gamma_window() -> list:
    return [
        io.Int.Input(
            "gamma_start", default=0, min=0, max=MAX_STEPS - 1, optional=True,
            tooltip="First inversion step (counted from the image) on which gamma acts, 0 to steps - 1 (default 0).",
        ),
        io.Int.Input(
            "gamma_stop", default=MAX_STEPS, min=1, max=MAX_STEPS, optional=True,
            tooltip=f"gamma acts on the inversion steps [gamma_start, gamma_stop), 1 to {MAX_STEPS}. The default "
            f"{MAX_STEPS}, or any value past the last step, means to the last step (the paper's).",
        ),
    ]


def gamma_schedule() -> io.Combo.Input:
    return io.Combo.Input(
        "gamma_schedule", options=list(ETA_SCHEDULES), default="constant", optional=True,
        tooltip="How gamma varies over its steps, as eta_schedule varies eta: constant (the paper's), "
        "linear_decrease, power_decay or linear_increase.",
    )


def keep_trace() -> io.Boolean.Input:
    return io.Boolean.Input(
        "keep_trace", default=False, optional=True,
        tooltip="Keep the inversion's path in the output LATENT, for the edit's align. It costs 2 x steps + 1 latents of "
        "memory (57 MiB for a 1024 x 1024 Flux image at 28 steps).",
    )


def align() -> io.Boolean.Input:
    return io.Boolean.Input(
        "align", default=False, optional=True,
        tooltip="Retrace the inversion step by step, at no extra model calls: the same prompt at gamma 0 and eta 0 "
        "then gives back the source exactly. Needs keep_trace on RFInvert, order euler and mode ode (default off).",
    )
