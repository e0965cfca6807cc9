"""RF-Inversion (Rout et al., ICLR 2025) in pure torch; never imports ComfyUI.

Sigma convention: x_sigma = (1 - sigma) x0 + sigma eps, sigma in [0, 1] (1 noise, 0 the clean latent).
velocity(x, sigma) -> v = E[eps - x0 | x_sigma = x], a flow model's raw output; its x0 estimate is x - sigma v.
The paper's t is sigma for the inversion, 1 - sigma for the edit. A sampling grid falls from 1 to 0; the
inversion walks it upwards.
"""

from . import levers
from .checks import RFInputError, check_latent_pair, check_mask, check_steps
from .flowedit import FlowEditPlan, flowedit, flowedit_plan, run_flowedit
from .ladder import SWEEPS, EditLadder, edit_ladder, ladder_plans, run_ladder, tile_rungs
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
from .reliability import RELIABLE_STEPS, few_steps_reason
from .schedules import ETA_SCHEDULES, EXPERTS, eta_schedule, expert_steps, flip_sigmas, gamma_schedule
from .schemes import ORDERS
from .solvers import controlled_forward_ode, controlled_reverse_ode, controlled_reverse_sde, stochastic_sampler
from .trace import InversionTrace
