"""The V3 inputs shared by the nodes: one definition (name, default, range, tooltip) per parameter, so the
all-in-one nodes and the SAMPLER forms present the same contract. Defaults: the paper's (Rout et al. 2025) 28
steps, gamma 0.5, guidance 0 for the inversion and 3.5 for the edit; eta 0.9 on steps [0, 7) is the diffusers
community pipeline's README example (no row of the paper's table stops at step 7: its rows are listed in
README.md)."""

from __future__ import annotations

from comfy_api.latest import io

from ..rf_core import ETA_SCHEDULES, EXPERTS, MODES, ORDERS
from .guidance import GUIDANCE_MODELS

CATEGORY = "sampling/rf_inversion"
MAX_STEPS = 10000
MAX_SEED = 0xFFFFFFFFFFFFFFFF


def steps(tooltip_extra: str = "") -> io.Int.Input:
    return io.Int.Input(
        "steps", default=28, min=1, max=MAX_STEPS,
        tooltip="Number of steps of the sampling schedule (the model's own 'simple' schedule). Inversion and edit "
        "must use the same number. Not used when sigmas is connected: then the sigmas decide the steps. At most "
        "the model's noise levels (1000 for discrete-flow models such as SD3, AuraFlow and Wan; 10000 for Flux)." + tooltip_extra,
    )


def gamma() -> io.Float.Input:
    return io.Float.Input(
        "gamma", default=0.5, min=0.0, max=1.0, step=0.01,
        tooltip="Controller strength of the inversion (paper's gamma): 0 = plain ODE inversion (faithful to the "
        "image), 1 = straight to the seed's noise (most editable, forgets the image). Paper: 0.5.",
    )


def inversion_seed(sampler_form: bool = False) -> io.Int.Input:
    same = (
        "the same noise a KSampler with this seed starts from for a latent without batch_index (SamplerCustomAdvanced "
        "does not hand a SAMPLER the latent's batch_index; RFInvert follows it)"
        if sampler_form
        else "the same noise a KSampler with this seed starts from for this latent, also one taken from a batch "
        "(its batch_index, from LatentFromBatch or RepeatLatentBatch)"
    )
    return io.Int.Input(
        "seed", default=0, min=0, max=MAX_SEED, control_after_generate=False,
        tooltip=f"Seed of the target noise y1 the inversion is steered towards: {same}. Same seed, same result.",
    )


def start_step(for_edit: bool) -> io.Int.Input:
    tip = (
        "Step of the sampling schedule where the edit begins, from the inversion's state at that noise level. "
        "0 = from pure noise; larger = keeps more of the source (SDEdit-like). Must match RFInvert's start_step."
        if for_edit
        else "Invert only up to this step's noise level instead of pure noise (0 = all the way). The edit must use "
        "the same start_step."
    )
    return io.Int.Input("start_step", default=0, min=0, max=MAX_STEPS - 1, tooltip=tip)


def stop_step() -> io.Int.Input:
    return io.Int.Input(
        "stop_step", default=7, min=1, max=MAX_STEPS,
        tooltip="The controller pulls towards the reference on the steps [start_step, stop_step) and is off after. "
        "Later = closer to the reference, earlier = stronger edit. Default 7 of 28: the diffusers community "
        "pipeline's README example (the paper's rows stop at 5, 6, 8 or 25 of 28). With fewer steps keep about the "
        "same share (e.g. 1 of Flux schnell's 4).",
    )


def eta() -> io.Float.Input:
    return io.Float.Input(
        "eta", default=0.9, min=0.0, max=1.0, step=0.01,
        tooltip="Controller strength of the edit (paper's eta) inside the step window: 1 = stay on the reference, "
        "0 = free generation from the inverted noise. Default 0.9 with stop_step 7: the diffusers community "
        "pipeline's README example (the paper uses 0.9 for stroke-to-image and stylization, 1.0 or 0.7 elsewhere).",
    )


def eta_schedule() -> io.Combo.Input:
    return io.Combo.Input(
        "eta_schedule", options=list(ETA_SCHEDULES), default="constant",
        tooltip="How eta varies inside the window: constant; linear_decrease (eta to 0 across the window); "
        "power_decay (eta * (1 - k/L)^2, the official code's decay).",
    )


def mode() -> io.Combo.Input:
    return io.Combo.Input(
        "mode", options=list(MODES), default="ode",
        tooltip="ode: the controlled ODE (Eq. 15), deterministic. sde: the controlled SDE (Eq. 17), adds seeded "
        "noise where eta < 1.",
    )


def sde_seed() -> io.Int.Input:
    return io.Int.Input(
        "seed", default=0, min=0, max=MAX_SEED, control_after_generate=False,
        tooltip="Seed of the SDE noise (mode sde only; ode ignores it). Same seed, same result.",
    )


