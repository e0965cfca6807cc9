"""Pure-torch maths of RF-Inversion (Rout et al., ICLR 2025). Never imports ComfyUI.

fields.py: the controlled velocities, one equation each; schemes.py: the solver steps over them (ORDERS);
solvers.py: the controlled ODEs / SDEs; pipeline.py: invert and edit on one sampling grid.
"""

from .checks import (
    RFInputError,
    check_latent_pair,
    check_latent_values,
    check_option,
    check_sigma_steps,
    check_sigmas,
    check_unit_interval,
    check_window,
    prepare_mask,
)
from .noise import seeded_noise, seeded_noise_parts, seeded_noise_sampler
from .pipeline import MODES, check_edit_window, check_start_step, edit, inversion_sigmas, invert
from .schedules import (
    ETA_SCHEDULES,
    EXPERTS,
    eta_schedule,
    expert_steps,
    flip_sigmas,
    flux_sigmas,
    flux_time_shift,
    gamma_schedule,
)
from .schemes import ORDERS, check_order, check_sde_order
from .solvers import (
    FIRST_VELOCITY,
    controlled_forward_ode,
    controlled_reverse_ode,
    controlled_reverse_sde,
    stochastic_sampler,
)

__all__ = [
    "ETA_SCHEDULES",
    "EXPERTS",
    "FIRST_VELOCITY",
    "MODES",
    "ORDERS",
    "RFInputError",
    "check_edit_window",
    "check_latent_pair",
    "check_latent_values",
    "check_option",
    "check_order",
    "check_sde_order",
    "check_sigma_steps",
    "check_sigmas",
    "check_start_step",
    "check_unit_interval",
    "check_window",
    "controlled_forward_ode",
    "controlled_reverse_ode",
    "controlled_reverse_sde",
    "edit",
    "eta_schedule",
    "expert_steps",
    "flip_sigmas",
    "flux_sigmas",
    "flux_time_shift",
    "gamma_schedule",
    "inversion_sigmas",
    "invert",
    "prepare_mask",
    "seeded_noise",
    "seeded_noise_parts",
    "seeded_noise_sampler",
    "stochastic_sampler",
]
