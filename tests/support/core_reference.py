"""Reference results for the node tests: rf_core's pipeline called directly on a ComfyUI model's velocity.

A probe Sampler run through CFGGuider.sample hands rf_core the guider's velocity (the adapter, checked against
the network's raw output in test_comfy_harness.py) and the latent in model space; what the probe returns goes
back through process_latent_out, so results compare with the nodes' VAE-space outputs.

What this checks is the glue, not the maths: core_edit calls rf_core.edit, which runs the same plan (rf_core.edit_plan)
as the edit nodes, and core_invert calls rf_core.invert, which runs the same plan (rf_core.inversion_plan) as the
inversion nodes. So agreement here shows that the nodes hand rf_core the right velocity,
grid, start step, latents (model space), masks and seeds; it cannot catch a wrong formula inside rf_core. The
maths is checked against exact Gaussian-mixture velocities (tests/test_rf_core_*.py), and the nodes against
ComfyUI's own samplers, which share no code with rf_core (tests/test_nodes_references.py: with eta = 0 the edit
is SamplerCustom with core euler).
"""

from __future__ import annotations

import torch


class ProbeSampler:
    """A ComfyUI Sampler that runs fn(velocity, latent_image, inner_model) -> model-space result."""

    def __init__(self, pack, fn):
        self.pack, self.fn = pack, fn

    def sample(self, model_wrap, sigmas, extra_args, callback, noise, latent_image=None, denoise_mask=None,
               disable_pbar=False):
        velocity = self.pack.nodes.velocity.GuiderVelocity(model_wrap, extra_args)
        return self.fn(velocity, latent_image, model_wrap.inner_model)


def with_guidance(cond, guidance):
    return [[c, dict(d, guidance=float(guidance))] for c, d in cond]


def run_core(pack, model, cond, latent: torch.Tensor, fn, grid: torch.Tensor, guidance: float | None = None):
    """fn(velocity, y0 in model space, inner_model) inside guider.sample; returns the VAE-space result."""
    import comfy.samplers

    guider = comfy.samplers.CFGGuider(model)
    guider.inner_set_conds({"positive": cond if guidance is None else with_guidance(cond, guidance)})
    guider.set_cfg(1.0)
    with torch.no_grad():
        return guider.sample(torch.zeros_like(latent), latent, ProbeSampler(pack, fn), grid, seed=0).cpu()


def model_grid(model, steps: int) -> torch.Tensor:
    import comfy.samplers

    return comfy.samplers.calculate_sigmas(model.get_model_object("model_sampling"), "simple", steps).cpu()


def core_invert(pack, model, cond, source, steps, *, gamma, seed, start_step=0, guidance=0.0, order="euler",
                **more):
    """more: rf_core.invert's other settings (trace, gamma_window, gamma_schedule)."""
    import rf_core

    grid = model_grid(model, steps)

    def fn(velocity, y0, inner):
        y1 = rf_core.seeded_noise(seed, y0.shape).to(y0.device)
        return rf_core.invert(velocity, y0, grid, y1, gamma=gamma, start_step=start_step, order=order, **more)

    return run_core(pack, model, cond, source, fn, grid, guidance)


def core_edit(pack, model, cond, inverted, reference, steps, *, eta, start_step, stop_step, guidance,
              eta_schedule="constant", mode="ode", seed=0, mask=None, order="euler", record=None, noise_scale=1.0,
              levers=None):
    """rf_core.edit from the VAE-space inverted latent; record (a list) receives rf_core's callback dicts;
    noise_scale multiplies the SDE noise; levers: rf_core.edit's trace, align, reference and auto_mask."""
    import rf_core

    grid = model_grid(model, steps)

    def fn(velocity, y0, inner):
        x = inner.process_latent_in(inverted.to(y0.device))
        noise = rf_core.step_noise(seed, x.shape, scale=noise_scale) if mode == "sde" else None
        cb = None if record is None else (lambda d: record.append({k: v for k, v in d.items()}))
        return rf_core.edit(velocity, x, y0, grid, eta=eta, start_step=start_step, stop_step=stop_step,
                            eta_schedule=eta_schedule, mode=mode, mask=mask, noise_sampler=noise, order=order, callback=cb,
                            **(levers or {}))

    return run_core(pack, model, cond, reference, fn, grid, guidance)