def mask() -> io.Mask.Input:
    return io.Mask.Input(
        "mask", optional=True,
        tooltip="Edit only where the mask is 1 (any size: it is resized to the latent); elsewhere the result "
        "stays the reference. Its batch is images for an image latent and frames for a video latent, as in "
        "ComfyUI; for a 1-D audio latent (ACE-Step 1.5) it is one row over time (a MASK of height 1). "
        "A noise_mask (SetLatentNoiseMask) on the reference, or on the latent RFInvert inverted, also "
        "counts: the edit is where all of them allow it. An empty (all 0) mask is refused: paint the region in "
        "the Mask Editor.",
    )


def order() -> io.Combo.Input:
    return io.Combo.Input(
        "order", options=list(ORDERS), default="euler", optional=True,
        tooltip="Solver; use the same on RFInvert and the edit. Model evaluations for N steps: euler N (the "
        "paper's), midpoint 2N, fireflow N + 1 (midpoint steps that reuse the previous step's midpoint "
        "evaluation). midpoint costs what euler does only at half the steps, and start_step / stop_step then count "
        "those coarser steps: 14 steps with stop_step 3 or 4 in place of 28 with 7 (step 7 of 28 is step 3.5 of "
        "14). fireflow with 10 steps and stop_step 3 makes the edit of euler with 28 and 7 at 22 evaluations "
        "instead of 56 (exact-model study, docs/benchmarks.md). mode sde takes euler only.",
    )


def sigmas(for_edit: bool) -> io.Sigmas.Input:
    who = "RFInvert" if for_edit else "RFControlledSampler"
    return io.Sigmas.Input(
        "sigmas", optional=True,
        tooltip="Optional sampling schedule (decreasing, from 1 to 0, e.g. BasicScheduler) instead of the model's "
        f"own: when connected it decides the step count (len - 1) and steps is not used. Connect the same schedule "
        f"to {who}.",
    )


def guidance(default: float, for_edit: bool) -> io.Float.Input:
    use = "for the edit prompt; Flux dev's usual 3.5 (HunyuanVideo and HunyuanImage use 6.0)" if for_edit else (
        "during the inversion; the paper inverts at 0, a nonzero value reconstructs worse")
    return io.Float.Input(
        "guidance", default=default, min=0.0, max=100.0, step=0.1,
        tooltip=f"Distilled guidance {use}. Written into the conditioning (like FluxGuidance) only for models with "
        f"a guidance embedding ({GUIDANCE_MODELS}); other models (SD3, Flux schnell, Chroma, Wan, ...) get their "
        "conditioning unchanged and this value is not used. If the conditioning already carries a different "
        "guidance (FluxGuidance upstream) the node refuses instead of replacing it: set the same value here.",
    )


# Wan 2.2 A14B's hand-over from the high-noise to the low-noise expert, in sigma: the boundaries of Wan 2.2's own code
# (its A14B text-to-video and image-to-video configs).
WAN22_BOUNDARY_T2V = 0.875
WAN22_BOUNDARY_I2V = 0.9
_EXPERTS_HOW = (
    f"The high-noise expert serves the steps that start at sigma >= boundary, the low-noise expert the others. "
    f"{WAN22_BOUNDARY_T2V} for text-to-video, {WAN22_BOUNDARY_I2V} for image-to-video: the boundaries of Wan 2.2's "
    "own code (its A14B configs). ComfyUI's Wan 2.2 templates switch at half the steps instead (two "
    "KSamplerAdvanced; step 10 of 20 at shift 8 is sigma 0.889)."
)


def model_low_noise(for_edit: bool) -> io.Model.Input:
    who = "RFControlledSampler" if not for_edit else "RFInvert"
    return io.Model.Input(
        "model_low_noise", optional=True,
        tooltip="Optional second expert of a model of two (Wan 2.2 A14B: connect the high-noise expert to model and "
        f"the low-noise one here). Then each step runs on the expert its sigma belongs to (boundary), in both "
        f"directions. Give {who} the same two models and boundary.",
    )


def boundary(sampler_form: bool = False) -> io.Float.Input:
    used = "Used with expert high_noise or low_noise." if sampler_form else "Not used without model_low_noise."
    return io.Float.Input(
        "boundary", default=WAN22_BOUNDARY_T2V, min=0.0, max=1.0, step=0.005, optional=True,
        tooltip=f"The sigma where a model of two experts (Wan 2.2 A14B) hands over. {_EXPERTS_HOW} {used}",
    )


def expert() -> io.Combo.Input:
    return io.Combo.Input(
        "expert", options=list(EXPERTS), default="both", optional=True,
        tooltip="For a model of two experts (Wan 2.2 A14B), run as two SamplerCustomAdvanced on the SAME sigmas, "
        "as ComfyUI's Wan 2.2 templates run two KSamplerAdvanced: high_noise runs only the steps that start at "
        "sigma >= boundary (with the high-noise model's guider), low_noise only the others (with the low-noise "
        "model's guider). Inversion: the low_noise run first, its output is the high_noise run's latent_image. "
        "Edit: the high_noise run first, its output is the low_noise sampler's inverted (latent_image stays the "
        "source; connect a mask to both samplers). both: every step, one model.",
    )
