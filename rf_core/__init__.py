"""RF-Inversion (Rout et al., "Semantic Image Inversion and Editing using Rectified Stochastic Differential
Equations", ICLR 2025) in pure torch. Never imports ComfyUI.

The sigma convention, used everywhere in this package:
  x_sigma = (1 - sigma) x0 + sigma eps, sigma in [0, 1]; sigma = 1 is noise, sigma = 0 the clean latent.
  velocity(x, sigma) -> v = E[eps - x0 | x_sigma = x], a flow model's raw output ("image to noise"); its x0
  estimate is x - sigma v. The paper's time is t = sigma for the inversion and t = 1 - sigma for the edit.
  A sampling grid decreases from sigma_0 = 1 to sigma_N = 0; the inversion walks the same grid upwards.

fields: the controlled velocities. schemes: solver steps over them. solvers: the controlled ODEs / SDEs on a grid.
pipeline: invert and edit on one sampling grid, as checked plans. ladder: several edits as one batch.
schedules, noise, checks: strengths, draws, rules.
"""

from . import levers
from .checks import RFInputError, check_latent_pair, check_mask, check_steps
from .flowedit import FlowEditPlan, flowedit, flowedit_plan, run_flowedit
from .ladder import SWEEPS, ladder_plans, run_ladder
from .noise import NoiseSampler, seeded_noise, step_noise
from .pipeline import (
    MODES,
    REFERENCES,
    EditPlan,
    InversionPlan,
    edit,
    edit_expert_steps,
    edit_levers,
    edit_plan,
    inversion_plan,
    inversion_sigmas,
    invert,
    run_edit,
    run_inversion,
    walk_plan,
)
from .schedules import ETA_SCHEDULES, EXPERTS, eta_schedule, expert_steps, flip_sigmas, gamma_schedule
from .schemes import ORDERS
from .solvers import controlled_forward_ode, controlled_reverse_ode, controlled_reverse_sde, stochastic_sampler
from .trace import InversionTrace
